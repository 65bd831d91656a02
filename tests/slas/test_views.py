"""The SLA pages: policies with their versions, the settings page, compliance, partner
requests with their clocks, a partner's own targets, notifications and the bell, the
partner panel, and who may open what."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.core import mail
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from prm.accounts.models import Role
from prm.web import formats
from slas.models import (
    Notification,
    PartnerRequest,
    PartnerSlaOverride,
    SlaEvent,
    SlaPolicy,
)
from slas.selectors import partner_sla_panel
from slas.services import (
    partner_request_open,
    partner_sla_override_set,
    sla_clocks_evaluate,
    sla_policy_save,
)
from tests.conftest import TenantClient
from tests.factories import PartnerFactory, UserFactory

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri"]


def make_policy(slug: str, **fields: Any) -> SlaPolicy:
    data = {
        "slug": slug,
        "name": f"Policy {slug}",
        "time_zone": "UTC",
        "working_days": WEEKDAYS,
        "working_hours_start": "09:00",
        "working_hours_end": "17:00",
        "first_response_hours": "4",
        "resolution_hours": "24",
        **fields,
    }
    policy, _changed = sla_policy_save(data=data, actor=None)
    return policy


def text_of(response: Any) -> str:
    """The page's text without tags, whitespace collapsed, for reading like a person."""
    html = response.content.decode()
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def form_data(response: Any) -> dict[str, Any]:
    """What a browser would submit from the page's form as it stands."""
    form = response.context["form"]
    data: dict[str, Any] = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = "on" if value is True else value
    return data


# --- who may open what ------------------------------------------------------------------


@pytest.fixture
def sample(in_tenant: Callable[..., Any], tenant_a: Any, alpha_manager: TenantClient) -> Any:
    """A partner of alpha's manager with one open request."""
    with in_tenant(tenant_a):
        partner = PartnerFactory.create(
            ref="sample-partner", name="Sample Partner Ltd", channel_manager=alpha_manager.user
        )
        partner_request = partner_request_open(partner=partner, subject="Sample request")
        policy = SlaPolicy.objects.get(is_default=True)
    return {"partner": partner, "request": partner_request, "policy": policy}


STAFF_PAGES: list[tuple[str, dict[str, Any]]] = [
    ("slas:list", {}),
    ("slas:compliance", {}),
    ("slas:requests", {}),
    ("slas:request_new", {}),
    ("slas:policy_detail", {"policy": "<policy>"}),
    ("slas:policy_version", {"policy": "<policy>", "number": 1}),
    ("slas:request_detail", {"request_id": "<request>"}),
    ("slas:override", {"ref": "<partner>"}),
]
ADMIN_PAGES: list[tuple[str, dict[str, Any]]] = [
    ("slas:settings", {}),
    ("slas:policy_new", {}),
    ("slas:policy_edit", {"policy": "<policy>"}),
]


def url_of(name: str, kwargs: dict[str, Any], sample: dict[str, Any]) -> str:
    filled = {
        key: {
            "<policy>": sample["policy"].slug,
            "<request>": sample["request"].pk,
            "<partner>": sample["partner"].ref,
        }.get(value, value)
        if isinstance(value, str)
        else value
        for key, value in kwargs.items()
    }
    return reverse(name, kwargs=filled)


@pytest.mark.parametrize(
    ("role", "staff_page", "admin_page"),
    [("admin", 200, 200), ("manager", 200, 403), ("partner", 403, 403)],
)
def test_pages_open_by_role(
    request: pytest.FixtureRequest,
    sample: dict[str, Any],
    role: str,
    staff_page: int,
    admin_page: int,
) -> None:
    # given a signed-in user of that role
    client: TenantClient = request.getfixturevalue(f"alpha_{role}")

    # when they open every SLA page
    answers = {
        name: client.get(url_of(name, kwargs, sample)).status_code
        for name, kwargs in STAFF_PAGES + ADMIN_PAGES
    }

    # then staff see the staff pages, only administrators the admin pages, and
    # partner users nothing (they get their own portal)
    expected = {name: staff_page for name, _ in STAFF_PAGES} | {
        name: admin_page for name, _ in ADMIN_PAGES
    }
    assert answers == expected


