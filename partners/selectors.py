"""Reads of the registry. Partner-scoped reads take the acting user, so a partner
user can only ever reach its own partner; an unknown or foreign ref is "not found"."""

from __future__ import annotations

from typing import Any, cast

from django.db import models
from django.db.models import Count, Prefetch, QuerySet

from prm.accounts.models import Role, User
from prm.web.markdown import markdown_to_html

from .models import Contact, Partner, PartnerStatus, Product, StatusChange, Tier


def partner_list_for_user(*, user: Any) -> QuerySet[Partner]:
    """Every partner the user may see: all for vendor staff and integrators, the own
    one for a partner user, none for anyone else (fails closed)."""
    partners = Partner.objects.select_related("channel_manager", "tier", "sla").prefetch_related(
        Prefetch("products", queryset=Product.objects.order_by("sku"))
    )
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return partners.none()
    if user.role in (Role.ADMIN, Role.MANAGER, Role.INTEGRATOR):
        return partners
    if user.role == Role.PARTNER:
        return partners.filter(users__user=user)
    return partners.none()


def partner_get_for_user(*, user: Any, ref: str) -> Partner:
    """The partner `ref` if the user may see it; Partner.DoesNotExist otherwise."""
    return partner_list_for_user(user=user).get(ref=ref)


def partner_for_portal_user(*, user: User) -> Partner | None:
    link = getattr(user, "partner_link", None)
    return link.partner if link is not None else None


def contact_list(*, partner: Partner) -> QuerySet[Contact]:
    return partner.contacts.all()


def status_change_list(*, partner: Partner) -> QuerySet[StatusChange]:
    return partner.status_changes.select_related("changed_by")


def product_list() -> QuerySet[Product]:
    return Product.objects.all()


def product_list_with_usage() -> QuerySet[Product]:
    """Every product, offered ones first, each with how many partners offer it
    (`partner_count`), for the products page."""
    return Product.objects.annotate(partner_count=Count("partners")).order_by(
        "-is_active", "name", "sku"
    )


def tier_list() -> QuerySet[Tier]:
    # Ordered here: a GROUP BY query (the count) does not use the model's ordering.
    return Tier.objects.annotate(partner_count=Count("partners")).order_by("-rank", "name")


def tier_all() -> QuerySet[Tier]:
    """Every tier, for the API (which counts no partners)."""
    return Tier.objects.all()


def channel_manager_list() -> QuerySet[User]:
    return User.objects.filter(role__in=[Role.ADMIN, Role.MANAGER], is_active=True).order_by(
        "full_name", "email"
    )


def partner_status_counts(partners: QuerySet[Partner]) -> dict[str, int]:
    counts = dict(partners.order_by().values_list("status").annotate(count=Count("id")))
    return {status: counts.get(status, 0) for status in PartnerStatus.values}


def audit_entries(*, partner: Partner, limit: int = 100) -> list[dict[str, Any]]:
    """Who changed what and when: the partner's history and its contacts', newest first,
    each with the fields that changed from what to what."""
    entries: list[dict[str, Any]] = []
    for history in (
        partner.history.select_related("history_user").order_by("-history_date")[:limit],
        Contact.history.filter(partner_id=partner.pk)
        .select_related("history_user")
        .order_by("-history_date")[:limit],
    ):
        for record in history:
            entry = _audit_entry(record)
            # A save that changed nothing audited (e.g. only the DNS check's fields).
            if entry["what"].endswith(" changed") and not entry["changes"]:
                continue
            entries.append(entry)
    entries.sort(key=lambda entry: entry["when"], reverse=True)
    return entries[:limit]


def _product_skus(rows: list[dict[str, Any]]) -> list[str]:
    """The m2m history's through rows ({"partner": id, "product": id}) as SKUs."""
    ids = [row["product"] for row in rows]
    skus = dict(Product.objects.filter(pk__in=ids).values_list("pk", "sku"))
    return sorted(skus.get(pk, f"#{pk} (deleted)") for pk in ids)


