"""The words of the "Log a call" form, which the partner portal shares with the staff
activity page: they must read true for a partner's own user too."""

from __future__ import annotations

import html
import re

import pytest

from tests.conftest import TenantClient
from tests.portal.conftest import PortalPartner

pytestmark = pytest.mark.django_db


def _labels_and_help(page: str) -> str:
    """The form's labels and help texts, as a reader sees them."""
    parts = re.findall(r"<label[^>]*>(.*?)</label>|<div[^>]*form-text[^>]*>(.*?)</div>", page, re.S)
    return html.unescape(" ".join(re.sub(r"<[^>]+>", "", a or b).strip() for a, b in parts))


@pytest.mark.parametrize("who", ["partner user", "manager"])
def test_log_a_call_names_its_fields_in_words_and_both_counterparts(
    who: str, x_client: TenantClient, alpha_manager: TenantClient, partner_x: PortalPartner
) -> None:
    # given the form as the partner's own user or as a manager sees it
    client, path = (
        (x_client, "/portal/calls/new/")
        if who == "partner user"
        else (alpha_manager, "/activity/calls/new/")
    )

    # when it is opened
    response = client.get(path)

    # then the duration says its unit, and the counterpart's help explains both choices
    # without calling the reader "you" opposite "the partner" (a partner user is the partner)
    assert response.status_code == 200
    words = _labels_and_help(response.content.decode())
    assert "Duration (minutes)" in words
    assert "Duration minutes" not in words
    assert "between you and the partner" not in words
    assert "Customer: a call with a customer of the partner." in words
    assert "Channel team: a call between the partner and the vendor's channel team." in words