def test_partner_users_cannot_write_through_the_manager_pages(
    alpha_partner: TenantClient,
    sample: dict[str, Any],
    in_tenant: Callable[..., Any],
    tenant_a: Any,
) -> None:
    # when a partner user posts to the request and target pages
    partner_request = sample["request"]
    answers = [
        alpha_partner.post(reverse("slas:request_respond", args=[partner_request.pk])),
        alpha_partner.post(reverse("slas:request_resolve", args=[partner_request.pk])),
        alpha_partner.post(
            reverse("slas:override", args=[sample["partner"].ref]),
            {"first_response_hours": "1"},
        ),
        alpha_partner.post(
            reverse("slas:request_new"),
            {"partner": sample["partner"].ref, "kind": "support", "subject": "Mine"},
        ),
    ]

    # then every one is refused and nothing changed
    assert [answer.status_code for answer in answers] == [403, 403, 403, 403]
    with in_tenant(tenant_a):
        partner_request.refresh_from_db()
        assert partner_request.first_response_at is None
        assert partner_request.resolved_at is None
        assert not PartnerSlaOverride.objects.filter(partner=sample["partner"]).exists()
        assert PartnerRequest.objects.count() == 1


def test_anonymous_visitors_are_sent_to_sign_in(client_a: TenantClient) -> None:
    # when someone not signed in opens the compliance page
    response = client_a.get(reverse("slas:compliance"))

    # then they are asked to sign in first
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


# --- policies ---------------------------------------------------------------------------


def test_the_policy_list_shows_each_policy_with_its_partner_count(
    alpha_manager: TenantClient, in_tenant: Callable[..., Any], tenant_a: Any
) -> None:
    # given a policy used by two partners
    with in_tenant(tenant_a):
        policy = make_policy("gold", name="Gold partners")
        PartnerFactory.create(sla=policy)
        PartnerFactory.create(sla=policy)

    # when a manager opens the list and the policy
    listing = alpha_manager.get(reverse("slas:list"))
    detail = alpha_manager.get(reverse("slas:policy_detail", args=["gold"]))

    # then both say how many partners use it; managers get no edit button
    row = re.search(r"Gold partners.*?</tr>", listing.content.decode(), flags=re.S)
    assert row is not None
    assert re.search(r'<td class="text-end">2</td>', row.group(0))
    assert "Partners using this policy 2" in text_of(detail)
    assert reverse("slas:policy_edit", args=["gold"]) not in detail.content.decode()


def test_editing_a_policy_makes_a_new_version_shown_in_the_history(
    alpha_admin: TenantClient, in_tenant: Callable[..., Any], tenant_a: Any
) -> None:
    # given a policy at version 1
    with in_tenant(tenant_a):
        make_policy("silver", name="Silver partners")
    edit_url = reverse("slas:policy_edit", args=["silver"])
    page = alpha_admin.get(edit_url)
    data = form_data(page)
    assert data["first_response_hours"] == "4.00"

    # when an administrator changes the first response target through the form
    data["first_response_hours"] = "2"
    data["policies"] = "## Escalation\n\nCall the **duty manager**."
    response = alpha_admin.post(edit_url, data, follow=True)

    # then the policy is at version 2, and the page says so and lists both versions
    with in_tenant(tenant_a):
        policy = SlaPolicy.objects.get(slug="silver")
        assert policy.version == 2
        assert str(policy.first_response_hours) == "2.00"
        version = policy.versions.get(number=2)
        assert sorted(version.changed_fields) == ["first_response_hours", "policies"]
        assert version.created_by == alpha_admin.user
        assert version.source == "app"
    text = text_of(response)
    assert "Saved as version 2; changed: policies and procedures, first response." in text
    history = re.search(r'id="version-history".*?</table>', response.content.decode(), re.S)
    assert history is not None
    assert [int(number) for number in re.findall(r">v(\d+)</a>", history.group(0))] == [2, 1]
    assert "2 business hours" in text
    assert "<strong>duty manager</strong>" in response.content.decode()

    # and the version page shows what changed from version 1
    version_page = alpha_admin.get(reverse("slas:policy_version", args=["silver", 2]))
    changed = re.findall(
        r'<tr class="table-warning">\s*<th scope="row"[^>]*>([^<]+)<', version_page.content.decode()
    )
    assert [label.strip() for label in changed] == ["First response"]
    assert "4 business hours" in text_of(version_page)  # the value before


