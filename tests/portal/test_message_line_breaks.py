"""A conversation message keeps the line breaks its writer typed: on the portal's and
the staff's request pages, in the review step's preview, and in the mail."""

from __future__ import annotations

from typing import Any

import pytest

from slas.services import partner_request_open
from slas.templatetags.sla_markdown import render_markdown, render_message
from tests.conftest import TenantClient
from tests.portal.conftest import PortalPartner

pytestmark = pytest.mark.django_db

TYPED = "Can we get the 2027 price list?\nThanks,\nPat"
SHOWN = "<p>Can we get the 2027 price list?<br>\nThanks,<br>\nPat</p>"


def test_a_request_description_keeps_its_lines_on_both_sides(
    x_client: TenantClient, alpha_manager: TenantClient, partner_x: PortalPartner, in_alpha: Any
) -> None:
    # given a request whose description is typed over three lines
    with in_alpha():
        request = partner_request_open(
            partner=partner_x.partner, subject="Price list", description=TYPED
        )

    # when the partner's user and a manager open it
    portal_page = x_client.get(f"/portal/requests/{request.pk}/").content.decode()
    staff_page = alpha_manager.get(f"/slas/requests/{request.pk}/").content.decode()

    # then both read three lines, not one run-on line
    assert SHOWN in portal_page
    assert SHOWN in staff_page


def test_messages_break_lines_and_policy_text_stays_markdown() -> None:
    # when the same text is rendered as a message and as policy text
    # then only the message turns its line breaks into breaks
    assert render_message(TYPED) == SHOWN
    assert "<br" not in render_markdown(TYPED)
