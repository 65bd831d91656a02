"""factory_boy factories. Use them inside a tenant schema (`in_tenant` / tenant_schema):
users, partners and keys are tenant data.

Users and API keys are made through the services (user_create, partner_user_create,
api_key_create), so tests get the same objects the UI, API and commands make.
"""

from __future__ import annotations

from typing import Any

import factory

from partners.models import Partner
from partners.services import partner_create, partner_user_create
from prm.accounts.models import ApiKey, Role, User
from prm.accounts.services import api_key_create, user_create

# Passes every AUTH_PASSWORD_VALIDATORS rule.
DEFAULT_PASSWORD = "correct-horse-battery-9"


class PartnerFactory(factory.django.DjangoModelFactory[Partner]):
    """A partner made by partner_create, so it is valid the way every door makes it.

    Its channel manager is a new manager unless `channel_manager` is given; any other
    partner field (`domain`, `country`, `products`, `status`, ...) may be passed.
    """

    class Meta:
        model = Partner

    ref = factory.Sequence(lambda n: f"partner-{n}")
    name = factory.Sequence(lambda n: f"Partner {n} Ltd")

    @classmethod
    def _create(cls, model_class: type[Partner], *args: Any, **kwargs: Any) -> Partner:
        if kwargs.get("channel_manager") is None:
            kwargs["channel_manager"] = UserFactory(role=Role.MANAGER)
        actor = kwargs.pop("actor", None)
        return partner_create(actor=actor, **kwargs)


class UserFactory(factory.django.DjangoModelFactory[User]):
    """A tenant user with `role` (admin, manager or partner) and DEFAULT_PASSWORD.

    A partner user belongs to `partner`, or to a new partner when none is given.
    """

    class Meta:
        model = User

    email = factory.Sequence(lambda n: f"person{n}@example.com")
    full_name = factory.Sequence(lambda n: f"Person {n}")
    role = Role.MANAGER
    password = DEFAULT_PASSWORD
    partner = None

    @classmethod
    def _create(cls, model_class: type[User], *args: Any, **kwargs: Any) -> User:
        role = kwargs.pop("role")
        partner: Partner | None = kwargs.pop("partner")
        common = {
            "email": kwargs.pop("email"),
            "password": kwargs.pop("password"),
            "full_name": kwargs.pop("full_name"),
        }
        if kwargs:
            raise TypeError(f"UserFactory does not know {', '.join(sorted(kwargs))}")
        if role == Role.INTEGRATOR:
            raise ValueError("Integrator users come with their API key: use ApiKeyFactory.")
        if role == Role.PARTNER:
            partner = partner or PartnerFactory.create()
            return partner_user_create(partner_ref=partner.ref, **common)
        if partner is not None:
            raise ValueError("Only partner users belong to a partner.")
        return user_create(role=role, **common)


# Typed Any: what it makes is an ApiKey with one more attribute, `key`.
class ApiKeyFactory(factory.django.DjangoModelFactory[Any]):
    """An API key; its clear text (shown once in real life) is `api_key.key`."""

    class Meta:
        model = ApiKey

    name = factory.Sequence(lambda n: f"Integration {n}")
    scopes = factory.LazyFunction(lambda: ["read", "write"])
    created_by = None

    @classmethod
    def _create(cls, model_class: type[ApiKey], *args: Any, **kwargs: Any) -> ApiKey:
        api_key, key = api_key_create(**kwargs)
        api_key.key = key  # type: ignore[attr-defined]
        return api_key