def test_saving_an_unchanged_policy_makes_no_version(
    alpha_admin: TenantClient, in_tenant: Callable[..., Any], tenant_a: Any
) -> None:
    # given a policy's edit form, untouched
    with in_tenant(tenant_a):
        make_policy("bronze")
    edit_url = reverse("slas:policy_edit", args=["bronze"])
    data = form_data(alpha_admin.get(edit_url))

    # when it is saved as it is
    response = alpha_admin.post(edit_url, data, follow=True)

    # then the version stays and the page says nothing changed
    assert "Nothing changed; the policy stays at version 1." in text_of(response)
    with in_tenant(tenant_a):
        assert SlaPolicy.objects.get(slug="bronze").version == 1


def test_bad_input_shows_inline_errors_and_changes_nothing(
    alpha_admin: TenantClient, in_tenant: Callable[..., Any], tenant_a: Any
) -> None:
    # given a policy
    with in_tenant(tenant_a):
        make_policy("steel", name="Steel partners")
    edit_url = reverse("slas:policy_edit", args=["steel"])
    data = form_data(alpha_admin.get(edit_url))

    # when the form is sent with a bad number, a bad e-mail, a bad holiday and hours
    # that end before they start
    data |= {
        "name": "Renamed",
        "resolution_hours": "soon",
        "escalation_email": "not-an-address",
        "holidays": "2026-12-25\nChristmas",
        "working_hours_start": "18:00",
        "working_hours_end": "08:00",
    }
    response = alpha_admin.post(edit_url, data)

    # then the form comes back with each message next to its field
    assert response.status_code == 200
    errors = response.context["form"].errors
    assert errors["resolution_hours"] == ["“soon” is not a number."]
    assert errors["escalation_email"] == ["“not-an-address” is not an e-mail address."]
    assert errors["holidays"] == ["“Christmas” is not a date; write it like 2026-12-25."]
    assert errors["working_hours_end"] == [
        "Working hours must end after they start, on the same day."
    ]
    html = response.content.decode()
    assert 'id="id_resolution_hours-errors"' in html
    assert "Nothing was saved." in html
    assert 'value="soon"' in html  # what was typed stays for correcting

    # and nothing changed
    with in_tenant(tenant_a):
        policy = SlaPolicy.objects.get(slug="steel")
        assert (policy.name, policy.version) == ("Steel partners", 1)
        assert policy.versions.count() == 1


def test_an_administrator_creates_a_policy(
    alpha_admin: TenantClient, in_tenant: Callable[..., Any], tenant_a: Any
) -> None:
    # when an administrator fills in the new policy form
    response = alpha_admin.post(
        reverse("slas:policy_new"),
        {
            "name": "Premium",
            "slug": "premium",
            "first_response_hours": "1",
            "resolution_hours": "8",
            "min_monthly_revenue": "25000",
            "time_zone": "Europe/Berlin",
            "working_days": ["mon", "tue", "wed", "thu", "fri", "sat"],
            "working_hours_start": "08:00",
            "working_hours_end": "20:00",
            "holidays": "2026-12-25, 2026-12-26",
            "review_cadence": "monthly",
        },
    )

    # then it exists at version 1 with what was typed, and the browser goes to it
    assert response.status_code == 302
    assert response["Location"] == reverse("slas:policy_detail", args=["premium"])
    with in_tenant(tenant_a):
        policy = SlaPolicy.objects.get(slug="premium")
        assert policy.version == 1
        assert policy.time_zone == "Europe/Berlin"
        assert policy.working_days == ["mon", "tue", "wed", "thu", "fri", "sat"]
        assert [str(day) for day in policy.holidays] == ["2026-12-25", "2026-12-26"]
        assert not policy.is_default


