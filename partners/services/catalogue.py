"""Writes of what the registry's partners hang on: their contacts, the product
catalogue, the tiers with their programme terms, and partner users' links to their
partner (the people pages and API compose these with prm.accounts' services)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DEFAULT_DB_ALIAS, transaction
from django.db.models import ProtectedError
from django.db.models.deletion import Collector

from prm.accounts.models import Role, User
from prm.accounts.services import user_create
from prm.errors import Errors

from ..models import Contact, Partner, PartnerStatus, PartnerUser, Product, Tier
from ..validators import parse_phone

CONTACT_FIELDS = frozenset({"name", "role", "title", "email", "phone", "notes"})


def _contact_apply(contact: Contact, fields: Mapping[str, Any], errors: Errors) -> None:
    unknown = set(fields) - CONTACT_FIELDS
    if unknown:
        raise TypeError(f"not contact fields: {', '.join(sorted(unknown))}")
    for name in ("name", "role", "title", "email", "notes"):
        if name in fields:
            setattr(contact, name, str(fields[name] or "").strip())
    if "phone" in fields:
        try:
            contact.phone = parse_phone(fields["phone"], str(contact.partner.country or "") or None)
        except ValidationError as error:
            errors.absorb("phone", error)
    try:
        contact.full_clean(exclude=list(errors))
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            for message in messages:
                errors.add(field, message)


def contact_create(*, partner: Partner, actor: User | None, **fields: Any) -> Contact:
    errors = Errors()
    contact = Contact(partner=partner)
    _contact_apply(contact, fields, errors)
    errors.raise_if_any()
    contact._history_user = actor  # type: ignore[attr-defined]
    contact.save()
    return contact


def contact_update(*, contact: Contact, actor: User | None, **fields: Any) -> Contact:
    errors = Errors()
    _contact_apply(contact, fields, errors)
    errors.raise_if_any()
    contact._history_user = actor  # type: ignore[attr-defined]
    contact.save()
    return contact


def contact_delete(*, contact: Contact, actor: User | None) -> None:
    contact._history_user = actor  # type: ignore[attr-defined]
    contact.delete()


def _simple_save(
    instance: Any, fields: Mapping[str, Any], allowed: set[str], actor: User | None
) -> Any:
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"unknown fields: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(instance, name, value.strip() if isinstance(value, str) else value)
    instance.full_clean()
    instance._history_user = actor
    instance.save()
    return instance


PRODUCT_FIELDS = {"sku", "name", "description", "is_active"}
TIER_FIELDS = {"slug", "name", "rank", "roles", "responsibilities", "benefits"}


def product_create(*, actor: User | None, **fields: Any) -> Product:
    return _simple_save(Product(), fields, PRODUCT_FIELDS, actor)


def product_update(*, product: Product, actor: User | None, **fields: Any) -> Product:
    return _simple_save(product, fields, PRODUCT_FIELDS, actor)


class ProductInUse(ProtectedError):
    """A product that partners offer or that activity on record names: it cannot be
    deleted, only retired. A ProtectedError, so the API answers 409 as for any object
    still in use; `message` is the sentence for people."""

    def __init__(self, product: Product, used_by: Iterable[Any], partners: int, records: bool):
        uses = []
        if partners:
            uses.append(f"{partners} partner{' offers' if partners == 1 else 's offer'} it")
        if records:
            uses.append("orders or inventory on record name it")
        self.message = (
            f"“{product.name}” cannot be deleted: {' and '.join(uses)}. Retire it instead: "
            "it then stays on those records but is no longer offered for new partners."
        )
        super().__init__(self.message, set(used_by))


def product_delete(*, product: Product, actor: User | None) -> None:
    """Remove a product nothing refers to. One that partners offer, or that orders or
    inventory name (their foreign keys protect it), is refused with ProductInUse and
    stays as it was; the records come first in what it names, as Django's own
    ProtectedError would."""
    collector = Collector(using=DEFAULT_DB_ALIAS, origin=product)
    try:
        collector.collect([product])
        records: set[Any] = set()
    except ProtectedError as error:
        records = set(error.protected_objects)
    partners = product.partners.count()
    if records or partners:
        # The API names the kinds of what uses it; one partner says "partners".
        used_by = records or set(product.partners.all()[:1])
        raise ProductInUse(product, used_by, partners, bool(records))
    with transaction.atomic():
        product._history_user = actor  # type: ignore[attr-defined]
        product.delete()


def tier_create(*, actor: User | None, **fields: Any) -> Tier:
    return _simple_save(Tier(), fields, TIER_FIELDS, actor)


def tier_update(*, tier: Tier, actor: User | None, **fields: Any) -> Tier:
    return _simple_save(tier, fields, TIER_FIELDS, actor)


def tier_delete(*, tier: Tier, actor: User | None) -> None:
    """Remove a tier no partner has; ValidationError naming how many still have it."""
    in_use = tier.partners.count()
    if in_use:
        raise ValidationError(
            f"{in_use} partner{' has' if in_use == 1 else 's have'} the tier “{tier.name}”; "
            "move them to another tier first."
        )
    tier._history_user = actor  # type: ignore[attr-defined]
    tier.delete()


def partner_user_create(
    *, email: str, password: str | None, partner_ref: str, full_name: str = ""
) -> User:
    """A portal user for one partner; the partner must exist."""
    partner = Partner.objects.filter(ref=partner_ref).first()
    if partner is None:
        raise ValidationError({"partner": [f'There is no partner with ref "{partner_ref}".']})
    with transaction.atomic():
        user = user_create(email=email, password=password, role=Role.PARTNER, full_name=full_name)
        PartnerUser.objects.create(user=user, partner=partner)
    return user


# --- a partner user's link to its partner (the people pages and API compose it) ---------


def partner_user_link_errors(
    *, role: str, partner: Partner | None, current: Partner | None = None
) -> list[str]:
    """What is wrong with giving a user of `role` the partner `partner`, if anything:
    a partner user needs one partner, nobody else has one, and a terminated partner
    takes no new users (`current` is the partner the user has now)."""
    if role == Role.PARTNER and partner is None:
        return ["A partner user sees the portal of one partner: choose which."]
    if role != Role.PARTNER and partner is not None:
        return [
            "Only partner users are linked to a partner: choose the role “Partner user”, "
            "or leave the partner empty."
        ]
    if (
        partner is not None
        and partner.status == PartnerStatus.TERMINATED
        and (current is None or current.pk != partner.pk)
    ):
        return [f"{partner.name} is terminated; link the user to a current partner."]
    return []


def partner_user_link(*, user: User, partner: Partner | None) -> None:
    """Link a partner user to its one partner (or move it), or unlink a user who is no
    longer a partner user (`partner=None`). ValidationError naming `partner`."""
    link = PartnerUser.objects.filter(user=user).select_related("partner").first()
    current = link.partner if link is not None else None
    if problems := partner_user_link_errors(role=user.role, partner=partner, current=current):
        raise ValidationError({"partner": problems})
    if partner is None:
        if link is not None:
            link.delete()
    elif link is None:
        PartnerUser.objects.create(user=user, partner=partner)
    elif link.partner_id != partner.pk:
        link.partner = partner
        link.save(update_fields=["partner"])
