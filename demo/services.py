"""The demo tenant: one user per role now; each domain app adds its realistic data.

Seeding is idempotent: a tenant that exists keeps its data, so the run command
reuses what the last run left; only the demo logins are put back as the run command
prints them (created if missing, password and role restored).
"""

from datetime import datetime

from django.db import transaction
from django_tenants.utils import tenant_context

from demo.activity import activity_seed
from demo.registry import DEMO_PARTNER_REF, MANAGER_PASSWORD, extra_managers, registry_seed
from partners.models import Partner
from partners.services import partner_user_create
from prm.accounts.models import ApiKey, Role, Scope, User
from prm.accounts.services import api_key_create, user_create
from prm.tenancy.models import Tenant
from prm.tenancy.selectors import tenant_get_by_slug
from prm.tenancy.services import TenantAdmin, tenant_provision
from reporting.models import Order


def demo_logins(slug: str) -> list[tuple[str, str, str, str]]:
    """(role, e-mail, password, full name) of the demo users: the admin, every channel
    manager of the demo's partners (one password for all) and the portal user."""
    return [
        (Role.ADMIN, f"admin@{slug}.test", "Orchard-Admin-2026", "Alex Admin"),
        (Role.MANAGER, f"manager@{slug}.test", MANAGER_PASSWORD, "Morgan Manager"),
        *[
            (Role.MANAGER, email, MANAGER_PASSWORD, name)
            for email, name in extra_managers(f"{slug}.test")
        ],
        (Role.PARTNER, f"partner@{slug}.test", "Orchard-Portal-2026", "Pat Partner"),
    ]


def _ensure_login(role: str, email: str, password: str, full_name: str, partner_ref: str) -> None:
    user = User.objects.filter(email=email).first()
    if user is not None:
        if not user.check_password(password) or not user.is_active:
            user.set_password(password)
            user.is_active = True
            user.save(update_fields=["password", "is_active", "updated_at"])
        return
    if role == Role.PARTNER:
        partner_user_create(
            email=email, password=password, partner_ref=partner_ref, full_name=full_name
        )
    else:
        user_create(email=email, password=password, role=role, full_name=full_name)


def demo_seed(*, slug: str, name: str) -> Tenant:
    tenant = tenant_get_by_slug(slug=slug)
    if tenant is None:
        _role, admin_email, admin_password, _name = demo_logins(slug)[0]
        tenant = tenant_provision(
            slug=slug, name=name, admin=TenantAdmin(email=admin_email, password=admin_password)
        )
    with tenant_context(tenant):
        demo_fill(slug=slug)
    return tenant


def demo_fill(*, slug: str, now: datetime | None = None) -> None:
    """Put the demo logins back and, in a tenant without partners or orders yet, seed
    the registry and its history up to `now` (default: now); the current tenant's."""
    logins = demo_logins(slug)
    staff = [login for login in logins if login[0] != Role.PARTNER]
    partners = [login for login in logins if login[0] == Role.PARTNER]
    with transaction.atomic():
        for login in staff:
            _ensure_login(*login, partner_ref=DEMO_PARTNER_REF)
        if not Partner.objects.exists():
            manager_email = next(email for role, email, *_ in staff if role == Role.MANAGER)
            registry_seed(lead_manager_email=manager_email, now=now)
        if not Order.objects.exists():
            activity_seed(now=now)
        for login in partners:
            _ensure_login(*login, partner_ref=DEMO_PARTNER_REF)
        if not ApiKey.objects.exists():
            # A set-up tenant has an integration (and the home's getting-started
            # checklist is done); nothing uses the key, whose clear text is not kept.
            api_key_create(name="ERP sync (demo)", scopes=[Scope.READ])
