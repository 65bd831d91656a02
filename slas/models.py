"""SLA policies, their versions, per-partner overrides, partner requests with their
business-hours clocks, and the SLA events (at risk, breached) raised once each.

Each tenant has exactly one default policy (enforced by the database). Every change
of a policy makes a new version; a request is judged against the version in force
when it was opened.
"""

from __future__ import annotations

from datetime import time
from decimal import Decimal

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from .calendar import BusinessCalendar

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
WEEKDAY_CHOICES = [(day, day.title()) for day in WEEKDAYS]


def default_working_days() -> list[str]:
    return WEEKDAYS[:5]


class ReviewCadence(models.TextChoices):
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"
    SEMIANNUAL = "semiannual", "Every six months"
    ANNUAL = "annual", "Yearly"


def _hours(verbose_name: str, help_text: str) -> models.DecimalField:
    return models.DecimalField(
        verbose_name,
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text=help_text,
    )


# Targets a partner may override one by one; the rest it inherits from its policy.
TARGET_FIELDS = (
    "first_response_hours",
    "resolution_hours",
    "lead_acceptance_hours",
    "min_monthly_revenue",
    "min_monthly_won_orders",
    "min_monthly_calls",
    "uptime_percent",
)


class SlaTargets(models.Model):
    """The targets a policy sets and an override may replace; empty means none."""

    first_response_hours = _hours("first response (business hours)", "Time to the first answer.")
    resolution_hours = _hours("resolution (business hours)", "Time to resolve a request.")
    lead_acceptance_hours = _hours("lead acceptance (business hours)", "Time to accept a lead.")
    min_monthly_revenue = models.DecimalField(
        "minimum monthly revenue",
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0"))],
    )
    min_monthly_won_orders = models.PositiveIntegerField(
        "minimum monthly won orders", null=True, blank=True
    )
    min_monthly_calls = models.PositiveIntegerField("minimum monthly calls", null=True, blank=True)
    uptime_percent = models.DecimalField(
        "uptime (%)",
        max_digits=6,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(Decimal("0")), MaxValueValidator(Decimal("100"))],
    )

    class Meta:
        abstract = True