def test_policies_text_is_rendered_from_markdown_without_scripts(
    alpha_manager: TenantClient, in_tenant: Callable[..., Any], tenant_a: Any
) -> None:
    # given policies and procedures with Markdown and hostile HTML
    with in_tenant(tenant_a):
        make_policy(
            "hostile",
            policies=(
                "# Support\n\nWe answer **fast**.\n\n"
                "<script>alert('owned')</script>\n\n"
                '<img src="x" onerror="alert(2)">\n\n'
                "[click](javascript:alert(3))"
            ),
        )

    # when a manager reads the policy
    html = alpha_manager.get(reverse("slas:policy_detail", args=["hostile"])).content.decode()
    text = re.search(r'id="policy-text">(.*?)</div>', html, re.S)
    assert text is not None

    # then the Markdown is rendered and nothing that could run comes out
    assert "<strong>fast</strong>" in text.group(1)
    assert "<h3" in text.group(1)
    assert "<script" not in html.split("</footer>")[0]
    assert "alert('owned')" not in html
    assert "onerror" not in html
    assert "javascript:" not in html


def test_the_settings_page_moves_the_default(
    alpha_admin: TenantClient, in_tenant: Callable[..., Any], tenant_a: Any
) -> None:
    # given a second policy
    with in_tenant(tenant_a):
        old_default = SlaPolicy.objects.get(is_default=True)
        make_policy("new-default", name="New default")
    page = alpha_admin.get(reverse("slas:settings"))
    assert f"slug: {old_default.slug}" in page.content.decode()  # the file for sla_defaults

    # when the administrator makes it the default
    response = alpha_admin.post(reverse("slas:settings"), {"policy": "new-default"}, follow=True)

    # then it is the only default, and the page says so
    with in_tenant(tenant_a):
        assert list(SlaPolicy.objects.filter(is_default=True).values_list("slug", flat=True)) == [
            "new-default"
        ]
    assert "“New default” is now the default policy" in text_of(response)


# --- partner requests -------------------------------------------------------------------


def test_raising_a_request_shows_its_clocks(
    alpha_manager: TenantClient, in_tenant: Callable[..., Any], tenant_a: Any
) -> None:
    # given a partner on a policy with 4 h first response and 24 h resolution
    with in_tenant(tenant_a):
        policy = make_policy("clocks")
        PartnerFactory.create(ref="clocked", name="Clocked Ltd", sla=policy)
    form = alpha_manager.get(reverse("slas:request_new") + "?partner=clocked")
    assert 'value="clocked" selected' in form.content.decode()

    # when the manager raises a request for it
    response = alpha_manager.post(
        reverse("slas:request_new"),
        {"partner": "clocked", "kind": "support", "subject": "Shelf is broken"},
        follow=True,
    )

    # then the request's page shows both clocks running against those targets
    with in_tenant(tenant_a):
        partner_request = PartnerRequest.objects.get(subject="Shelf is broken")
        assert partner_request.raised_by == alpha_manager.user
    assert response.redirect_chain[-1][0] == reverse(
        "slas:request_detail", args=[partner_request.pk]
    )
    clocks = re.search(r'id="request-clocks">(.*?)</ul>', response.content.decode(), re.S)
    assert clocks is not None
    clock_text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", clocks.group(1)))
    assert "First response On track" in clock_text
    assert "Resolution On track" in clock_text
    assert "Target 4 business hours" in clock_text
    assert "Target 24 business hours" in clock_text
    assert "left" in clock_text
    assert "The request “Shelf is broken” is open; its clocks run." in text_of(response)


def test_a_request_without_subject_is_refused_inline(
    alpha_manager: TenantClient, in_tenant: Callable[..., Any], tenant_a: Any
) -> None:
    # given a partner
    with in_tenant(tenant_a):
        PartnerFactory.create(ref="quiet")

    # when a request is raised with a blank subject
    response = alpha_manager.post(
        reverse("slas:request_new"), {"partner": "quiet", "kind": "support", "subject": "   "}
    )

    # then the subject is marked and nothing is stored
    assert response.status_code == 200
    assert response.context["form"].errors["subject"]
    with in_tenant(tenant_a):
        assert not PartnerRequest.objects.exists()


