"""The portal's selectors fail closed: only an active partner user linked to a partner
gets anything, and only its own partner's rows."""

from __future__ import annotations

from typing import Any

import pytest

from portal import selectors
from prm.accounts.models import Role
from tests.factories import UserFactory
from tests.portal.conftest import PortalPartner

pytestmark = pytest.mark.django_db


def test_a_partner_user_gets_its_own_rows_only(
    partner_x: PortalPartner, partner_y: PortalPartner, in_alpha: Any
) -> None:
    with in_alpha():
        user = partner_x.user
        assert selectors.portal_partner(user=user) == partner_x.partner
        assert list(selectors.portal_partners(user=user)) == [partner_x.partner]
        assert [o.external_id for o in selectors.portal_orders(user=user)] == partner_x.order_ids
        assert [c.external_id for c in selectors.portal_calls(user=user)] == partner_x.call_ids
        assert [c.external_id for c in selectors.portal_contacts(user=user)] == partner_x.lead_ids
        assert list(selectors.portal_requests(user=user)) == [partner_x.request]
        assert partner_y.request is not None
        with pytest.raises(type(partner_y.request).DoesNotExist):
            selectors.portal_request_get(user=user, request_id=partner_y.request.pk)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MANAGER])
def test_staff_get_nothing_from_the_portal_selectors(
    partner_x: PortalPartner, in_alpha: Any, role: str
) -> None:
    with in_alpha():
        staff = UserFactory.create(role=role)
        with pytest.raises(selectors.NotAPortalUser):
            selectors.portal_partner(user=staff)
        assert not selectors.portal_partners(user=staff).exists()
        assert not selectors.portal_orders(user=staff).exists()
        assert not selectors.portal_calls(user=staff).exists()
        assert not selectors.portal_contacts(user=staff).exists()
        assert not selectors.portal_requests(user=staff).exists()


def test_a_deactivated_partner_user_gets_nothing(partner_x: PortalPartner, in_alpha: Any) -> None:
    with in_alpha():
        user = partner_x.user
        user.is_active = False
        user.save()
        with pytest.raises(selectors.NotAPortalUser):
            selectors.portal_partner(user=user)
        assert not selectors.portal_orders(user=user).exists()
        assert not selectors.portal_requests(user=user).exists()
