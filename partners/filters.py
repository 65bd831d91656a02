"""The partner list's filters, shared by the API and the browser list."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django_countries import countries

from .dns import DnsStatus
from .models import Partner, PartnerStatus


class PartnerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    status = django_filters.MultipleChoiceFilter(choices=PartnerStatus.choices)
    tier = django_filters.CharFilter(field_name="tier__slug", label="Tier (slug)")
    country = django_filters.ChoiceFilter(choices=list(countries), label="Country")
    channel_manager = django_filters.CharFilter(
        field_name="channel_manager__email", lookup_expr="iexact", label="Channel manager (e-mail)"
    )
    product = django_filters.CharFilter(
        field_name="products__sku", label="Product (SKU)", distinct=True
    )
    tag = django_filters.CharFilter(field_name="tags", lookup_expr="contains", method="has_tag")
    dns_status = django_filters.ChoiceFilter(choices=DnsStatus.CHOICES)

    class Meta:
        model = Partner
        fields = [
            "q",
            "status",
            "tier",
            "country",
            "channel_manager",
            "product",
            "tag",
            "dns_status",
        ]

    def search(self, queryset: QuerySet[Partner], name: str, value: str) -> QuerySet[Partner]:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(name__icontains=value)
            | Q(ref__icontains=value)
            | Q(domain__icontains=value)
            | Q(contact_name__icontains=value)
            | Q(contact_email__icontains=value)
        )

    def has_tag(self, queryset: QuerySet[Partner], name: str, value: str) -> QuerySet[Partner]:
        return (
            queryset.filter(tags__contains=[value.strip().lower()]) if value.strip() else queryset
        )
