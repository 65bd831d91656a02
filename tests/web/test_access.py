"""Role rules of the base UI, with the logged-in client of every role."""

import pytest
from django.urls import NoReverseMatch, reverse

from tests.conftest import TenantClient


@pytest.mark.parametrize(
    ("role", "home", "settings_page"),
    [("admin", 200, 200), ("manager", 200, 403), ("partner", "portal", 403)],
)
def test_each_role_reaches_what_it_may(
    request: pytest.FixtureRequest, role: str, home: int | str, settings_page: int
) -> None:
    # given a signed-in user of alpha with that role
    browser: TenantClient = request.getfixturevalue(f"alpha_{role}")
    assert browser.user.role == role

    # when they open the dashboard and the tenant settings
    # then staff get the dashboard, partner users their portal (once it is mounted),
    # and only administrators get the settings
    response = browser.get("/")
    if home == "portal":
        try:
            portal = reverse("portal:home")
        except NoReverseMatch:
            assert response.status_code == 200
        else:
            assert response.status_code == 302
            assert response["Location"] == portal
    else:
        assert response.status_code == home
    assert browser.get("/settings/").status_code == settings_page


def test_strangers_are_sent_to_the_login_page(client_a: TenantClient) -> None:
    # when an anonymous visitor opens the tenant settings
    response = client_a.get("/settings/")

    # then they are asked to sign in first
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/settings/"
