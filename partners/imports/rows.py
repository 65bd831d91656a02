"""The row pass: each row of a file checked (the dry run) or written through
partner_create / partner_update, with its errors in the words people read.

Speed: product SKUs, SLA slugs, tiers and channel managers named in the file are
looked up once per job and handed to the services as objects, and existing partners
once per chunk; the services still check every one of them (a manager who is not
staff is refused) and look up, per row, only what the batch did not find, to word the
error. Rows therefore cost the inserts of a partner and its audit trail, no lookups.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.db.models.functions import Lower
from django.db.models.signals import pre_save
from django.dispatch import receiver
from rest_framework import serializers

from partners import policies
from partners.models import ImportJob, ImportMode, Partner, PartnerStatus, Product, Tier
from partners.selectors import default_channel_manager
from partners.serializers import PartnerInputSerializer
from partners.services import partner_create, partner_update
from partners.validators import normalize_domain
from prm.accounts.models import User

from .changes import row_changes
from .reading import LIST_COLUMNS, SheetRow

# The key of an error of the row as a whole (Django's NON_FIELD_ERRORS).
ROW_ERROR = "__all__"
# Fields whose check reads another field: not reported when that one is refused
# (a national phone number is read in the row's country).
READS = {"phone": "country", "contact_phone": "country"}


def split_list(value: str) -> list[str]:
    return [item.strip() for item in value.replace(";", ",").split(",") if item.strip()]


def _row_data(values: dict[str, str]) -> dict[str, Any]:
    """The row as the API would receive it. An empty cell is left out: a new partner
    gets the default, an existing one keeps what it has."""
    data: dict[str, Any] = {}
    for column, value in values.items():
        if not value:
            continue
        if column in LIST_COLUMNS:
            data[column] = split_list(value)
        elif column == "status":
            data[column] = value.lower()
        else:
            data[column] = value
    return data


def _flatten(errors: Any, prefix: str = "") -> list[str]:
    if isinstance(errors, dict):
        return [
            message
            for key, inner in errors.items()
            for message in _flatten(inner, f"{prefix}item {int(key) + 1}: ")
        ]
    if isinstance(errors, list):
        return [message for inner in errors for message in _flatten(inner, prefix)]
    return [f"{prefix}{errors}"]


def _serializer_errors(errors: dict[str, Any]) -> dict[str, list[str]]:
    return {
        ROW_ERROR if name == "non_field_errors" else name: _flatten(inner)
        for name, inner in errors.items()
    }


def _validation_messages(error: ValidationError) -> dict[str, list[str]]:
    if hasattr(error, "error_dict"):
        return {name: list(messages) for name, messages in error.message_dict.items()}
    return {ROW_ERROR: list(error.messages)}


def in_file_duplicates(rows: Iterable[SheetRow]) -> dict[int, dict[str, list[str]]]:
    """Rows repeating the ref or the domain of an earlier row: row number -> errors."""
    found: dict[int, dict[str, list[str]]] = {}
    first_by_ref: dict[str, int] = {}
    first_by_domain: dict[str, int] = {}
    for row in rows:
        if row.ref:
            first = first_by_ref.setdefault(row.ref, row.number)
            if first != row.number:
                found.setdefault(row.number, {})["ref"] = [
                    f"Row {first} has the same ref “{row.ref}”; a ref may appear only once "
                    "in a file."
                ]
        try:
            domain = normalize_domain(row.values.get("domain", ""))
        except ValidationError:
            continue  # the row's own check reports it
        if domain:
            first = first_by_domain.setdefault(domain, row.number)
            if first != row.number:
                found.setdefault(row.number, {})["domain"] = [
                    f"Row {first} has the same domain “{domain}”; each partner needs its "
                    "own domain."
                ]
    return found


class _EveryCheckPassed(Exception):
    """Raised in a dry run where partner_create / partner_update is about to write."""


_dry_run: ContextVar[bool] = ContextVar("partner_import_dry_run", default=False)


@receiver(pre_save, sender=Partner, dispatch_uid="partners.imports.stop_before_writing")
def _stop_before_writing(sender: type[Partner], **kwargs: Any) -> None:
    # The services save the partner first, inside their own atomic block, once every
    # check has passed; stopping here leaves nothing written and nothing unchecked.
    if _dry_run.get():
        raise _EveryCheckPassed


@contextmanager
def _stopping_before_the_first_write() -> Iterator[None]:
    token = _dry_run.set(True)
    try:
        yield
    finally:
        _dry_run.reset(token)


@dataclass
class Lookups:
    """What the rows name (managers, policies, tiers, products), fetched once per job.

    Names not found are handed to the services as they are, so that the services say
    what is wrong with them in their usual words.
    """

    default_manager: User | None
    default_policy: Any
    managers: dict[str, User]
    policies: dict[str, Any]
    tiers: dict[str, Tier]
    products: dict[str, Product]

    @classmethod
    def for_rows(cls, rows: Sequence[SheetRow], *, actor: User | None) -> Lookups:
        def named(column: str) -> set[str]:
            return {row.values.get(column, "") for row in rows} - {""}

        emails = {email.lower() for email in named("channel_manager")}
        skus = {sku for value in named("products") for sku in split_list(value)}
        directory = policies.directory()
        return cls(
            default_manager=default_channel_manager(actor),
            default_policy=directory.default(),
            managers={
                user.email.lower(): user
                for user in User.objects.annotate(lower_email=Lower("email")).filter(
                    lower_email__in=emails
                )
            },
            policies=directory.by_slugs(named("sla")),
            tiers={tier.slug: tier for tier in Tier.objects.filter(slug__in=named("tier"))},
            products={product.sku: product for product in Product.objects.filter(sku__in=skus)},
        )

    def resolve(self, fields: dict[str, Any], *, creating: bool) -> None:
        """Replace the names in `fields` by the objects found, in place."""
        if "channel_manager" in fields:
            email = fields["channel_manager"]
            fields["channel_manager"] = self.managers.get(email.strip().lower(), email)
        elif creating:
            fields["channel_manager"] = self.default_manager
        if "sla" in fields:
            fields["sla"] = self.policies.get(fields["sla"], fields["sla"])
        elif creating and self.default_policy is not None:
            fields["sla"] = self.default_policy
        if fields.get("tier"):
            fields["tier"] = self.tiers.get(fields["tier"], fields["tier"])
        if "products" in fields:
            fields["products"] = [self.products.get(sku, sku) for sku in fields["products"]]


def _merge(errors: dict[str, list[str]], more: dict[str, list[str]]) -> None:
    """Add the errors of a later check, except for fields already refused (or read
    from a refused field): a field is reported once, by its first check."""
    for name, messages in more.items():
        if name in errors and name != ROW_ERROR:
            continue
        if READS.get(name) in errors:
            continue
        errors.setdefault(name, []).extend(messages)


@dataclass
class RowPass:
    """One pass over rows: checking them (dry run) or writing them.

    Every error of a row is found in one pass: the serializer's type checks, and the
    services' checks of the fields the serializer let through (run stopped before
    their first write when the row already has errors, so a bad row writes nothing
    in either pass). An existing partner is compared with its row first
    (partners.imports.changes): a row holding nothing new is counted unchanged and
    never reaches partner_update, so it writes no history and emits no webhook, and
    a changed one passes only the fields that change.
    """

    job: ImportJob
    lookups: Lookups
    duplicates: dict[int, dict[str, list[str]]]
    dry_run: bool
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[dict[str, Any]] = field(default_factory=list)
    # Existing partners the pass changes: {"row", "ref", "changes": {field: [old, new]}}.
    changes: list[dict[str, Any]] = field(default_factory=list)
    # One serializer for every row: building its fields anew per row costs more than
    # checking the row.
    _creating: PartnerInputSerializer = field(default_factory=PartnerInputSerializer)
    _updating: PartnerInputSerializer = field(
        default_factory=lambda: PartnerInputSerializer(partial=True)
    )

    def run(self, rows: Sequence[SheetRow]) -> None:
        refs = [row.ref for row in rows if row.ref]
        existing = {
            partner.ref: partner
            for partner in Partner.objects.filter(ref__in=refs)
            .select_related("sla", "tier", "channel_manager")
            .prefetch_related("products")
        }
        for row in rows:
            self._row(row, existing.get(row.ref))

    def _fail(self, row: SheetRow, errors: dict[str, list[str]]) -> None:
        self.errors.append({"row": row.number, "ref": row.ref, "errors": errors})

    def _before_the_services(self, row: SheetRow, partner: Partner | None) -> dict[str, list[str]]:
        """The row's errors found without the services: in the file, and its mode."""
        duplicates = self.duplicates.get(row.number, {})
        errors = {name: list(messages) for name, messages in duplicates.items()}
        if row.stray_values:
            errors.setdefault(ROW_ERROR, []).append(
                "This row has values right of the last named column; name that column "
                "or remove the values."
            )
        if row.derived_ref and not row.ref and row.values.get("name"):
            errors.setdefault("ref", []).append(
                f"No ref can be made from the name “{row.values['name']}” (refs are "
                "letters, digits, - and _); add a column with the refs."
            )
        return errors

    def _typed(
        self, data: dict[str, Any], partner: Partner | None, errors: dict[str, list[str]]
    ) -> dict[str, Any]:
        """The row's fields as the serializer reads them; the fields it refuses go to
        `errors` and are left out, so that the services check the others."""
        serializer = self._updating if partner is not None else self._creating
        try:
            return dict(serializer.run_validation(data))
        except serializers.ValidationError as error:
            refused = _serializer_errors(error.detail)  # type: ignore[arg-type]
        _merge(errors, refused)
        rest = {name: value for name, value in data.items() if name not in refused}
        try:
            # Partial: a required field refused above is not "missing" as well.
            return dict(self._updating.run_validation(rest))
        except serializers.ValidationError:  # pragma: no cover - the fields passed once
            return {}

    def _row(self, row: SheetRow, partner: Partner | None) -> None:
        errors = self._before_the_services(row, partner)
        fields = self._typed(_row_data(row.values), partner, errors)
        status = fields.pop("status", None)
        fields.pop("status_reason", None)
        changes: dict[str, list[str]] = {}
        if partner is not None:
            changes = row_changes(partner, fields, status)
            fields = {name: value for name, value in fields.items() if name in changes}
            if "status" not in changes:
                status = None
            if not changes and not errors:
                self.unchanged += 1
                return
            if self.job.mode == ImportMode.CREATE:
                # A partner already as the file has it is unchanged in either mode (so
                # a list's own export imports as "0 changes"); one the file changes
                # cannot be imported in this mode.
                made = " (made from its name)" if row.derived_ref else ""
                errors.setdefault("ref", []).append(
                    f"A partner with ref “{row.ref}”{made} already exists and this row "
                    f"changes it; to update it, import with "
                    f"“{ImportMode.CREATE_OR_UPDATE.label}”."
                )
                self._fail(row, errors)
                return
        self.lookups.resolve(fields, creating=partner is None)
        actor = self.job.created_by
        reason = f"imported from {self.job.filename}"
        stop = self.dry_run or bool(errors)
        try:
            with _stopping_before_the_first_write() if stop else nullcontext():
                if partner is None:
                    partner_create(
                        actor=actor,
                        status=status or PartnerStatus.PROSPECT,
                        reason=reason,
                        **fields,
                    )
                else:
                    partner_update(
                        partner=partner, actor=actor, status=status, reason=reason, **fields
                    )
        except _EveryCheckPassed:
            pass
        except ValidationError as error:
            _merge(errors, _validation_messages(error))
        except IntegrityError as error:
            # Someone wrote a clashing partner between the check and the write.
            _merge(errors, {ROW_ERROR: [f"The database refused the row: {error}".strip()]})
        if errors:
            self._fail(row, errors)
            return
        if partner is None:
            self.created += 1
        else:
            self.updated += 1
            self.changes.append({"row": row.number, "ref": row.ref, "changes": changes})
