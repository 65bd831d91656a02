"""The partner input serializer, shared by the API (partners.api) and the import
(partners.imports.rows): both check a partner's fields' types with it, so a file's
row and a request body are read alike."""

from __future__ import annotations

from rest_framework import serializers

from prm.api.fields import OptionalCharField

from .models import PartnerStatus


class PartnerInputSerializer(serializers.Serializer):
    """What a client may send. Types are checked here; meaning (phone numbers,
    domains, references) by the service, which reports every field at once."""

    ref = serializers.CharField(max_length=64)
    name = serializers.CharField(max_length=200)
    domain = serializers.CharField(max_length=300, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    contact_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    contact_email = OptionalCharField(max_length=254)
    contact_phone = serializers.CharField(max_length=40, required=False, allow_blank=True)
    street = serializers.CharField(max_length=200, required=False, allow_blank=True)
    city = serializers.CharField(max_length=100, required=False, allow_blank=True)
    region = serializers.CharField(max_length=100, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=20, required=False, allow_blank=True)
    country = serializers.CharField(
        max_length=2, required=False, allow_blank=True, help_text="ISO 3166-1 alpha-2"
    )
    primary_dns = serializers.CharField(max_length=253, required=False, allow_blank=True)
    secondary_dns = serializers.CharField(max_length=253, required=False, allow_blank=True)
    products = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, help_text="SKUs"
    )
    sla = serializers.CharField(
        max_length=64,
        required=False,
        allow_blank=True,
        help_text="policy slug; default policy if empty",
    )
    channel_manager = serializers.CharField(
        max_length=254,
        required=False,
        allow_blank=True,
        help_text="e-mail of a manager or admin; defaults to the caller (staff) or the "
        "tenant's first administrator",
    )
    tier = serializers.CharField(max_length=64, required=False, allow_blank=True, allow_null=True)
    status = serializers.ChoiceField(choices=PartnerStatus.choices, required=False)
    status_reason = serializers.CharField(required=False, allow_blank=True, write_only=True)
    roles = serializers.CharField(required=False, allow_blank=True)
    responsibilities = serializers.CharField(required=False, allow_blank=True)
    benefits = serializers.CharField(required=False, allow_blank=True)
    notes = serializers.CharField(required=False, allow_blank=True)
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False)