class SlaPolicy(SlaTargets):
    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    policies = models.TextField(
        "policies and procedures", blank=True, help_text="Markdown; shown to partners."
    )
    time_zone = models.CharField(max_length=64, default="UTC")
    working_days = ArrayField(
        models.CharField(max_length=3, choices=WEEKDAY_CHOICES), default=default_working_days
    )
    working_hours_start = models.TimeField(default=time(9))
    working_hours_end = models.TimeField(default=time(17))
    holidays = ArrayField(models.DateField(), default=list, blank=True)
    escalation_name = models.CharField(max_length=200, blank=True)
    escalation_email = models.EmailField(blank=True)
    review_cadence = models.CharField(
        max_length=20, choices=ReviewCadence.choices, default=ReviewCadence.QUARTERLY
    )
    is_default = models.BooleanField(default=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"],
                condition=Q(is_default=True),
                name="slas_one_default_policy",
                violation_error_message="A tenant has exactly one default SLA policy.",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def calendar(self) -> BusinessCalendar:
        return BusinessCalendar(
            time_zone=self.time_zone,
            working_days=frozenset(WEEKDAYS.index(day) for day in self.working_days),
            start=self.working_hours_start,
            end=self.working_hours_end,
            holidays=frozenset(self.holidays),
        )


class SlaPolicyVersion(models.Model):
    """A policy as it stood from `created_at` until the next version."""

    policy = models.ForeignKey(SlaPolicy, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveIntegerField()
    # Every field of the policy, in the API's form.
    data = models.JSONField()
    changed_fields = ArrayField(models.CharField(max_length=64), default=list, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    source = models.CharField(max_length=20, default="app", help_text="app, api or command")
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["policy", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["policy", "number"], name="slas_version_unique_number")
        ]

    def __str__(self) -> str:
        return f"{self.policy} v{self.number}"


class PartnerSlaOverride(SlaTargets):
    """Targets that differ for one partner; every empty one is inherited."""

    partner = models.OneToOneField(
        "partners.Partner", on_delete=models.CASCADE, related_name="sla_override"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["partner"]

    def __str__(self) -> str:
        return f"SLA override of {self.partner}"


class RequestKind(models.TextChoices):
    SUPPORT = "support", "Support request"
    LEAD = "lead", "Lead to accept"
    CHANGE = "change", "Change request"
    OTHER = "other", "Other"


class Clock(models.TextChoices):
    FIRST_RESPONSE = "first_response", "First response"
    RESOLUTION = "resolution", "Resolution"


class ClockState(models.TextChoices):
    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    BREACHED = "breached", "Breached"
    MET = "met", "Met"
    MISSED = "missed", "Met late"
    NONE = "none", "No target"


class PartnerRequest(models.Model):
    """Work a partner asked for, timed against its SLA in business hours."""

    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.CASCADE, related_name="requests"
    )
    kind = models.CharField(max_length=20, choices=RequestKind.choices, default=RequestKind.SUPPORT)
    subject = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    raised_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    opened_at = models.DateTimeField()
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # The policy version in force when the request was opened, and the deadlines it
    # set (policy plus the partner's overrides), fixed at opening.
    sla_version = models.ForeignKey(
        SlaPolicyVersion, null=True, on_delete=models.PROTECT, related_name="requests"
    )
    first_response_target_hours = models.DecimalField(max_digits=7, decimal_places=2, null=True)
    resolution_target_hours = models.DecimalField(max_digits=7, decimal_places=2, null=True)
    first_response_due_at = models.DateTimeField(null=True, blank=True)
    resolution_due_at = models.DateTimeField(null=True, blank=True)
    first_response_state = models.CharField(
        max_length=20, choices=ClockState.choices, default=ClockState.ON_TRACK
    )
    resolution_state = models.CharField(
        max_length=20, choices=ClockState.choices, default=ClockState.ON_TRACK
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["resolved_at", "first_response_due_at"]),
            models.Index(fields=["partner", "-opened_at"]),
        ]

    def __str__(self) -> str:
        return self.subject

    @property
    def is_open(self) -> bool:
        return self.resolved_at is None


class EventKind(models.TextChoices):
    AT_RISK = "at_risk", "At risk"
    BREACHED = "breached", "Breached"
    MINIMUM_MISSED = "minimum_missed", "Monthly minimum missed"


class SlaEvent(models.Model):
    """An SLA event, recorded (and notified) exactly once: a request clock turning at
    risk or breached, or a monthly minimum missed. The unique constraints are what
    make "once per event, not once per evaluation" hold under concurrent workers."""

    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.CASCADE, related_name="sla_events"
    )
    request = models.ForeignKey(
        PartnerRequest, null=True, blank=True, on_delete=models.CASCADE, related_name="events"
    )
    clock = models.CharField(max_length=20, choices=Clock.choices, blank=True)
    kind = models.CharField(max_length=20, choices=EventKind.choices)
    # For monthly minimums: the first day of the month and the target that was missed.
    month = models.DateField(null=True, blank=True)
    target = models.CharField(max_length=64, blank=True)
    detail = models.TextField(blank=True)
    occurred_at = models.DateTimeField()
    # When the e-mail went out (slas.mail.sla_event_mail_send), and when beat's sweep
    # last queued it because it had not (slas.mail.sla_event_mail_sweep).
    notified_at = models.DateTimeField(null=True, blank=True)
    mail_requeued_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["request", "clock", "kind"],
                condition=Q(request__isnull=False),
                name="slas_event_once_per_request_clock",
            ),
            models.UniqueConstraint(
                fields=["partner", "month", "target", "kind"],
                condition=Q(request__isnull=True),
                name="slas_event_once_per_partner_month_target",
            ),
        ]
        indexes = [
            models.Index(fields=["kind", "-occurred_at"]),
            # The events whose e-mail has not gone out, for the sweep: a few rows.
            models.Index(
                fields=["occurred_at"],
                condition=Q(notified_at__isnull=True),
                name="slas_event_mail_unsent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.partner}"


class Notification(models.Model):
    """An in-app notice for one user: an SLA event for the partner's channel manager, a
    reply on a request for the partner's portal users, a partner's answer for those who
    read its answers (slas.selectors.partner_answer_readers)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    event = models.ForeignKey(
        SlaEvent, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    link = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"])]

    def __str__(self) -> str:
        return self.title


class MessageKind(models.TextChoices):
    RESPONSE = "response", "Response"
    RESOLUTION = "resolution", "Resolution"
    NOTE = "note", "Note from the partner"


# What the vendor's side writes (a reply that stops the first-response clock, or the
# one that resolves); a partner user writes notes.
STAFF_MESSAGE_KINDS = (MessageKind.RESPONSE, MessageKind.RESOLUTION)


class RequestMessage(models.Model):
    """One message of a partner request's conversation: the vendor's replies (the first
    stops the first-response clock, the resolution reply the resolution clock) and the
    partner's notes, in order. Each is mailed once to the other side; `notified_at`
    says when (slas.mail), `mailed_to` to whom.

    A first step of the conversations of DESIGN.md "Partner communications": a message
    has a thread (its request), an author, a body and a time, as comms' will."""

    request = models.ForeignKey(PartnerRequest, on_delete=models.CASCADE, related_name="messages")
    kind = models.CharField(max_length=20, choices=MessageKind.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    body = models.TextField(help_text="Markdown; rendered sanitised.")
    created_at = models.DateTimeField()
    # The confirmation form's one-time key (its token with the request, kind and text,
    # slas.services.messages._message_key): a form sent twice (a double click, a
    # reload) stores and mails the message once.
    token = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    notified_at = models.DateTimeField(null=True, blank=True)
    mail_requeued_at = models.DateTimeField(null=True, blank=True)
    mailed_to = ArrayField(models.EmailField(), default=list, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["request", "created_at"]),
            # Messages whose e-mail has not gone out, for the sweep: a few rows.
            models.Index(
                fields=["created_at"],
                condition=Q(notified_at__isnull=True),
                name="slas_message_mail_unsent",
            ),
        ]
        constraints = [
            # A request is resolved once, so it has at most one resolution reply.
            models.UniqueConstraint(
                fields=["request"],
                condition=Q(kind="resolution"),
                name="slas_message_one_resolution",
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} on {self.request}"

    @property
    def from_partner(self) -> bool:
        return self.kind == MessageKind.NOTE
