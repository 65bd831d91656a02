"""Writes of the partner registry itself: partners, their lifecycle, manager
reassignment and DNS. Every door (UI, API, import, commands, tasks) comes through
here, so validation, lifecycle rules and the audit trail hold for all.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from prm.accounts.models import STAFF_ROLES, User
from prm.errors import Errors
from prm.webhooks.models import WebhookEvent
from prm.webhooks.services import webhook_emit

from .. import dns, policies
from ..fields import EDITABLE_FIELDS, TEXT_FIELDS
from ..models import Partner, PartnerStatus, Product, StatusChange, Tier
from ..validators import clean_tags, normalize_dns_server, normalize_domain, parse_phone

# Lifecycle: prospect → onboarding → active → affiliate; any → suspended or terminated;
# suspended → active. Terminated is final.
TRANSITIONS: dict[str, frozenset[str]] = {
    PartnerStatus.PROSPECT: frozenset({PartnerStatus.ONBOARDING}),
    PartnerStatus.ONBOARDING: frozenset({PartnerStatus.ACTIVE}),
    PartnerStatus.ACTIVE: frozenset({PartnerStatus.AFFILIATE}),
    PartnerStatus.AFFILIATE: frozenset(),
    PartnerStatus.SUSPENDED: frozenset({PartnerStatus.ACTIVE}),
    PartnerStatus.TERMINATED: frozenset(),
}
ALWAYS_ALLOWED = frozenset({PartnerStatus.SUSPENDED, PartnerStatus.TERMINATED})

# Refs that would read as page names under /partners/.
RESERVED_REFS = frozenset({"new", "import", "export", "reassign", "mine", "tiers", "products"})


def allowed_transitions(status: str) -> list[str]:
    if status == PartnerStatus.TERMINATED:
        return []
    moves = set(TRANSITIONS[status]) | (ALWAYS_ALLOWED - {status})
    return [choice for choice in PartnerStatus.values if choice in moves]


def _resolve_manager(value: Any, errors: Errors) -> User | None:
    if isinstance(value, User):
        user: User | None = value
    else:
        email = str(value or "").strip().lower()
        if not email:
            errors.add("channel_manager", "Every partner needs a channel manager.")
            return None
        user = User.objects.filter(email__iexact=email).first()
        if user is None:
            errors.add("channel_manager", f"There is no user with e-mail {email}.")
            return None
    assert user is not None
    if user.role not in STAFF_ROLES or not user.is_active:
        errors.add(
            "channel_manager",
            f"{user.email} cannot manage partners: a channel manager must be an active "
            "manager or administrator.",
        )
        return None
    return user


def _resolve_sla(value: Any, errors: Errors) -> Any:
    directory = policies.directory()
    if isinstance(value, directory.model):
        return value
    slug = str(value or "").strip()
    if not slug:
        return directory.default()
    policy = directory.by_slug(slug)
    if policy is None:
        errors.add("sla", f"There is no SLA policy “{slug}”.")
    return policy


def _resolve_tier(value: Any, errors: Errors) -> Tier | None:
    if value is None or isinstance(value, Tier):
        return value
    slug = str(value).strip()
    if not slug:
        return None
    tier = Tier.objects.filter(slug=slug).first()
    if tier is None:
        errors.add("tier", f"There is no tier “{slug}”.")
    return tier


def _resolve_products(values: Iterable[Any], errors: Errors) -> list[Product]:
    items = list(values or [])
    products = [item for item in items if isinstance(item, Product)]
    skus = [
        str(item).strip() for item in items if not isinstance(item, Product) and str(item).strip()
    ]
    if skus:
        found = {product.sku: product for product in Product.objects.filter(sku__in=skus)}
        missing = [sku for sku in skus if sku not in found]
        if missing:
            errors.add("products", f"Unknown product SKU: {', '.join(missing)}.")
        products += [found[sku] for sku in skus if sku in found]
    return list({product.pk: product for product in products}.values())


def _apply(partner: Partner, fields: Mapping[str, Any], errors: Errors) -> list[Product] | None:
    """Normalise and set `fields` on `partner`; returns the products to set, if given."""
    unknown = set(fields) - EDITABLE_FIELDS
    if unknown:
        raise TypeError(f"not partner fields: {', '.join(sorted(unknown))}")
    for name in TEXT_FIELDS:
        if name in fields:
            setattr(partner, name, str(fields[name] or "").strip())
    # On creation and on renaming alike.
    if "ref" in fields and partner.ref in RESERVED_REFS:
        errors.add("ref", f"“{partner.ref}” is a page name here; choose another ref.")
    if "country" in fields:
        partner.country = str(fields["country"] or "").strip().upper()
    country = str(partner.country or "") or None
    for name in ("phone", "contact_phone"):
        # Parsed again when only the country changes: the region reads local numbers.
        if name in fields or "country" in fields:
            raw = fields.get(name, getattr(partner, name))
            try:
                setattr(partner, name, parse_phone(raw, country))
            except ValidationError as error:
                errors.absorb(name, error)
    if "domain" in fields:
        try:
            partner.domain = normalize_domain(str(fields["domain"] or ""))
        except ValidationError as error:
            errors.absorb("domain", error)
    for name in ("primary_dns", "secondary_dns"):
        if name in fields:
            try:
                setattr(partner, name, normalize_dns_server(str(fields[name] or "")))
            except ValidationError as error:
                errors.absorb(name, error)
    if "tags" in fields:
        raw_tags = fields["tags"]
        if isinstance(raw_tags, str):
            raw_tags = raw_tags.replace(";", ",").split(",")
        try:
            partner.tags = clean_tags(list(raw_tags or []))
        except ValidationError as error:
            errors.absorb("tags", error)
    if "channel_manager" in fields or partner.channel_manager_id is None:
        manager = _resolve_manager(fields.get("channel_manager"), errors)
        if manager is not None:
            partner.channel_manager = manager
    if "sla" in fields or partner.sla_id is None:
        policy = _resolve_sla(fields.get("sla"), errors)
        if policy is not None:
            partner.sla = policy
    if "tier" in fields:
        partner.tier = _resolve_tier(fields["tier"], errors)
    if "products" in fields:
        return _resolve_products(fields["products"], errors)
    return None


def _validate_model(partner: Partner, errors: Errors) -> None:
    exclude = [name for name in errors if name != "__all__"]
    exclude += (
        ["sla", "channel_manager"]
        if partner.sla_id is None or partner.channel_manager_id is None
        else []
    )
    try:
        partner.full_clean(exclude=exclude)
    except ValidationError as error:
        for field, messages in error.message_dict.items():
            target = (
                "domain" if "domain" in " ".join(messages).lower() and field == "__all__" else field
            )
            for message in messages:
                errors.add(target, message)


def _record_status(
    partner: Partner, *, from_status: str, to_status: str, actor: User | None, reason: str
) -> None:
    StatusChange.objects.create(
        partner=partner,
        from_status=from_status,
        to_status=to_status,
        changed_by=actor,
        changed_at=timezone.now(),
        reason=reason,
    )


def partner_create(
    *, actor: User | None, status: str = PartnerStatus.PROSPECT, reason: str = "", **fields: Any
) -> Partner:
    """Create a partner; ValidationError lists every problem by field and saves nothing."""
    errors = Errors()
    partner = Partner()
    if status not in PartnerStatus.values:
        errors.add(
            "status", f"“{status}” is not a status; use one of {', '.join(PartnerStatus.values)}."
        )
    else:
        partner.status = status
    products = _apply(partner, fields, errors)
    for required in ("ref", "name"):
        if not getattr(partner, required):
            errors.pop(required, None)
            errors.add(required, "This field is required.")
    _validate_model(partner, errors)
    errors.raise_if_any()
    with transaction.atomic():
        partner._history_user = actor  # type: ignore[attr-defined]
        partner.save()
        if products is not None:
            partner.products.set(products)
        _record_status(
            partner,
            from_status="",
            to_status=partner.status,
            actor=actor,
            reason=reason or "created",
        )
        webhook_emit(event=WebhookEvent.PARTNER_CREATED, data=_event_data(partner))
    return partner


def partner_update(
    *,
    partner: Partner,
    actor: User | None,
    status: str | None = None,
    reason: str = "",
    **fields: Any,
) -> Partner:
    """Change fields (and, through the lifecycle rules, the status) of a partner."""
    errors = Errors()
    products = _apply(partner, fields, errors)
    _validate_model(partner, errors)
    if status is not None and status != partner.status:
        problem = transition_problem(partner.status, status)
        if problem:
            errors.add("status", problem)
    errors.raise_if_any()
    with transaction.atomic():
        if fields:  # a status-only update is one save, by the transition (one audit entry)
            partner._history_user = actor  # type: ignore[attr-defined]
            partner.save()
            webhook_emit(
                event=WebhookEvent.PARTNER_UPDATED,
                data={**_event_data(partner), "fields": sorted(fields)},
            )
        if products is not None:
            partner.products.set(products)
        if status is not None and status != partner.status:
            partner_transition(partner=partner, to_status=status, actor=actor, reason=reason)
    return partner


def transition_problem(from_status: str, to_status: str) -> str:
    """Why a partner cannot move from one status to another, or "" when it can."""
    if to_status not in PartnerStatus.values:
        return f"“{to_status}” is not a status; use one of {', '.join(PartnerStatus.values)}."
    if to_status == from_status:
        return f"The partner is already {PartnerStatus(to_status).label.lower()}."
    allowed = allowed_transitions(from_status)
    if to_status not in allowed:
        label = PartnerStatus(from_status).label.lower()
        if not allowed:
            return f"A {label} partner cannot change status."
        names = ", ".join(PartnerStatus(choice).label.lower() for choice in allowed)
        return f"A {label} partner can only become {names}."
    return ""


def partner_transition(
    *, partner: Partner, to_status: str, actor: User | None, reason: str = ""
) -> Partner:
    problem = transition_problem(partner.status, to_status)
    if problem:
        raise ValidationError({"status": [problem]})
    with transaction.atomic():
        locked = Partner.objects.select_for_update().get(pk=partner.pk)
        problem = transition_problem(locked.status, to_status)
        if problem:  # someone else moved it meanwhile
            raise ValidationError({"status": [problem]})
        from_status = locked.status
        partner.status = to_status
        partner._history_user = actor  # type: ignore[attr-defined]
        partner.save(update_fields=["status", "updated_at"])
        _record_status(
            partner, from_status=from_status, to_status=to_status, actor=actor, reason=reason
        )
        webhook_emit(
            event=WebhookEvent.PARTNER_STATUS_CHANGED,
            data={**_event_data(partner), "from": from_status, "to": to_status, "reason": reason},
        )
    return partner


def _event_data(partner: Partner) -> dict[str, Any]:
    return {"ref": partner.ref, "name": partner.name, "status": partner.status}


def partner_delete(*, partner: Partner, actor: User | None) -> None:
    """Remove a partner entered by mistake. Its audit history stays."""
    with transaction.atomic():
        partner._history_user = actor  # type: ignore[attr-defined]
        partner.delete()


def partners_reassign(
    *, partners: Iterable[Partner], manager: User | str, actor: User | None
) -> int:
    """Give every partner in `partners` the same channel manager; returns how many changed."""
    errors = Errors()
    new_manager = _resolve_manager(manager, errors)
    errors.raise_if_any()
    assert new_manager is not None
    changed = 0
    with transaction.atomic():
        for partner in partners:
            if partner.channel_manager_id == new_manager.pk:
                continue
            partner.channel_manager = new_manager
            partner._history_user = actor  # type: ignore[attr-defined]
            partner.save(update_fields=["channel_manager", "updated_at"])
            changed += 1
    return changed


def partner_dns_check(*, partner: Partner) -> Partner:
    """Look the domain's name servers up and store the outcome (within the DNS lifetime)."""
    if not partner.domain:
        raise ValidationError({"domain": ["The partner has no domain to check; add one first."]})
    lookup = dns.lookup_nameservers(partner.domain)
    partner.dns_status = dns.compare(lookup, [partner.primary_dns, partner.secondary_dns])
    partner.dns_nameservers = lookup.nameservers
    partner.dns_error = lookup.error[:500]
    partner.dns_checked_at = timezone.now()
    Partner.objects.filter(pk=partner.pk).update(
        dns_status=partner.dns_status,
        dns_nameservers=partner.dns_nameservers,
        dns_error=partner.dns_error,
        dns_checked_at=partner.dns_checked_at,
    )
    return partner


def partner_dns_detect(*, partner: Partner, actor: User | None) -> Partner:
    """Fill empty primary and secondary DNS from the lookup, then store the check."""
    partner_dns_check(partner=partner)
    found = partner.dns_nameservers
    fill: dict[str, str] = {}
    candidates = [
        name for name in found if name not in (partner.primary_dns, partner.secondary_dns)
    ]
    for field in ("primary_dns", "secondary_dns"):
        if not getattr(partner, field) and candidates:
            fill[field] = candidates.pop(0)
    if fill:
        partner_update(partner=partner, actor=actor, **fill)
        partner_dns_check(partner=partner)
    return partner
