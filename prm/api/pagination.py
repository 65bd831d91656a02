from rest_framework import pagination


class ActivityCursorPagination(pagination.CursorPagination):
    """Stable pages over activity that keeps growing while it is read."""

    ordering = "-id"
    page_size = 100
    page_size_query_param = "page_size"
    max_page_size = 1000


class PageNumberPagination(pagination.PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500
