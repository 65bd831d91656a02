"""One partner field spec (partners.fields): the API, the staff form, the services and
the import all name the same fields, with the same labels."""

from __future__ import annotations

from partners import fields
from partners.forms import PartnerForm
from partners.imports.reading import COLUMNS
from partners.serializers import PartnerInputSerializer


def test_the_api_takes_exactly_the_spec_fields() -> None:
    declared = set(PartnerInputSerializer().fields) - {"status_reason"}
    assert declared == {field.name for field in fields.FIELDS}


def test_the_staff_form_has_every_field_with_its_label() -> None:
    form_fields = PartnerForm.base_fields
    assert set(form_fields) == {field.name for field in fields.FIELDS}
    assert {name: form_fields[name].label for name in form_fields} == {
        field.name: field.label for field in fields.FIELDS
    }


def test_the_import_columns_are_the_spec_in_its_order() -> None:
    assert tuple(field.name for field in fields.FIELDS) == COLUMNS