def _audit_entry(record: Any) -> dict[str, Any]:
    changes: list[dict[str, Any]] = []
    previous = record.prev_record
    if record.history_type == "~" and previous is not None:
        delta = record.diff_against(previous)
        for change in delta.changes:
            old, new = change.old, change.new
            if change.field == "products":
                old, new = _product_skus(old), _product_skus(new)
            changes.append({"field": change.field, "old": old, "new": new})
    model = record.instance_type._meta.verbose_name
    action = {"+": "created", "~": "changed", "-": "deleted"}[record.history_type]
    return {
        "when": record.history_date,
        "who": record.history_user,
        "what": f"{model} {action}",
        "object": str(record.instance) if record.history_type != "-" else record.history_object,
        "changes": changes,
    }


def default_channel_manager(actor: Any) -> User | None:
    """Who manages a partner created by `actor` when no one is named: the actor if
    vendor staff, else the tenant's first administrator."""
    if isinstance(actor, User) and actor.is_channel_staff:
        return actor
    return User.objects.filter(role=Role.ADMIN, is_active=True).order_by("created_at", "pk").first()


def partner_only(partner: Partner) -> QuerySet[Partner]:
    """One partner as a queryset, for reads that take a set of partners (the scorecard)."""
    return Partner.objects.filter(pk=partner.pk)


def related_names(*, field: str, ids: set[Any]) -> dict[Any, str]:
    """The names of the rows a partner's foreign key `field` pointed to (by id), for
    the audit history; a row deleted since is missing."""
    rows = _related_model(field)._default_manager.filter(pk__in=ids)
    return {obj.pk: str(obj) for obj in rows}


def _related_model(field: str) -> type[models.Model]:
    # The model a partner's foreign key points to, known to the registry by the field
    # alone (the SLA policy is a higher app's, which partners does not import).
    return cast(type[models.Model], Partner._meta.get_field(field).related_model)


TERMS = ("roles", "responsibilities", "benefits")


def programme_terms(
    *, partner: Partner, labels: dict[str, str], own_source: str
) -> list[dict[str, Any]]:
    """The partner's roles, responsibilities and benefits, each its own where set, else
    its tier's programme terms, rendered from Markdown and sanitised; `source` says
    whose they are (`own_source` for the partner's own, "tier", or "" for none)."""
    return [
        {
            "field": field,
            "label": labels[field],
            "html": markdown_to_html(getattr(partner, f"effective_{field}")),
            "source": own_source if getattr(partner, field) else ("tier" if partner.tier else ""),
        }
        for field in TERMS
    ]


def partner_counts_by_manager() -> dict[int, int]:
    """How many current (not terminated) partners each channel manager answers for, by
    the manager's user id (one query)."""
    return dict(
        Partner.objects.exclude(status=PartnerStatus.TERMINATED)
        .order_by()
        .values("channel_manager")
        .annotate(partners=Count("id"))
        .values_list("channel_manager", "partners")
    )


def partner_count_managed(*, user: Any) -> int:
    """How many current (not terminated) partners have `user` as channel manager."""
    return (
        Partner.objects.filter(channel_manager=user)
        .exclude(status=PartnerStatus.TERMINATED)
        .count()
    )


def partner_list_of_inactive_managers() -> QuerySet[Partner]:
    """Partners (not terminated) whose channel manager is deactivated: nobody answers
    for them until they are reassigned."""
    return (
        Partner.objects.filter(channel_manager__is_active=False)
        .exclude(status=PartnerStatus.TERMINATED)
        .select_related("channel_manager")
        .order_by("channel_manager__email", "name")
    )


def inactive_manager_list() -> QuerySet[User]:
    """Deactivated people who are still some current partner's channel manager."""
    return (
        User.objects.filter(
            is_active=False,
            managed_partners__in=partner_list_of_inactive_managers().order_by().values("pk"),
        )
        .distinct()
        .order_by("full_name", "email")
    )
