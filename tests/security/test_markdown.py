"""Markdown shows images only from the tenant's own host (review finding: sanitised
Markdown kept external <img>, tracking pixels shown to partner users)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from prm.web.markdown import is_own_image, markdown_to_html
from slas.templatetags.sla_markdown import render_markdown
from tests.conftest import client_for, log_in, make_user, tenant_schema
from tests.portal.conftest import make_portal_partner
from tests.slas.policies import weekday_policy

IMG_SRC = re.compile(r"<img\b[^>]*\bsrc=\"([^\"]*)\"", re.IGNORECASE)
TRACKER = "tracker.example"

FOREIGN_IMAGES = [
    f"![pixel](https://{TRACKER}/p.gif?reader=1)",
    f"![pixel](http://{TRACKER}/p.gif)",
    f"![pixel](//{TRACKER}/p.gif)",
    f'<img src="https://{TRACKER}/p.gif" width="1" height="1">',
    f"<img src='//{TRACKER}/p.gif'>",
    f'<img src="/\\{TRACKER}/p.gif">',
    f'<img src="/&#x09;/{TRACKER}/p.gif">',
    f'<img src="&#x2F;&#x2F;{TRACKER}/p.gif">',
    f'<img src=" //{TRACKER}/p.gif">',
    '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACw=">',
    f"<p>Text <img src=https://{TRACKER}/p.gif> more</p>",
    f"[![pixel](https://{TRACKER}/p.gif)](https://{TRACKER}/)",
]


def image_sources(html: str) -> list[str]:
    return IMG_SRC.findall(html)


@pytest.mark.parametrize("text", FOREIGN_IMAGES)
def test_an_image_from_elsewhere_is_not_shown(text: str) -> None:
    # when Markdown (or HTML in it) with an image from another host is rendered, by the
    # SLA filter and by the renderer of programme terms
    for html in (render_markdown(text), markdown_to_html(text)):
        # then no image points anywhere: the browser has nothing to fetch
        assert image_sources(html) == [], html
        assert not re.search(r"<img\b[^>]*\bsrc=", html), html


def test_a_markdown_image_from_elsewhere_becomes_a_link_to_it() -> None:
    # when a policy shows a picture from another host
    html = render_markdown(f"See ![the escalation chart](https://{TRACKER}/chart.png).")

    # then the reader gets a link with its text, to follow if they choose
    assert html == (
        f'<p>See <a href="https://{TRACKER}/chart.png" rel="noopener noreferrer">'
        "the escalation chart</a>.</p>"
    )


@pytest.mark.parametrize(
    "text", ["![logo](/media/acme/logo.png)", '<img src="/static/img/chart.png" alt="chart">']
)
def test_an_image_of_the_tenants_own_host_is_shown(text: str) -> None:
    # when Markdown shows an image by its path on the tenant's own host
    html = render_markdown(text)

    # then it stays an image
    assert len(image_sources(html)) == 1
    assert image_sources(html)[0].startswith(("/media/", "/static/"))


@pytest.mark.parametrize(
    ("src", "own"),
    [
        ("/media/logo.png", True),
        ("/x", True),
        ("//evil.example/x", False),
        ("/\\evil.example/x", False),
        ("/\t/evil.example/x", False),
        (" /x", False),
        ("https://evil.example/x", False),
        ("x.png", False),
        ("", False),
    ],
)
def test_what_counts_as_the_tenants_own_host(src: str, own: bool) -> None:
    assert is_own_image(src) is own


def test_partner_users_and_managers_see_no_tracking_pixel(tenant_a: Any, db: None) -> None:
    # given a partner whose programme terms and SLA policy carry tracking pixels (as
    # Markdown and as HTML), and one image of the tenant's own
    pixel = f"![](https://{TRACKER}/p.gif) <img src='https://{TRACKER}/q.gif'>"
    with tenant_schema(tenant_a):
        portal = make_portal_partner("md", activity=False)
        partner = portal.partner
        partner.benefits = f"Free training. {pixel}"
        partner.sla = weekday_policy(
            f"pixel-{portal.marker}",
            policies=f"## Escalation\n\nCall us. {pixel} ![map](/media/map.png)",
            description=f"Our promise {pixel}",
        )
        partner.save()
    partner_user = log_in(client_for(tenant_a), tenant_a, portal.user)
    manager = log_in(client_for(tenant_a), tenant_a, make_user(tenant_a, "admin"))

    # when the partner user reads its portal and its SLA, and an admin the partner
    pages = {
        "/portal/": partner_user.get("/portal/"),
        "/portal/sla/": partner_user.get("/portal/sla/"),
        f"/partners/{partner.ref}/": manager.get(f"/partners/{partner.ref}/"),
    }

    # then the texts are there, with no image from elsewhere, and the own one kept
    for path, response in pages.items():
        assert response.status_code == 200, path
        html = response.content.decode()
        assert TRACKER in html, path  # the Markdown ones, as links
        assert all(is_own_image(src) for src in image_sources(html)), (path, image_sources(html))
        assert not re.search(rf"<img\b[^>]*{TRACKER}", html), path  # the HTML one, gone
    assert "/media/map.png" in image_sources(pages["/portal/sla/"].content.decode())
    assert "Free training." in pages["/portal/"].content.decode()
