"""Activity that integrators send (orders, calls, contacts, inventory), the daily
per-partner rollups every metric is computed from, and the outbox that links them.

Every activity row is unique by `external_id` within its kind, so re-sending a row
updates it. Each write of activity records, in the same transaction, the (partner,
day) keys whose rollups it changes (`PendingRollup`); workers recompute exactly those
keys from the raw rows, so a lost message, a retry or a killed worker can delay the
numbers but never make them wrong.
"""

from django.db import models


class OrderStatus(models.TextChoices):
    OPEN = "open", "Open"
    WON = "won", "Won"
    LOST = "lost", "Lost"


class SalesChannel(models.TextChoices):
    ONLINE_STORE = "online_store", "Online direct store"
    DISPLAY_SHELF = "display_shelf", "Display shelf"
    DIRECT = "direct", "Direct"
    OTHER = "other", "Other"


class CallDirection(models.TextChoices):
    MADE = "made", "Made"
    RECEIVED = "received", "Received"


class Counterpart(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    CHANNEL_TEAM = "channel_team", "Channel team"


class Activity(models.Model):
    external_id = models.CharField(max_length=200, unique=True)
    partner = models.ForeignKey("partners.Partner", on_delete=models.PROTECT, related_name="+")
    ingested_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class Order(Activity):
    product = models.ForeignKey(
        "partners.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(max_length=10, choices=OrderStatus.choices)
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    cost = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    quantity = models.PositiveIntegerField(default=1)
    channel = models.CharField(
        max_length=20, choices=SalesChannel.choices, default=SalesChannel.OTHER
    )
    new_account = models.BooleanField(default=False)
    ordered_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-ordered_at", "-id"]
        indexes = [
            models.Index(fields=["partner", "ordered_at"]),
            models.Index(fields=["partner", "closed_at"]),
        ]

    def __str__(self) -> str:
        return self.external_id


class Call(Activity):
    direction = models.CharField(max_length=10, choices=CallDirection.choices)
    counterpart = models.CharField(
        max_length=20, choices=Counterpart.choices, default=Counterpart.CUSTOMER
    )
    duration_seconds = models.PositiveIntegerField(default=0)
    occurred_at = models.DateTimeField()

    class Meta:
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["partner", "occurred_at"])]

    def __str__(self) -> str:
        return self.external_id


class Lead(Activity):
    """A sales channel contact (API kind "contacts"): a lead a partner generated."""

    source = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(help_text="when the contact was generated")
    converted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["partner", "created_at"]),
            models.Index(fields=["partner", "converted_at"]),
        ]

    def __str__(self) -> str:
        return self.external_id


class InventorySnapshot(Activity):
    """Items of a product a partner lists in its online direct store, at one moment."""

    product = models.ForeignKey(
        "partners.Product", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    items_listed = models.PositiveIntegerField()
    observed_at = models.DateTimeField()

    class Meta:
        ordering = ["-observed_at", "-id"]
        indexes = [models.Index(fields=["partner", "observed_at"])]

    def __str__(self) -> str:
        return self.external_id


class RollupComponents(models.Model):
    """The additive components of a rollup, and what is not additive but combines:
    the first and last won order, and the last inventory snapshot."""

    orders_opened = models.IntegerField(default=0)
    orders_won = models.IntegerField(default=0)
    orders_lost = models.IntegerField(default=0)
    revenue = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    cost = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    items_sold = models.BigIntegerField(default=0)
    items_online_store = models.BigIntegerField(default=0)
    items_display_shelf = models.BigIntegerField(default=0)
    new_accounts = models.IntegerField(default=0)
    calls_made = models.IntegerField(default=0)
    calls_received = models.IntegerField(default=0)
    call_seconds = models.BigIntegerField(default=0)
    channel_calls = models.IntegerField(default=0)
    contacts_generated = models.IntegerField(default=0)
    contacts_converted = models.IntegerField(default=0)
    first_order_at = models.DateTimeField(null=True)
    last_order_at = models.DateTimeField(null=True)
    inventory_listed = models.BigIntegerField(null=True)

    class Meta:
        abstract = True


class DailyRollup(RollupComponents):
    """Additive components of one partner's day (the tenant's time zone)."""

    # No index of its own: the (partner, day) key serves every lookup by partner.
    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    day = models.DateField()

    class Meta:
        ordering = ["partner", "day"]
        constraints = [
            models.UniqueConstraint(fields=["partner", "day"], name="reporting_rollup_partner_day")
        ]
        indexes = [models.Index(fields=["day", "partner"])]

    def __str__(self) -> str:
        return f"{self.partner_id} {self.day}"


class Span(models.TextChoices):
    # Only weeks and months are stored (reporting.rollups.STORED_SPANS); a day is a
    # piece of reporting.rollups.cover(), read from the daily rollups.
    DAY = "day", "Day"
    WEEK = "week", "Week, Monday to Sunday"
    MONTH = "month", "Calendar month"


class SpanRollup(RollupComponents):
    """One partner's daily rollups summed over a week or a calendar month, kept by
    reporting.rollups whenever the daily rollups change.

    A period is read as its whole months, then whole weeks, then single days
    (reporting.rollups.cover): the months and weeks from here, the days from the
    daily rollups (reporting.metrics reads both in one query). A year over 1,000
    partners then sums some 30,000 rows instead of 365,000, and the metrics of a
    period are still exact sums. Days are not copied here: that would double the
    rows a full recompute writes. `inventory_listed` is the last snapshot in the
    span."""

    # No index of its own: the (partner, span, start) key serves every lookup by partner.
    partner = models.ForeignKey(
        "partners.Partner", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    span = models.CharField(max_length=5, choices=Span.choices)
    start = models.DateField(help_text="the first day of the span")

    class Meta:
        ordering = ["partner", "span", "start"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner", "span", "start"], name="reporting_spanrollup_key"
            )
        ]
        indexes = [models.Index(fields=["span", "start", "partner"])]

    def __str__(self) -> str:
        return f"{self.partner_id} {self.span} {self.start}"


class TotalRollup(RollupComponents):
    """Every partner's daily rollups of one day added up, kept by reporting.rollups
    whenever the daily rollups change (and when a partner goes). A chart of all
    partners reads one row a day here instead of one per partner and day. The items
    listed online are not kept: over a period they are each partner's last snapshot,
    which a day's total cannot give."""

    day = models.DateField(unique=True)
    inventory_listed = None

    class Meta:
        ordering = ["day"]

    def __str__(self) -> str:
        return str(self.day)


class PendingRollup(models.Model):
    """Outbox: a (partner, day) whose rollup must be recomputed from raw rows."""

    partner_id = models.BigIntegerField()
    day = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["partner_id", "day"], name="reporting_pending_partner_day"
            )
        ]

    def __str__(self) -> str:
        return f"{self.partner_id} {self.day}"


class RollupState(models.Model):
    """One row: when the rollups last caught up with the outbox."""

    folded_at = models.DateTimeField(null=True)
    reconciled_at = models.DateTimeField(null=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"rollups as of {self.folded_at}"
