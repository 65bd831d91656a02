"""Partner requests timed in business hours, end to end: from a policy and its calendar
to the deadlines a request gets, the clock states it goes through, the at-risk and
breach events raised once each, and the one e-mail per breach."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.exceptions import ValidationError

from partners.models import Partner
from prm.accounts.models import Role, User
from prm.celery import app
from slas import services
from slas.clocks import read_clock
from slas.models import (
    Clock,
    ClockState,
    EventKind,
    Notification,
    PartnerRequest,
    RequestKind,
    SlaEvent,
)
from slas.selectors import partner_request_list_for_user
from slas.tasks import send_event_mail
from tests.factories import PartnerFactory, UserFactory
from tests.slas.policies import FRIDAY_4PM, MONDAY, UTC, at, weekday_policy

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def alpha(db: None, in_tenant: Callable[..., Any], tenant_a: Any) -> Iterator[Any]:
    """The whole test runs in alpha's schema."""
    with in_tenant(tenant_a):
        yield tenant_a


@pytest.fixture
def manager(alpha: Any) -> User:
    return UserFactory.create(role=Role.MANAGER, email="carla.manager@example.com")


@pytest.fixture
def partner(manager: User) -> Partner:
    """A partner on the Monday-Friday 09:00-17:00 UTC policy (2 h first response, 16 h
    resolution), managed by Carla."""
    return PartnerFactory.create(
        ref="northwind", name="Northwind", sla=weekday_policy(), channel_manager=manager
    )


