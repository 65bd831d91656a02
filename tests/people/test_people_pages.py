"""Settings → People: edit a person, change role and partner, deactivate and reactivate
(sessions and API access end at once), the rules about the last administrator, the
password reset an admin sends, and the flags on a deactivated manager's partners."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.sessions.models import Session
from django.core import mail

from partners.models import Partner, PartnerUser
from prm.accounts.models import Role, User
from tests.conftest import TenantClient, client_for, log_in, make_user, tenant_schema
from tests.factories import DEFAULT_PASSWORD
from tests.people.helpers import RESET_LINK, mailed_links


def person_url(user: User, action: str = "") -> str:
    return f"/settings/people/{user.pk}/" + (f"{action}/" if action else "")


def signed_in_as(tenant: Any, user: User) -> TenantClient:
    """A browser of `user`, signed in with their password (a real session row)."""
    browser = client_for(tenant)
    answer = browser.post(
        "/accounts/login/", {"username": user.email, "password": DEFAULT_PASSWORD}
    )
    assert answer.status_code == 302, answer.content.decode()
    return browser


def sessions_of(tenant: Any, user: User) -> int:
    with tenant_schema(tenant):
        return sum(
            1
            for session in Session.objects.all()
            if session.get_decoded().get("_auth_user_id") == str(user.pk)
        )


# --- deactivate and reactivate ---------------------------------------------------------


def test_deactivating_a_manager_ends_their_sessions_and_api_access_at_once(
    alpha_admin: TenantClient, tenant_a: Any
) -> None:
    # given a manager signed in twice (two browsers), who can read the API
    manager = make_user(tenant_a, "manager")
    first, second = signed_in_as(tenant_a, manager), signed_in_as(tenant_a, manager)
    assert first.get("/partners/").status_code == 200
    assert second.get("/api/v1/partners/").status_code == 200
    assert sessions_of(tenant_a, manager) == 2

    # when the admin deactivates them
    response = alpha_admin.post(person_url(manager, "deactivate"), follow=True)

    # then both sessions are gone, and the next page and API call are refused
    assert "is deactivated and signed out everywhere" in response.content.decode()
    assert sessions_of(tenant_a, manager) == 0
    page = first.get("/partners/")
    assert page.status_code == 302
    assert page["Location"].startswith("/accounts/login/")
    assert second.get("/api/v1/partners/").status_code in (401, 403)
    # and they cannot sign in again
    assert (
        client_for(tenant_a)
        .post("/accounts/login/", {"username": manager.email, "password": DEFAULT_PASSWORD})
        .status_code
        == 200
    )


def test_django_refuses_an_inactive_user_even_with_a_session_left(tenant_a: Any, db: None) -> None:
    # given a manager signed in, whose account is made inactive behind the session's back
    manager = make_user(tenant_a, "manager")
    browser = signed_in_as(tenant_a, manager)
    with tenant_schema(tenant_a):
        User.objects.filter(pk=manager.pk).update(is_active=False)
    assert sessions_of(tenant_a, manager) == 1

    # when their browser makes its next request
    page = browser.get("/partners/")
    api = browser.get("/api/v1/partners/")

    # then Django's authentication treats them as signed out
    assert page.status_code == 302
    assert page["Location"].startswith("/accounts/login/")
    assert api.status_code in (401, 403)


def test_an_api_key_whose_user_is_inactive_stops_working(
    api_client: Callable[..., TenantClient], tenant_a: Any
) -> None:
    # given a working key
    client = api_client(tenant_a, scopes=["read"])
    assert client.get("/api/v1/partners/").status_code == 200

    # when the key's user is deactivated (not the key revoked)
    with tenant_schema(tenant_a):
        User.objects.filter(pk=client.api_key.user_id).update(is_active=False)

    # then the key is refused
    assert client.get("/api/v1/partners/").status_code == 401


def test_reactivating_lets_them_sign_in_again(alpha_admin: TenantClient, tenant_a: Any) -> None:
    # given a deactivated manager
    manager = make_user(tenant_a, "manager")
    alpha_admin.post(person_url(manager, "deactivate"))

    # when the admin reactivates them
    response = alpha_admin.post(person_url(manager, "reactivate"), follow=True)

    # then they can sign in with their password
    assert "can sign in again" in response.content.decode()
    signed_in_as(tenant_a, manager)


def test_an_admin_cannot_deactivate_themselves(alpha_admin: TenantClient, tenant_a: Any) -> None:
    # when the admin tries to deactivate their own account
    response = alpha_admin.post(person_url(alpha_admin.user, "deactivate"), follow=True)

    # then it is refused with a reason, and they are still signed in and active
    assert "You cannot deactivate your own account" in response.content.decode()
    with tenant_schema(tenant_a):
        assert User.objects.get(pk=alpha_admin.user.pk).is_active
    assert alpha_admin.get("/settings/people/").status_code == 200


def test_the_last_active_admin_is_never_removed(
    api_client: Callable[..., TenantClient], tenant_a: Any
) -> None:
    # given alpha's admins, all but one deactivated (a write key acts, not a person)
    keep = make_user(tenant_a, "admin")
    with tenant_schema(tenant_a):
        User.objects.filter(role=Role.ADMIN, is_active=True).exclude(pk=keep.pk).update(
            is_active=False
        )
    key = api_client(tenant_a, scopes=["read", "write"])

    # when the key tries to deactivate the last one, or make them a manager
    deactivated = key.patch(
        f"/api/v1/users/{keep.pk}/", {"is_active": False}, content_type="application/json"
    )
    demoted = key.patch(
        f"/api/v1/users/{keep.pk}/", {"role": "manager"}, content_type="application/json"
    )

    # then both are refused, saying why, and nothing changed
    assert deactivated.status_code == 400
    assert "last active administrator" in deactivated.content.decode()
    assert demoted.status_code == 400
    assert "last active administrator" in demoted.json()["errors"]["role"][0]
    with tenant_schema(tenant_a):
        keep.refresh_from_db()
    assert keep.is_active
    assert keep.role == Role.ADMIN


def test_an_admin_cannot_take_away_their_own_admin_role(
    alpha_admin: TenantClient, tenant_a: Any
) -> None:
    # given a second admin, so the first is not the last
    make_user(tenant_a, "admin")

    # when the admin makes themselves a manager
    response = alpha_admin.post(
        person_url(alpha_admin.user), {"full_name": "Me", "role": "manager", "partner": ""}
    )

    # then it is refused on the role field
    assert response.status_code == 200
    assert "You cannot take away your own administrator role" in response.content.decode()


# --- edit -----------------------------------------------------------------------------


def test_a_manager_becomes_a_partner_user_of_a_partner_and_back(
    alpha_admin: TenantClient, tenant_a: Any, partner_in: Callable[..., Any]
) -> None:
    # given a manager and a partner
    manager = make_user(tenant_a, "manager", full_name="Sam Field")
    partner = partner_in(tenant_a, ref="fabrikam", name="Fabrikam")

    # when the admin makes them a partner user without a partner, then with one
    without = alpha_admin.post(
        person_url(manager), {"full_name": "Sam Field", "role": "partner", "partner": ""}
    )
    linked = alpha_admin.post(
        person_url(manager), {"full_name": "Sam Field", "role": "partner", "partner": "fabrikam"}
    )

    # then the first is refused and changes nothing, the second links them
    assert without.status_code == 200
    assert "choose which" in without.content.decode()
    assert linked.status_code == 302
    with tenant_schema(tenant_a):
        manager.refresh_from_db()
        assert manager.role == Role.PARTNER
        assert PartnerUser.objects.get(user=manager).partner == partner

    # when they are made a manager again, the partner link goes
    back = alpha_admin.post(
        person_url(manager), {"full_name": "Sam Fielding", "role": "manager", "partner": ""}
    )
    assert back.status_code == 302
    with tenant_schema(tenant_a):
        manager.refresh_from_db()
        assert manager.role == Role.MANAGER
        assert manager.full_name == "Sam Fielding"
        assert not PartnerUser.objects.filter(user=manager).exists()


def test_a_partner_user_moves_to_another_partner(
    alpha_admin: TenantClient, tenant_a: Any, partner_in: Callable[..., Any]
) -> None:
    # given a partner user of one partner, and another partner
    other = partner_in(tenant_a, ref="other-co", name="Other Co")
    user = make_user(tenant_a, "partner")

    # when the admin moves them
    response = alpha_admin.post(
        person_url(user), {"full_name": user.full_name, "role": "partner", "partner": "other-co"}
    )

    # then their portal is the other partner's
    assert response.status_code == 302
    with tenant_schema(tenant_a):
        assert PartnerUser.objects.get(user=user).partner == other


# --- password reset -------------------------------------------------------------------


def test_a_reset_for_someone_without_a_usable_password_is_mailed(
    client_a: TenantClient, tenant_a: Any
) -> None:
    # given a manager made without a password (as the demo's were)
    with tenant_schema(tenant_a):
        manager = User.objects.create_user("nopw@alpha.example", None, role=Role.MANAGER)

    # when they ask for a reset on the sign-in page
    response = client_a.post(
        "/accounts/password/reset/", {"email": manager.email}, REMOTE_ADDR="192.0.2.201"
    )

    # then a mail with a working link went out
    assert response.status_code == 302
    (link,) = mailed_links(manager.email, RESET_LINK)
    opened = client_a.get(link)
    assert opened.status_code == 302
    done = client_a.post(
        opened["Location"],
        {"new_password1": "orchard-ladder-77", "new_password2": "orchard-ladder-77"},
    )
    assert done.status_code == 302
    with tenant_schema(tenant_a):
        manager.refresh_from_db()
    assert manager.check_password("orchard-ladder-77")


def test_no_reset_mail_for_an_api_keys_account_or_a_deactivated_person(
    client_a: TenantClient, tenant_a: Any, api_client: Callable[..., TenantClient]
) -> None:
    # given a key's service user and a deactivated person
    key_user = api_client(tenant_a).api_key.user
    gone = make_user(tenant_a, "manager")
    with tenant_schema(tenant_a):
        User.objects.filter(pk=gone.pk).update(is_active=False)

    # when resets are asked for both
    for email in (key_user.email, gone.email):
        client_a.post("/accounts/password/reset/", {"email": email}, REMOTE_ADDR="192.0.2.202")

    # then nothing is mailed
    assert mail.outbox == []


def test_the_admin_sends_a_password_reset(alpha_admin: TenantClient, tenant_a: Any) -> None:
    # given a manager
    manager = make_user(tenant_a, "manager")

    # when the admin sends them a password reset
    response = alpha_admin.post(person_url(manager, "password-reset"), follow=True)

    # then the mail goes out with a reset link on the tenant's address
    assert "A password reset link is on its way" in response.content.decode()
    assert len(mailed_links(manager.email, RESET_LINK)) == 1


# --- the list and the flags -------------------------------------------------------------


def test_a_deactivated_managers_partners_are_flagged_for_reassignment(
    alpha_admin: TenantClient, tenant_a: Any, partner_in: Callable[..., Any]
) -> None:
    # given a manager with two partners, deactivated
    manager = make_user(tenant_a, "manager", full_name="Leaving Lee")
    for ref in ("lee-one", "lee-two"):
        partner_in(tenant_a, ref=ref, channel_manager=manager)
    alpha_admin.post(person_url(manager, "deactivate"))

    # when the admin opens the people list, the partner list and the reassign link
    people = alpha_admin.get("/settings/people/").content.decode()
    partners = alpha_admin.get("/partners/").content.decode()
    reassign = alpha_admin.get(f"/partners/reassign/?from_manager={manager.email}").content.decode()

    # then both lists flag them, and the reassign page has that portfolio chosen
    assert "Leaving Lee" in people
    assert "2 partners" in people
    assert f"/partners/reassign/?from_manager={manager.email.replace('@', '%40')}" in people
    assert 'id="unmanaged-partners"' in partners
    assert f'<option value="{manager.email}" selected>' in reassign

    # when the portfolio is moved to an active manager
    other = make_user(tenant_a, "manager")
    moved = alpha_admin.post(
        "/partners/reassign/", {"from_manager": manager.email, "to_manager": other.email}
    )

    # then the flags are gone
    assert moved.status_code == 302
    with tenant_schema(tenant_a):
        assert Partner.objects.filter(channel_manager=other).count() == 2
    assert 'id="reassign-flags"' not in alpha_admin.get("/settings/people/").content.decode()
    assert 'id="unmanaged-partners"' not in alpha_admin.get("/partners/").content.decode()


def test_the_people_list_shows_partner_links_and_pending_invitations(
    alpha_admin: TenantClient, tenant_a: Any, partner_in: Callable[..., Any]
) -> None:
    # given a partner user and a partner-role user linked to nothing
    partner = partner_in(tenant_a, name="Linked Partner Co")
    make_user(tenant_a, "partner", partner=partner)
    with tenant_schema(tenant_a):
        User.objects.create_user("orphan@alpha.example", None, role=Role.PARTNER)

    # when the admin opens the list
    page = alpha_admin.get("/settings/people/").content.decode()

    # then both are shown for what they are
    assert "Linked Partner Co" in page
    assert "no partner linked" in page


def test_settings_has_its_sub_navigation(alpha_admin: TenantClient) -> None:
    page = alpha_admin.get("/settings/").content.decode()
    assert 'aria-label="Settings sections"' in page
    for href in (
        'href="/settings/people/"',
        'href="/settings/#api-keys"',
        'href="/settings/#webhooks"',
    ):
        assert href in page


@pytest.mark.parametrize("path", ["/settings/people/", "/settings/people/1/"])
def test_people_pages_are_the_admins(alpha_manager: TenantClient, path: str) -> None:
    assert alpha_manager.get(path).status_code == 403


def test_a_partner_user_linked_to_nothing_gets_a_page_that_says_whom_to_ask(
    tenant_a: Any, alpha_admin: TenantClient
) -> None:
    # given a partner-role user linked to no partner
    with tenant_schema(tenant_a):
        orphan = User.objects.create_user("lost@alpha.example", None, role=Role.PARTNER)
    browser = log_in(client_for(tenant_a), tenant_a, orphan)

    # when they open their portal
    response = browser.get("/portal/")

    # then the page (403) says what is wrong and whom to ask, with a sign-out
    page = response.content.decode()
    assert response.status_code == 403
    assert "Your partner portal is not available" in page
    assert "not linked to a partner" in page
    assert alpha_admin.user.email in page
    assert 'action="/accounts/logout/"' in page
    assert 'aria-label="Main navigation"' in page


def test_a_partner_user_of_a_terminated_partner_gets_the_same_page(tenant_a: Any, db: None) -> None:
    # given a partner user whose partner is terminated
    from partners.services import partner_transition  # lazy: only this test needs it

    user = make_user(tenant_a, "partner")
    with tenant_schema(tenant_a):
        partner = PartnerUser.objects.get(user=user).partner
        partner_transition(partner=partner, to_status="terminated", actor=None)
    browser = log_in(client_for(tenant_a), tenant_a, user)

    # when they open their portal
    response = browser.get("/portal/")

    # then they are told the partnership has ended
    assert response.status_code == 403
    assert "has ended" in response.content.decode()


def test_a_manager_with_partners_does_not_become_a_partner_user(
    alpha_admin: TenantClient, tenant_a: Any, partner_in: Callable[..., Any]
) -> None:
    # given a manager of a partner, and another partner to link them to
    manager = make_user(tenant_a, "manager", full_name="Busy Bea")
    partner_in(tenant_a, ref="bea-managed", channel_manager=manager)
    partner_in(tenant_a, ref="bea-target")

    # when the admin makes them a partner user of the other partner
    response = alpha_admin.post(
        person_url(manager), {"full_name": "Busy Bea", "role": "partner", "partner": "bea-target"}
    )

    # then it is refused on the role, naming the way out, and nothing changed
    assert response.status_code == 200
    assert "move them to another manager first" in response.content.decode()
    with tenant_schema(tenant_a):
        manager.refresh_from_db()
        assert manager.role == Role.MANAGER
        assert not PartnerUser.objects.filter(user=manager).exists()