def test_a_target_beyond_the_calendar_is_explained_not_a_crash(
    alpha_manager: TenantClient, in_tenant: Callable[..., Any], tenant_a: Any
) -> None:
    # given a partner whose own resolution target, stored before slas.rules refused
    # it (written here around the service), is years of business hours away
    with in_tenant(tenant_a):
        partner = PartnerFactory.create(ref="far-away")
        PartnerSlaOverride.objects.create(partner=partner, resolution_hours=99999)

    # when a request is raised for it
    response = alpha_manager.post(
        reverse("slas:request_new"), {"partner": "far-away", "kind": "support", "subject": "Hi"}
    )

    # then the form says why, and nothing is stored
    assert response.status_code == 200
    text = text_of(response)
    assert "cannot be set under SLA policy" in text
    assert "99999 business hours are more than the support calendar holds" in text
    assert "A tenant administrator must correct" in text
    with in_tenant(tenant_a):
        assert not PartnerRequest.objects.exists()


def test_the_request_list_puts_the_least_time_left_first(
    alpha_manager: TenantClient, in_tenant: Callable[..., Any], tenant_a: Any
) -> None:
    # given three open requests of the manager's partners: one fresh, one long
    # overdue, one a little overdue, and one resolved
    now = timezone.now()
    with in_tenant(tenant_a):
        policy = make_policy("sorting")
        partner = PartnerFactory.create(channel_manager=alpha_manager.user, sla=policy)
        partner_request_open(partner=partner, subject="Fresh", opened_at=now)
        partner_request_open(
            partner=partner, subject="Long overdue", opened_at=now - timedelta(days=20)
        )
        partner_request_open(
            partner=partner, subject="A bit overdue", opened_at=now - timedelta(days=5)
        )
        done = partner_request_open(
            partner=partner, subject="Done", opened_at=now - timedelta(days=3)
        )
        done.resolved_at = now
        done.save()

    # when the manager opens the open requests
    html = alpha_manager.get(reverse("slas:requests")).content.decode()

    # then the most overdue comes first, and the resolved one is not there
    subjects = re.findall(r'class="fw-semibold" href="/slas/requests/\d+/">([^<]+)<', html)
    assert subjects == ["Long overdue", "A bit overdue", "Fresh"]

    # and the resolved one is on the resolved tab
    closed = alpha_manager.get(reverse("slas:requests") + "?status=closed").content.decode()
    closed_subjects = re.findall(r'class="fw-semibold" href="/slas/requests/\d+/">([^<]+)<', closed)
    assert closed_subjects == ["Done"]
    assert "Breached" in html
    assert "overdue by" in html


def reply_and_send(client: TenantClient, url: str, body: str, next_url: str) -> Any:
    """Open the reply page (as the list's button does), review the reply, send it."""
    compose = client.get(url, {"next": next_url})
    assert compose.status_code == 200
    token = compose.context["form"]["token"].value()
    review = client.post(url, {"body": body, "token": token, "next": next_url})
    assert "Check the reply before it is sent" in text_of(review)
    return client.post(url, {"body": body, "token": token, "next": next_url, "step": "send"})


