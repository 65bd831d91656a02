"""Invite by e-mail (issue 16, found 2 and 4): a partner user is linked to its partner
in the same form; the mailed link sets the password, signs in and lands on the right
home; an expired, used or replaced link says so and how to get a new one."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from partners.models import PartnerStatus, PartnerUser
from partners.services import partner_transition
from prm.accounts.invitations import invitation_tokens
from prm.accounts.models import Role, User
from tests.conftest import TenantClient, client_for, tenant_schema
from tests.people.helpers import INVITE, NEW_PASSWORD, follow_and_set, invite, mailed_links


@pytest.fixture
def capture(django_capture_on_commit_callbacks: Any) -> Any:
    return django_capture_on_commit_callbacks


def test_an_admin_invites_a_partner_user_linked_to_a_partner_in_one_form(
    alpha_admin: TenantClient, tenant_a: Any, partner_in: Callable[..., Any], capture: Any
) -> None:
    # given a partner of alpha
    partner = partner_in(tenant_a, ref="northwind", name="Northwind Ltd")

    # when the admin invites a partner user for it
    response = invite(
        alpha_admin,
        tenant_a,
        capture,
        email="Ana@Northwind.example",
        full_name="Ana Lima",
        role="partner",
        partner="northwind",
    )

    # then the person exists without a password, linked to the partner, and got a mail
    assert response.status_code == 302, response.content.decode()
    assert response["Location"] == "/settings/people/"
    with tenant_schema(tenant_a):
        user = User.objects.get(email="ana@northwind.example")
        assert user.role == Role.PARTNER
        assert not user.has_usable_password()
        assert user.invited_by == alpha_admin.user
        assert PartnerUser.objects.get(user=user).partner == partner
    assert len(mailed_links("ana@northwind.example")) == 1
    invitation = mail.outbox[-1]
    admin = alpha_admin.user
    assert invitation.subject == f"{admin.full_name} invites you to Alpha Corp"
    assert f"{admin.full_name} ({admin.email}) has invited you to Alpha Corp" in invitation.body
    assert "as Partner user" in invitation.body


def test_the_invite_form_reports_every_problem_at_once_and_saves_nothing(
    alpha_admin: TenantClient, tenant_a: Any, capture: Any
) -> None:
    # given an existing person
    existing = alpha_admin.user.email

    # when the admin invites that address again as a partner user without a partner
    response = invite(alpha_admin, tenant_a, capture, email=existing, role="partner")

    # then both problems are shown together, and no mail went out
    page = response.content.decode()
    assert response.status_code == 200
    assert "already has an account here" in page
    assert "choose which" in page
    assert mail.outbox == []


def test_a_manager_is_not_given_a_partner(
    alpha_admin: TenantClient, tenant_a: Any, partner_in: Callable[..., Any], capture: Any
) -> None:
    # given a partner
    partner_in(tenant_a, ref="contoso")

    # when the admin invites a manager and picks a partner too
    response = invite(
        alpha_admin, tenant_a, capture, email="m@alpha.example", role="manager", partner="contoso"
    )

    # then it is refused with a reason, and nobody was created
    assert response.status_code == 200
    assert "Only partner users are linked to a partner" in response.content.decode()
    with tenant_schema(tenant_a):
        assert not User.objects.filter(email="m@alpha.example").exists()
    assert mail.outbox == []


def test_a_terminated_partner_is_not_offered_and_is_refused(
    alpha_admin: TenantClient, tenant_a: Any, partner_in: Callable[..., Any], capture: Any
) -> None:
    # given a terminated partner
    partner = partner_in(tenant_a, ref="gone-co", name="Gone Co")
    with tenant_schema(tenant_a):
        partner_transition(partner=partner, to_status=PartnerStatus.TERMINATED, actor=None)

    # when the admin opens the invite form and posts its ref anyway
    form = alpha_admin.get(INVITE).content.decode()
    response = invite(
        alpha_admin, tenant_a, capture, email="late@gone.example", role="partner", partner="gone-co"
    )

    # then the form did not offer it, and the post is refused
    assert 'value="gone-co"' not in form
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()


@pytest.mark.parametrize(("role", "home"), [("partner", "/portal/"), ("manager", "/")])
def test_the_mailed_link_sets_the_password_signs_in_and_lands_home(
    role: str,
    home: str,
    alpha_admin: TenantClient,
    tenant_a: Any,
    partner_in: Callable[..., Any],
    capture: Any,
) -> None:
    # given an invitation (a partner user gets a partner)
    partner = partner_in(tenant_a) if role == "partner" else None
    email = f"new-{role}@alpha.example"
    invite(
        alpha_admin,
        tenant_a,
        capture,
        email=email,
        role=role,
        partner=partner.ref if partner else "",
    )
    (link,) = mailed_links(email)

    # when the invitee follows it and chooses a password
    browser = client_for(tenant_a)
    response = follow_and_set(browser, link)

    # then they are signed in on their home, and the password works from now on
    assert response.status_code == 302
    assert response["Location"] == home
    assert browser.get(home).status_code == 200
    with tenant_schema(tenant_a):
        assert User.objects.get(email=email).check_password(NEW_PASSWORD)


def test_a_used_link_says_so(alpha_admin: TenantClient, tenant_a: Any, capture: Any) -> None:
    # given an invitation that was followed
    invite(alpha_admin, tenant_a, capture, email="once@alpha.example", role="manager")
    (link,) = mailed_links("once@alpha.example")
    follow_and_set(client_for(tenant_a), link)

    # when the link is opened again
    page = client_for(tenant_a).get(link, follow=True).content.decode()

    # then it says it was used, and how to sign in or reset
    assert "This invitation has been used" in page
    assert "/accounts/password/reset/" in page


def test_an_expired_link_says_so_and_whom_to_ask(
    alpha_admin: TenantClient,
    tenant_a: Any,
    capture: Any,
    monkeypatch: pytest.MonkeyPatch,
    settings: Any,
) -> None:
    # given an invitation, and invitations that last 7 days
    settings.PRM_INVITATION_DAYS = 7
    invite(alpha_admin, tenant_a, capture, email="late@alpha.example", role="manager")
    (link,) = mailed_links("late@alpha.example")

    # when it is opened 8 days later
    later = invitation_tokens._now() + timedelta(days=8)
    monkeypatch.setattr(invitation_tokens, "_now", lambda: later)
    page = client_for(tenant_a).get(link, follow=True).content.decode()

    # then it says it expired, after how long, and whom to ask for a new one
    assert "This invitation has expired" in page
    assert "7 days" in page
    assert alpha_admin.user.email in page
    assert "Resend invitation" in page
    assert 'name="new_password1"' not in page


def test_a_resent_invitation_replaces_the_old_link(
    alpha_admin: TenantClient, tenant_a: Any, capture: Any
) -> None:
    # given an invitation
    invite(alpha_admin, tenant_a, capture, email="again@alpha.example", role="manager")
    with tenant_schema(tenant_a):
        user = User.objects.get(email="again@alpha.example")

    # when the admin resends it
    with tenant_schema(tenant_a), capture(execute=True):
        response = alpha_admin.post(f"/settings/people/{user.pk}/invitation/")

    # then a second mail went out; its link works, the first one does not
    assert response.status_code == 302
    first, second = mailed_links("again@alpha.example")
    old = client_for(tenant_a).get(first, follow=True).content.decode()
    assert "A newer invitation replaced this one" in old
    assert follow_and_set(client_for(tenant_a), second)["Location"] == "/"


def test_an_invitation_is_not_resent_to_someone_with_a_password(
    alpha_admin: TenantClient, tenant_a: Any, capture: Any
) -> None:
    # given a manager who has a password
    with tenant_schema(tenant_a):
        manager = User.objects.create_user("has-pw@alpha.example", "some-long-password-1")

    # when the admin tries to resend an invitation
    with tenant_schema(tenant_a), capture(execute=True):
        response = alpha_admin.post(f"/settings/people/{manager.pk}/invitation/", follow=True)

    # then it is refused, pointing at the password reset
    assert "send a password reset instead" in response.content.decode()
    assert mail.outbox == []


def test_a_deactivated_persons_link_stops_working(
    alpha_admin: TenantClient, tenant_a: Any, capture: Any
) -> None:
    # given an invitation, then the person is deactivated
    invite(alpha_admin, tenant_a, capture, email="stop@alpha.example", role="manager")
    (link,) = mailed_links("stop@alpha.example")
    with tenant_schema(tenant_a):
        User.objects.filter(email="stop@alpha.example").update(
            is_active=False, deactivated_at=timezone.now()
        )

    # when the link is opened
    page = client_for(tenant_a).get(link, follow=True).content.decode()

    # then it says the account is deactivated
    assert "This account is deactivated" in page


def test_the_old_add_a_person_address_leads_to_the_invitation(alpha_admin: TenantClient) -> None:
    # when the admin opens the old "Add a person" address
    response = alpha_admin.get("/settings/users/new/")

    # then it leads to the invite form
    assert response.status_code == 302
    assert response["Location"] == INVITE


def test_only_administrators_invite(alpha_manager: TenantClient) -> None:
    assert alpha_manager.get(INVITE).status_code == 403
    assert alpha_manager.post(INVITE, {"email": "x@y.example", "role": "admin"}).status_code == 403


def test_a_link_for_someone_never_invited_says_nothing_about_the_account(
    alpha_admin: TenantClient, tenant_a: Any
) -> None:
    # given the admin, who was never invited and has a password
    uid = urlsafe_base64_encode(force_bytes(alpha_admin.user.pk))

    # when someone opens a made-up invitation link for that account
    page = client_for(tenant_a).get(f"/accounts/invitation/{uid}/abc-123/", follow=True)

    # then it is only "does not work", not "used" (which would tell it has a password)
    text = page.content.decode()
    assert "This invitation link does not work" in text
    assert "has been used" not in text


def test_the_invite_form_starts_with_the_channel_manager_role(alpha_admin: TenantClient) -> None:
    page = alpha_admin.get(INVITE).content.decode()
    assert '<option value="manager" selected>' in page
