"""The partner list's filters, shared by the API and the browser list."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.choices import BaseChoiceIterator
from django_countries import countries

from .dns import DnsStatus
from .models import Partner, PartnerStatus


class CountryChoices(BaseChoiceIterator):
    """Every country as a choice, named in the active language. A form deep-copies its
    fields' choices on every instance, a list of 250 countries included (some 5 ms a
    request); this is copied by reference."""

    def __iter__(self) -> Iterator[tuple[str, str]]:
        return ((code, name) for code, name in countries)

    def __len__(self) -> int:
        return len(countries)

    def __deepcopy__(self, memo: dict[int, Any]) -> CountryChoices:
        return self


class PartnerFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="search", label="Search")
    status = django_filters.MultipleChoiceFilter(choices=PartnerStatus.choices)
    tier = django_filters.CharFilter(field_name="tier__slug", label="Tier (slug)")
    country = django_filters.ChoiceFilter(choices=CountryChoices(), label="Country")
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