def test_respond_and_resolve_stop_the_clocks(
    alpha_manager: TenantClient,
    sample: dict[str, Any],
    in_tenant: Callable[..., Any],
    tenant_a: Any,
) -> None:
    partner_request = sample["request"]
    detail = reverse("slas:request_detail", args=[partner_request.pk])

    # when the manager writes, reviews and sends the first response from the list
    response = reply_and_send(
        alpha_manager,
        reverse("slas:request_respond", args=[partner_request.pk]),
        "We are on it.",
        reverse("slas:requests"),
    )

    # then the first response clock stopped and the browser is back on the list
    assert response["Location"] == reverse("slas:requests")
    with in_tenant(tenant_a):
        partner_request.refresh_from_db()
        assert partner_request.first_response_at is not None
        assert partner_request.first_response_state == "met"
        assert partner_request.resolved_at is None

    # when the request is resolved the same way; a foreign "next" is ignored
    response = reply_and_send(
        alpha_manager,
        reverse("slas:request_resolve", args=[partner_request.pk]),
        "Done.",
        "https://evil.example/",
    )

    # then both clocks are met and the request's page shows it resolved, without buttons
    assert response["Location"] == detail
    with in_tenant(tenant_a):
        partner_request.refresh_from_db()
        assert partner_request.resolution_state == "met"
    page = alpha_manager.get(detail)
    assert "First response Met" in text_of(page)
    assert "Resolution Met" in text_of(page)
    assert reverse("slas:request_resolve", args=[partner_request.pk]) not in page.content.decode()


# --- compliance ---------------------------------------------------------------------------