@pytest.fixture
def eager_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Queued tasks run at once, in this process and in the schema they were queued in."""
    monkeypatch.setitem(app.conf, "task_always_eager", True)
    monkeypatch.setitem(app.conf, "task_eager_propagates", True)


def open_request(partner: Partner, opened_at: datetime, **fields: Any) -> PartnerRequest:
    return services.partner_request_open(
        partner=partner, subject="Router will not boot", opened_at=opened_at, **fields
    )


def states(request: PartnerRequest) -> tuple[str, str]:
    request.refresh_from_db()
    return request.first_response_state, request.resolution_state


def events_of(request: PartnerRequest) -> list[tuple[str, str]]:
    return sorted(request.events.values_list("clock", "kind"))


# --- deadlines ----------------------------------------------------------------------------


def test_friday_4pm_with_a_two_hour_target_is_due_monday_10am(partner: Partner) -> None:
    # given a partner whose policy answers in 2 business hours, Monday-Friday 09:00-17:00

    # when a request is opened on Friday at 16:00
    request = open_request(partner, FRIDAY_4PM)

    # then one hour is used on Friday and the answer is due Monday at 10:00
    assert request.first_response_due_at == at(MONDAY, 10)
    assert request.first_response_target_hours == Decimal("2.00")
    # and the 16-hour resolution runs Friday 1 h + Monday 8 h + Tuesday 7 h
    assert request.resolution_due_at == at(MONDAY + timedelta(days=1), 16)
    assert request.sla_version is not None
    assert request.sla_version.number == partner.sla.version
    assert states(request) == (ClockState.ON_TRACK, ClockState.ON_TRACK)


def test_a_monday_holiday_in_the_policy_moves_the_deadline_to_tuesday(manager: User) -> None:
    # given the same policy with Monday 23 November as a holiday
    policy = weekday_policy("holiday", holidays=["2026-11-23"])
    partner = PartnerFactory.create(sla=policy, channel_manager=manager)

    # when a request is opened on Friday at 16:00
    request = open_request(partner, FRIDAY_4PM)

    # then the answer is due Tuesday at 10:00
    assert request.first_response_due_at == at(MONDAY + timedelta(days=1), 10)


def test_deadlines_are_counted_in_the_policy_time_zone_across_a_dst_change(
    manager: User,
) -> None:
    # given a Berlin 09:00-17:00 policy, and the clocks going forward on Sunday 29 March
    policy = weekday_policy("berlin", time_zone="Europe/Berlin")
    partner = PartnerFactory.create(sla=policy, channel_manager=manager)

    # when a request is opened on Friday 27 March at 16:00 Berlin time (15:00 UTC, CET)
    request = open_request(partner, datetime(2026, 3, 27, 16, 0, tzinfo=BERLIN))

    # then it is due Monday at 10:00 Berlin time, which is 08:00 UTC in summer time
    assert request.first_response_due_at == datetime(2026, 3, 30, 8, 0, tzinfo=UTC)
    assert request.first_response_due_at == datetime(2026, 3, 30, 10, 0, tzinfo=BERLIN)


def test_a_partner_override_sets_its_request_deadlines(partner: Partner, manager: User) -> None:
    # given the partner answers in half an hour by its own target
    services.partner_sla_override_set(
        partner=partner, targets={"first_response_hours": "0.5"}, actor=manager
    )

    # when a request is opened on Monday at 09:00
    request = open_request(partner, at(MONDAY, 9))

    # then the override sets the first deadline and the policy the resolution
    assert request.first_response_target_hours == Decimal("0.50")
    assert request.first_response_due_at == at(MONDAY, 9, 30)
    assert request.resolution_target_hours == Decimal("16.00")


def test_a_lead_is_timed_by_the_lead_acceptance_target_only(manager: User) -> None:
    # given a policy accepting leads within 4 business hours
    partner = PartnerFactory.create(
        sla=weekday_policy("leads", lead_acceptance_hours="4"), channel_manager=manager
    )

    # when a lead arrives on Monday at 15:00
    lead = open_request(partner, at(MONDAY, 15), kind=RequestKind.LEAD)

    # then it must be accepted by Tuesday 11:00 and has no resolution clock
    assert lead.first_response_target_hours == Decimal("4.00")
    assert lead.first_response_due_at == at(MONDAY + timedelta(days=1), 11)
    assert lead.resolution_due_at is None
    assert states(lead) == (ClockState.ON_TRACK, ClockState.NONE)


def test_a_policy_without_targets_starts_no_clock(manager: User) -> None:
    # given a policy with no response or resolution targets
    policy = weekday_policy("none", first_response_hours=None, resolution_hours=None)
    partner = PartnerFactory.create(sla=policy, channel_manager=manager)

    # when a request is opened and the clocks are evaluated a year later
    request = open_request(partner, at(MONDAY, 9))
    raised = services.sla_clocks_evaluate(now=at(MONDAY, 9) + timedelta(days=365))

    # then nothing is due and nothing was raised
    assert (request.first_response_due_at, request.resolution_due_at) == (None, None)
    assert states(request) == (ClockState.NONE, ClockState.NONE)
    assert raised == 0


def test_a_request_needs_a_subject_and_a_known_kind(partner: Partner) -> None:
    # when a request without subject and with an unknown kind is opened
    with pytest.raises(ValidationError) as error:
        services.partner_request_open(partner=partner, subject="  ", kind="complaint")

    # then both are named and nothing is stored
    assert set(error.value.message_dict) == {"subject", "kind"}
    assert not PartnerRequest.objects.exists()


# --- versions: a request keeps the terms it was opened under --------------------------------


def test_a_request_keeps_the_version_it_was_opened_under(partner: Partner, manager: User) -> None:
    # given a request opened on Friday 16:00 under version 1 (2 h, no holidays)
    policy = partner.sla
    old = open_request(partner, FRIDAY_4PM)

    # when the policy changes to 8 h with Monday as a holiday (version 2)
    services.sla_policy_save(
        data={"first_response_hours": "8", "holidays": ["2026-11-23"]},
        policy=policy,
        actor=manager,
    )
    new = open_request(partner, FRIDAY_4PM)

    # then the old request keeps version 1's deadline, the new one gets version 2's
    old.refresh_from_db()
    assert old.sla_version is not None
    assert new.sla_version is not None
    assert (old.sla_version.number, new.sla_version.number) == (1, 2)
    assert old.first_response_due_at == at(MONDAY, 10)
    # (Friday 1 h, Monday off, Tuesday 7 h)
    assert new.first_response_due_at == at(MONDAY + timedelta(days=1), 16)
    # and the old clock still counts in version 1's calendar: Monday is a working day
    reading = read_clock(old, Clock.FIRST_RESPONSE, now=at(MONDAY, 9, 30))
    assert reading.used == Decimal("0.750")
    assert reading.state == ClockState.ON_TRACK


# --- clock states ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "state", "used"),
    [
        (at(MONDAY, 10, 35), ClockState.ON_TRACK, Decimal("0.792")),
        (at(MONDAY, 10, 36), ClockState.AT_RISK, Decimal("0.800")),
        (at(MONDAY, 10, 59), ClockState.AT_RISK, Decimal("0.992")),
        (at(MONDAY, 11, 0), ClockState.BREACHED, Decimal("1.000")),
    ],
)
def test_a_clock_is_at_risk_from_80_percent_and_breached_when_due(
    partner: Partner, now: datetime, state: str, used: Decimal
) -> None:
    # given a request opened Monday 09:00 with a 2-hour first-response target
    request = open_request(partner, at(MONDAY, 9))

    # when its clock is read
    reading = read_clock(request, Clock.FIRST_RESPONSE, now=now)

    # then it is on track until 96 minutes are used, at risk after, breached at 11:00
    assert (reading.state, reading.used) == (state, used)
    assert reading.due_at == at(MONDAY, 11)


def test_business_time_left_stops_outside_working_hours(partner: Partner) -> None:
    # given a request opened Friday 16:00 (due Monday 10:00)
    request = open_request(partner, FRIDAY_4PM)

    # when the clock is read on Saturday, and on Monday at 12:00
    weekend = read_clock(request, Clock.FIRST_RESPONSE, now=FRIDAY_4PM + timedelta(1))
    late = read_clock(request, Clock.FIRST_RESPONSE, now=at(MONDAY, 12))

    # then the weekend used only Friday's hour, and Monday noon is 2 h overdue
    assert (weekend.state, weekend.used, weekend.left) == (
        ClockState.ON_TRACK,
        Decimal("0.500"),
        timedelta(hours=1),
    )
    assert (late.state, late.left) == (ClockState.BREACHED, -timedelta(hours=2))


def test_answering_in_time_meets_the_target_and_late_misses_it(partner: Partner) -> None:
    # given two requests opened Monday 09:00 (answer due 11:00, resolution Tuesday 17:00)
    prompt = open_request(partner, at(MONDAY, 9))
    slow = open_request(partner, at(MONDAY, 9))

    # when one is answered at 10:59 and resolved Tuesday at 17:00, the other answered at
    # 11:01 and resolved Wednesday
    services.partner_request_respond(request=prompt, at=at(MONDAY, 10, 59))
    services.partner_request_resolve(request=prompt, at=at(MONDAY + timedelta(1), 17))
    services.partner_request_respond(request=slow, at=at(MONDAY, 11, 1))
    services.partner_request_resolve(request=slow, at=at(MONDAY + timedelta(2), 9, 30))

    # then the first met both targets, the second met both late
    assert states(prompt) == (ClockState.MET, ClockState.MET)
    assert states(slow) == (ClockState.MISSED, ClockState.MISSED)
    assert ClockState.MISSED.label == "Met late"


def test_resolving_without_an_answer_answers_too(partner: Partner) -> None:
    # given a request opened Monday 09:00
    request = open_request(partner, at(MONDAY, 9))

    # when it is resolved at 10:00 without a separate answer
    services.partner_request_resolve(request=request, at=at(MONDAY, 10))

    # then both clocks stopped at 10:00 and both targets are met
    request.refresh_from_db()
    assert request.first_response_at == request.resolved_at == at(MONDAY, 10)
    assert states(request) == (ClockState.MET, ClockState.MET)


def test_answering_twice_keeps_the_first_answer(partner: Partner) -> None:
    # given a request answered at 10:00
    request = open_request(partner, at(MONDAY, 9))
    services.partner_request_respond(request=request, at=at(MONDAY, 10))

    # when it is answered again after the deadline
    services.partner_request_respond(request=request, at=at(MONDAY, 12))

    # then the first answer stands
    request.refresh_from_db()
    assert request.first_response_at == at(MONDAY, 10)
    assert request.first_response_state == ClockState.MET


# --- events: at risk, then breached, each once --------------------------------------------


def test_at_risk_then_breached_raises_two_events_however_often_evaluated(
    partner: Partner,
) -> None:
    # given a request opened Monday 09:00 (answer due 11:00)
    request = open_request(partner, at(MONDAY, 9))

    # when the clocks are evaluated on track, three times at risk and three times late
    raised = [
        services.sla_clocks_evaluate(now=now)
        for now in (
            at(MONDAY, 10),
            at(MONDAY, 10, 40),
            at(MONDAY, 10, 45),
            at(MONDAY, 10, 50),
            at(MONDAY, 11, 30),
            at(MONDAY, 12),
            at(MONDAY, 13),
        )
    ]

    # then one at-risk and one breach event were raised, each the first time
    assert raised == [0, 1, 0, 0, 1, 0, 0]
    assert events_of(request) == [
        (Clock.FIRST_RESPONSE, EventKind.AT_RISK),
        (Clock.FIRST_RESPONSE, EventKind.BREACHED),
    ]
    assert states(request) == (ClockState.BREACHED, ClockState.ON_TRACK)


def test_a_clock_that_jumps_straight_to_breached_raises_one_event(partner: Partner) -> None:
    # given a request opened Monday 09:00 that nobody evaluated while it was at risk
    request = open_request(partner, at(MONDAY, 9))

    # when the clocks are first evaluated after the deadline, twice
    first = services.sla_clocks_evaluate(now=at(MONDAY, 14))
    second = services.sla_clocks_evaluate(now=at(MONDAY, 15))

    # then only the breach was raised, once
    assert (first, second) == (1, 0)
    assert events_of(request) == [(Clock.FIRST_RESPONSE, EventKind.BREACHED)]


def test_both_clocks_raise_their_own_events(partner: Partner) -> None:
    # given a request opened Monday 09:00 and answered late at 12:00
    request = open_request(partner, at(MONDAY, 9))
    services.sla_clocks_evaluate(now=at(MONDAY, 11, 30))
    services.partner_request_respond(request=request, at=at(MONDAY, 12))

    # when the resolution clock (due Tuesday 17:00) is evaluated at risk on Tuesday
    # 15:00, then past its deadline every day for a week
    tuesday = MONDAY + timedelta(days=1)
    services.sla_clocks_evaluate(now=at(tuesday, 15))
    for day in range(7):
        services.sla_clocks_evaluate(now=at(tuesday + timedelta(days=day), 18))

    # then the answer's breach stays one event, and the resolution clock has its own two
    assert events_of(request) == [
        (Clock.FIRST_RESPONSE, EventKind.BREACHED),
        (Clock.RESOLUTION, EventKind.AT_RISK),
        (Clock.RESOLUTION, EventKind.BREACHED),
    ]
    # and the late answer is recorded as met late, not breached any more
    assert states(request) == (ClockState.MISSED, ClockState.BREACHED)


def test_stopped_clocks_raise_nothing(partner: Partner) -> None:
    # given a request answered and resolved in time
    request = open_request(partner, at(MONDAY, 9))
    services.partner_request_resolve(request=request, at=at(MONDAY, 10))

    # when the clocks are evaluated long after both deadlines
    raised = services.sla_clocks_evaluate(now=at(MONDAY, 9) + timedelta(days=30))

    # then nothing was raised
    assert raised == 0
    assert not SlaEvent.objects.exists()


# --- notification: one e-mail and one in-app notice per event -------------------------------


def test_a_breach_sends_exactly_one_email(
    partner: Partner,
    manager: User,
    eager_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    # given a request opened Monday 09:00 (answer due 11:00) and an empty outbox
    request = open_request(partner, at(MONDAY, 9))
    assert mail.outbox == []

    # when the clocks are evaluated five times after the deadline, each evaluation's
    # commit sending what it queued
    for minute in range(0, 50, 10):
        with django_capture_on_commit_callbacks(execute=True):
            services.sla_clocks_evaluate(now=at(MONDAY, 11, minute))

    # then the channel manager got one e-mail and one in-app notice about the breach
    assert len(mail.outbox) == 1
    (message,) = mail.outbox
    assert message.to == [manager.email]
    assert message.subject == "SLA breached: Northwind"
    assert "Router will not boot" in message.body
    assert "first response breached its target" in message.body
    (event,) = SlaEvent.objects.filter(request=request)
    assert event.notified_at is not None
    (notice,) = Notification.objects.filter(event=event)
    assert (notice.user, notice.title, notice.link) == (
        manager,
        "SLA breached: Northwind",
        "/partners/northwind/",
    )


def test_the_mail_gives_the_deadline_in_the_support_calendars_time_zone(
    manager: User, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    # given a Berlin policy and a request due Monday 30 March 10:00 Berlin time
    policy = weekday_policy("berlin", time_zone="Europe/Berlin")
    partner = PartnerFactory.create(name="Kraftwerk", sla=policy, channel_manager=manager)
    open_request(partner, datetime(2026, 3, 27, 16, 0, tzinfo=BERLIN))

    # when it is evaluated after the deadline
    with django_capture_on_commit_callbacks(execute=True):
        services.sla_clocks_evaluate(now=datetime(2026, 3, 30, 12, 0, tzinfo=BERLIN))

    # then the mail gives the deadline as the calendar has it, naming the zone
    (message,) = mail.outbox
    assert message.body == (
        "Kraftwerk: “Router will not boot” — first response breached its target, "
        "due 2026-03-30 10:00 (Europe/Berlin)"
    )


def test_an_event_mail_that_went_out_is_not_sent_again(
    partner: Partner, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    # given a breach whose e-mail went out
    open_request(partner, at(MONDAY, 9))
    with django_capture_on_commit_callbacks(execute=True):
        services.sla_clocks_evaluate(now=at(MONDAY, 12))
    event = SlaEvent.objects.get()
    sent_at = event.notified_at
    assert len(mail.outbox) == 1

    # when the mail task runs again for it (a redelivered message)
    again = send_event_mail.delay(event.pk).get()

    # then nothing more is sent and the time it was sent stays
    assert again is False
    assert len(mail.outbox) == 1
    event.refresh_from_db()
    assert event.notified_at == sent_at


def test_at_risk_and_breach_each_send_one_email(
    partner: Partner, eager_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    # given a request opened Monday 09:00
    open_request(partner, at(MONDAY, 9))

    # when it is evaluated twice at risk and twice breached
    for now in (at(MONDAY, 10, 40), at(MONDAY, 10, 50), at(MONDAY, 11, 10), at(MONDAY, 11, 20)):
        with django_capture_on_commit_callbacks(execute=True):
            services.sla_clocks_evaluate(now=now)

    # then one e-mail went out for each event, in order
    assert [message.subject for message in mail.outbox] == [
        "SLA at risk: Northwind",
        "SLA breached: Northwind",
    ]


# --- who sees which requests ----------------------------------------------------------------


def test_a_partner_user_sees_only_its_own_partners_requests(
    partner: Partner, manager: User
) -> None:
    # given requests of two partners, a user of each, and a manager
    other = PartnerFactory.create(ref="contoso", sla=partner.sla, channel_manager=manager)
    ours = open_request(partner, at(MONDAY, 9))
    theirs = open_request(other, at(MONDAY, 9))
    our_user = UserFactory.create(role=Role.PARTNER, partner=partner)
    UserFactory.create(role=Role.PARTNER, partner=other)

    # when each lists the requests
    # then a partner user sees its partner's requests only, staff see all
    assert list(partner_request_list_for_user(user=our_user)) == [ours]
    assert set(partner_request_list_for_user(user=manager)) == {ours, theirs}
    # and a deactivated user sees none
    our_user.is_active = False
    assert not partner_request_list_for_user(user=our_user).exists()
