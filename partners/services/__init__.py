"""Writes of the partner registry. Every door (UI, API, import, commands, tasks)
comes through here, so validation, lifecycle rules and the audit trail hold for all:
partners, their lifecycle and DNS (registry); their contacts, the products, the tiers
and partner users' links (catalogue).

The names below are importable from `partners.services` as they were before the split.
"""

from .catalogue import (
    CONTACT_FIELDS,
    PRODUCT_FIELDS,
    TIER_FIELDS,
    ProductInUse,
    contact_create,
    contact_delete,
    contact_update,
    partner_user_create,
    partner_user_link,
    partner_user_link_errors,
    product_create,
    product_delete,
    product_update,
    tier_create,
    tier_delete,
    tier_update,
)
from .registry import (
    ALWAYS_ALLOWED,
    RESERVED_REFS,
    TRANSITIONS,
    allowed_transitions,
    partner_create,
    partner_delete,
    partner_dns_check,
    partner_dns_detect,
    partner_transition,
    partner_update,
    partners_reassign,
    transition_problem,
)

__all__ = [
    "ALWAYS_ALLOWED",
    "CONTACT_FIELDS",
    "PRODUCT_FIELDS",
    "RESERVED_REFS",
    "TIER_FIELDS",
    "TRANSITIONS",
    "ProductInUse",
    "allowed_transitions",
    "contact_create",
    "contact_delete",
    "contact_update",
    "partner_create",
    "partner_delete",
    "partner_dns_check",
    "partner_dns_detect",
    "partner_transition",
    "partner_update",
    "partner_user_create",
    "partner_user_link",
    "partner_user_link_errors",
    "partners_reassign",
    "product_create",
    "product_delete",
    "product_update",
    "tier_create",
    "tier_delete",
    "tier_update",
    "transition_problem",
]