def test_a_breach_is_first_on_the_compliance_page_and_mailed_once(
    alpha_manager: TenantClient,
    in_tenant: Callable[..., Any],
    tenant_a: Any,
    eager_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given three partners of the manager: one alphabetically first with nothing
    # open, one with a fresh request, and one whose request was opened a month ago
    # (first response due long since; its resolution target is far away)
    manager = alpha_manager.user
    with in_tenant(tenant_a):
        policy = make_policy("compliance")
        PartnerFactory.create(
            ref="aaa-quiet", name="AAA Quiet Ltd", channel_manager=manager, sla=policy
        )
        fresh = PartnerFactory.create(
            ref="mmm-fresh", name="MMM Fresh Ltd", channel_manager=manager, sla=policy
        )
        late = PartnerFactory.create(
            ref="zzz-late", name="ZZZ Late Ltd", channel_manager=manager, sla=policy
        )
        partner_sla_override_set(partner=late, targets={"resolution_hours": "400"}, actor=None)
        partner_request_open(partner=fresh, subject="Fresh question")
        breached = partner_request_open(
            partner=late,
            subject="Forgotten request",
            opened_at=timezone.now() - timedelta(days=30),
        )

    # when the clocks are evaluated, twice (beat runs every few minutes)
    with in_tenant(tenant_a):
        with django_capture_on_commit_callbacks(execute=True):
            first = sla_clocks_evaluate()
        with django_capture_on_commit_callbacks(execute=True):
            second = sla_clocks_evaluate()

    # then one breach was recorded and e-mailed to the manager, exactly once
    assert (first, second) == (1, 0)
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == [manager.email]
    assert mail.outbox[0].subject == "SLA breached: ZZZ Late Ltd"
    with in_tenant(tenant_a):
        event = SlaEvent.objects.get()
        assert (event.request_id, event.clock, event.kind) == (
            breached.pk,
            "first_response",
            "breached",
        )
        assert event.notified_at is not None

    # when the manager opens the compliance page (their partners by default)
    response = alpha_manager.get(reverse("slas:compliance"))
    html = response.content.decode()

    # then the breached partner comes first, with the breach, then the others
    rows = re.findall(r'data-partner="([^"]+)" data-state="([^"]+)"', html)
    assert rows == [("zzz-late", "breached"), ("aaa-quiet", "ok"), ("mmm-fresh", "ok")]
    first_row = html[html.index('data-partner="zzz-late"') : html.index('data-partner="aaa-quiet"')]
    assert "Breached" in first_row
    assert "Forgotten request" in first_row
    assert "first response" in first_row
    assert "overdue by" in first_row
    assert "1 partner in breach" in text_of(response)
    assert "this month so far against the target" in html

    # and the bell shows the notification
    assert re.search(r'id="unread-notifications"[^>]*>1<', html)


def test_compliance_shows_my_partners_by_default_and_all_on_request(
    alpha_manager: TenantClient, in_tenant: Callable[..., Any], tenant_a: Any
) -> None:
    # given a partner of the manager and one of someone else
    with in_tenant(tenant_a):
        PartnerFactory.create(ref="mine-one", channel_manager=alpha_manager.user)
        PartnerFactory.create(ref="someone-elses")

    # when the manager opens the compliance page, then with "all partners"
    mine = alpha_manager.get(reverse("slas:compliance")).content.decode()
    everyone = alpha_manager.get(reverse("slas:compliance") + "?scope=all").content.decode()

    # then the first lists only theirs, the second both
    assert re.findall(r'data-partner="([^"]+)"', mine) == ["mine-one"]
    assert set(re.findall(r'data-partner="([^"]+)"', everyone)) >= {"mine-one", "someone-elses"}


# --- a partner's own targets ------------------------------------------------------------


def test_the_override_form_sets_own_targets_and_shows_inherited_ones(
    alpha_manager: TenantClient, in_tenant: Callable[..., Any], tenant_a: Any
) -> None:
    # given a partner of the manager on a policy with 4 h first response, 24 h resolution
    with in_tenant(tenant_a):
        policy = make_policy("override-me")
        partner = PartnerFactory.create(
            ref="overridden", sla=policy, channel_manager=alpha_manager.user
        )
    url = reverse("slas:override", args=["overridden"])

    # when the manager opens the form
    page = alpha_manager.get(url).content.decode()

    # then the inherited values are the placeholders of empty fields
    assert re.search(r'name="first_response_hours"[^>]*placeholder="4 \(inherited\)"', page)
    assert re.search(r'name="uptime_percent"[^>]*placeholder="none \(inherited\)"', page)

    # when the manager sets a first response of 1 h and a revenue minimum
    response = alpha_manager.post(url, {"first_response_hours": "1", "min_monthly_revenue": "5000"})

    # then those are the partner's own, the rest inherited, and the browser goes to
    # the partner's SLA panel
    assert response.status_code == 302
    assert response["Location"] == reverse("partners:detail", args=["overridden"]) + "#sla"
    with in_tenant(tenant_a):
        override = PartnerSlaOverride.objects.get(partner=partner)
        assert str(override.first_response_hours) == "1.00"
        assert str(override.min_monthly_revenue) == "5000.00"
        assert override.resolution_hours is None

    # when the form is opened again, its values are there; then "inherit everything"
    again = alpha_manager.get(url).content.decode()
    assert re.search(r'name="first_response_hours"[^>]*value="1.00"', again)
    alpha_manager.post(url, {"first_response_hours": "1", "inherit_all": "1"})
    with in_tenant(tenant_a):
        override.refresh_from_db()
        assert override.first_response_hours is None
        assert override.min_monthly_revenue is None


def test_a_bad_override_is_shown_inline_and_changes_nothing(
    alpha_manager: TenantClient, in_tenant: Callable[..., Any], tenant_a: Any
) -> None:
    # given a partner of the manager with an own first response target
    with in_tenant(tenant_a):
        partner = PartnerFactory.create(ref="careful", channel_manager=alpha_manager.user)
        partner_sla_override_set(partner=partner, targets={"first_response_hours": "3"}, actor=None)

    # when the form is sent with an uptime above 100 and a new first response
    response = alpha_manager.post(
        reverse("slas:override", args=["careful"]),
        {"first_response_hours": "2", "uptime_percent": "150"},
    )

    # then the uptime is marked and the first response is still the old one
    assert response.status_code == 200
    assert "150 is out of range" in response.context["form"].errors["uptime_percent"][0]
    with in_tenant(tenant_a):
        assert str(PartnerSlaOverride.objects.get(partner=partner).first_response_hours) == "3.00"


# --- the partner panel ------------------------------------------------------------------


def test_the_partner_panel_shows_the_effective_sla_and_open_requests(
    db: None, in_tenant: Callable[..., Any], tenant_a: Any
) -> None:
    # given a partner with one own target and an open request
    with in_tenant(tenant_a):
        policy = make_policy(
            "panel", name="Panel policy", holidays=["2999-12-25"], escalation_name="Duty desk"
        )
        partner = PartnerFactory.create(ref="paneled", sla=policy)
        partner_sla_override_set(partner=partner, targets={"resolution_hours": "12"}, actor=None)
        partner_request_open(partner=partner, subject="Panel question")
        other_manager = UserFactory.create(role=Role.MANAGER)

        # when the panel is rendered the way the partner page includes it, for the
        # partner's channel manager and for another manager
        def panel_for(user: Any) -> str:
            return render_to_string(
                "slas/_partner_panel.html",
                {
                    "sla_panel": partner_sla_panel(partner=partner),
                    "current_tenant": tenant_a,
                    "user": user,
                },
            )

        html = panel_for(partner.channel_manager)
        other_html = panel_for(other_manager)

    # then it names the policy and version, marks each target, shows the calendar,
    # the open request with its clocks and the links to the forms
    assert "Panel policy" in html
    assert "version 1" in html
    assert re.search(r'data-target="resolution_hours" data-overridden="yes"', html)
    assert re.search(r'data-target="first_response_hours" data-overridden="no"', html)
    assert "12 h" in html
    assert "<del>24 h</del>" in html
    assert "Mon, Tue, Wed, Thu, Fri, 09:00\u201317:00" in html  # an en dash
    assert formats.day(date(2999, 12, 25)) in html  # a day as the pages write days
    assert "Duty desk" in html
    assert "Panel question" in html
    assert "On track" in html
    assert reverse("slas:override", args=["paneled"]) in html
    # and only its own manager gets the link to set the partner's own targets
    assert reverse("slas:override", args=["paneled"]) not in other_html
    assert "Panel question" in other_html
    assert reverse("slas:policy_detail", args=["panel"]) in html
    assert "actuals arrive" not in html  # the placeholder of before the rollups is gone


# --- notifications ------------------------------------------------------------------------


def test_notifications_are_listed_and_marked_read(
    alpha_manager: TenantClient, in_tenant: Callable[..., Any], tenant_a: Any
) -> None:
    # given two unread notifications of the manager and one of someone else
    with in_tenant(tenant_a):
        first = Notification.objects.create(
            user=alpha_manager.user, title="SLA breached: One", link="/partners/one/"
        )
        Notification.objects.create(user=alpha_manager.user, title="SLA at risk: Two")
        other = PartnerFactory.create().channel_manager
        foreign = Notification.objects.create(user=other, title="Not yours")

    # when the manager opens the list
    page = alpha_manager.get(reverse("slas:notifications"))
    html = page.content.decode()

    # then their two are there, unread, the bell says 2, and the other's is not
    assert "SLA breached: One" in html
    assert "SLA at risk: Two" in html
    assert "Not yours" not in html
    assert re.search(r'id="unread-notifications"[^>]*>2<', html)

    # when one is opened: it is marked read and the browser goes to its link
    response = alpha_manager.post(reverse("slas:notification_read", args=[first.pk]), {"open": "1"})
    assert response["Location"] == "/partners/one/"

    # and someone else's cannot be touched
    assert (
        alpha_manager.post(reverse("slas:notification_read", args=[foreign.pk])).status_code == 404
    )

    # then the bell counts one; "mark all read" clears it
    assert re.search(
        r'id="unread-notifications"[^>]*>1<',
        alpha_manager.get(reverse("slas:list")).content.decode(),
    )
    alpha_manager.post(reverse("slas:notifications_read_all"))
    with in_tenant(tenant_a):
        assert (
            Notification.objects.filter(user=alpha_manager.user, read_at__isnull=True).count() == 0
        )
        foreign.refresh_from_db()
        assert foreign.read_at is None
    assert (
        'id="unread-notifications"' not in alpha_manager.get(reverse("slas:list")).content.decode()
    )


def test_a_partner_is_not_found_in_another_tenant(
    alpha_manager: TenantClient, partner_in: Callable[..., Any], tenant_b: Any
) -> None:
    # given a partner of beta
    partner_in(tenant_b, ref="beta-only")

    # when alpha's manager asks for its targets form on alpha
    response = alpha_manager.get(reverse("slas:override", args=["beta-only"]))

    # then there is no such partner here
    assert response.status_code == 404
