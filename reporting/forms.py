"""reporting's forms. Bad input (a day that does not exist, from after to, a period
too long) is a form error, never a server error.

- The period picker (PeriodForm, reused by every scorecard page) and the dashboard's
  filters (DashboardForm).
- The activity pages' filters (ActivityFilterForm): a partner by name or ref, a
  range of the tenant's days, an order's status, a call's direction and counterpart,
  whether a contact converted.
- Calls and contacts typed into a browser form: the staff activity pages and the
  partner portal share the fields (CallEntryForm, ContactEntryForm; `row()` is the
  cleaned input as an ingestion row, stored by reporting.services.manual_entry_record).
  Which partner a row belongs to is the caller's business: staff pick one (CallForm,
  ContactForm), the portal fixes it to the signed-in user's own. The time starts at
  now in the active zone (the tenant's, on its pages), written as the browser's
  datetime-local value, and is read back in that zone; a time more than
  FUTURE_SKEW ahead of now is refused (a call or contact is logged once it has
  happened). The activity API keeps taking rows at any time (DESIGN.md's contract
  says nothing of the future, and the soak bench sends orders dated ahead).
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils import timezone
from django_countries import countries

from partners.models import Partner, Product, Tier
from partners.selectors import channel_manager_list
from prm.tenancy.clock import tenant_today
from prm.web.formats import moment

from .dashboard import DEFAULT_SORT, LEADERBOARD_SORTS, sort_label
from .kinds import CALLS, CONTACTS, ORDERS
from .metrics import Period
from .models import CallDirection, Counterpart, OrderStatus
from .scorecard import DEFAULT_PRESET, MAX_PERIOD_DAYS, PRESETS, preset_period
from .selectors import ActivityFilters

# --- the period picker and the dashboard's filters ------------------------------------------


def _with(data: Any, key: str, value: str) -> Any:
    """A copy of `data` (a QueryDict or a dict) with `key` set."""
    copied = data.copy()
    copied[key] = value
    return copied


class PeriodForm(forms.Form):
    """The period picker: a preset (up to today, the tenant's day) or custom from/to,
    both days inclusive. `chosen_period()` is the chosen reporting.metrics.Period. The query
    parameters are `period`, `from` and `to` (as the metrics API's)."""

    period = forms.ChoiceField(
        label="Period", choices=list(PRESETS.items()), required=False, initial=DEFAULT_PRESET
    )

    def __init__(
        self,
        *args: Any,
        today: date | None = None,
        default: str = DEFAULT_PRESET,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.today = today or tenant_today()
        self.default = default
        self.fields["period"].initial = default
        if self.is_bound and not self.data.get("period"):
            # No preset chosen: custom when a day is given, the default otherwise.
            custom = self.data.get("from") or self.data.get("to")
            self.data = _with(self.data, "period", "custom" if custom else default)
        date_input = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        # "from" is a Python keyword, so these two are added here, not declared above.
        self.fields["from"] = forms.DateField(
            label="From", required=False, widget=date_input, input_formats=["%Y-%m-%d"]
        )
        self.fields["to"] = forms.DateField(
            label="To", required=False, widget=date_input, input_formats=["%Y-%m-%d"]
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("from"), data.get("to")
        if "from" in self.errors or "to" in self.errors:
            return data
        preset = data.get("period") or self.default
        data["period"] = preset
        if preset != "custom":
            return data
        if start is None:
            self.add_error("from", "Give the first day of the period (YYYY-MM-DD).")
        if end is None:
            self.add_error("to", "Give the last day of the period (YYYY-MM-DD).")
        if start and end:
            if end < start:
                self.add_error("to", "The last day is before the first day.")
            elif (end - start).days >= MAX_PERIOD_DAYS:
                self.add_error("to", f"A period spans at most {MAX_PERIOD_DAYS} days.")
        return data

    def chosen_period(self) -> Period:
        data = self.cleaned_data
        if data["period"] == "custom":
            return Period(data["from"], data["to"])
        return preset_period(data["period"], self.today)

    def query(self) -> dict[str, str]:
        """The query parameters of the chosen period, for links that keep it."""
        data = self.cleaned_data
        if data["period"] == "custom":
            return {"from": data["from"].isoformat(), "to": data["to"].isoformat()}
        return {"period": data["period"]}


MINE, ALL = "mine", "all"


class DashboardForm(PeriodForm):
    """The dashboard's period and filters: channel manager ("mine" by default for
    managers, "all" for administrators, or a manager's e-mail), tier, country and
    product, plus the leaderboard's sort."""

    channel_manager = forms.ChoiceField(label="Channel manager", required=False)
    tier = forms.ChoiceField(label="Tier", required=False)
    country = forms.ChoiceField(label="Country", required=False)
    product = forms.ChoiceField(label="Product", required=False)
    sort = forms.ChoiceField(
        required=False,
        widget=forms.HiddenInput,
        choices=[
            (f"{sign}{key}", sort_label(f"{sign}{key}"))
            for key in LEADERBOARD_SORTS
            for sign in ("", "-")
        ],
    )

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user
        managers = [
            (email, f"{full_name} ({email})" if full_name else email)
            for email, full_name in channel_manager_list().values_list("email", "full_name")
        ]
        self._choose(
            "channel_manager",
            [(MINE, "My partners"), (ALL, "All partners"), *managers],
        )
        self._choose("tier", [("", "Any tier"), *Tier.objects.values_list("slug", "name")])
        present = Partner.objects.exclude(country="").order_by().values_list("country", flat=True)
        codes = sorted(set(present), key=lambda code: str(countries.name(code)))
        self._choose(
            "country", [("", "Any country")] + [(c, str(countries.name(c))) for c in codes]
        )
        self._choose("product", [("", "Any product"), *Product.objects.values_list("sku", "name")])
        self.fields["channel_manager"].initial = self.default_manager
        if self.is_bound and not self.data.get("channel_manager"):
            self.data = _with(self.data, "channel_manager", self.default_manager)

    @property
    def default_manager(self) -> str:
        return ALL if getattr(self.user, "is_tenant_admin", False) else MINE

    def _choose(self, name: str, choices: list[tuple[str, str]]) -> None:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        field.choices = choices

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        data["channel_manager"] = data.get("channel_manager") or self.default_manager
        data["sort"] = data.get("sort") or DEFAULT_SORT
        return data

    def partners(self, partners: QuerySet[Partner]) -> QuerySet[Partner]:
        """`partners` (already scoped to the user) narrowed by the chosen filters."""
        data = self.cleaned_data
        manager = data["channel_manager"]
        if manager == MINE:
            partners = partners.filter(channel_manager=self.user)
        elif manager != ALL:
            partners = partners.filter(channel_manager__email__iexact=manager)
        if data.get("tier"):
            partners = partners.filter(tier__slug=data["tier"])
        if data.get("country"):
            partners = partners.filter(country=data["country"])
        if data.get("product"):
            partners = partners.filter(products__sku=data["product"])
        return partners

    def query(self) -> dict[str, str]:
        query = super().query()
        data = self.cleaned_data
        if data["channel_manager"] != self.default_manager:
            query["channel_manager"] = data["channel_manager"]
        for name in ("tier", "country", "product"):
            if data.get(name):
                query[name] = data[name]
        if data["sort"] != DEFAULT_SORT:
            query["sort"] = data["sort"]
        return query

    @property
    def filtered(self) -> bool:
        data = self.cleaned_data
        return any(data.get(name) for name in ("tier", "country", "product"))


# --- the activity pages' filters ---------------------------------------------------------

YES, NO = "yes", "no"
# The filters each kind has besides partner and days, in the order the page shows them.
KIND_FILTERS = {
    ORDERS: ("status",),
    CALLS: ("direction", "counterpart"),
    CONTACTS: ("converted",),
}


class ActivityFilterForm(forms.Form):
    """The filters of an activity list of `kind` (the staff pages' partner picker is
    left out with `partner=False`, for the portal, whose partner is the user's own).
    Query parameters: `partner` (a name or ref), `from`, `to` (the tenant's days, both
    inclusive, either may be left out), `status`, `direction`, `counterpart` and
    `converted` (yes or no)."""

    partner = forms.CharField(
        label="Partner",
        required=False,
        max_length=200,
        widget=forms.TextInput(
            attrs={"list": "activity-partners", "placeholder": "Name or ref", "autocomplete": "off"}
        ),
        help_text="Pick from the list, or type a name or ref (or part of one).",
    )
    status = forms.ChoiceField(
        label="Status", required=False, choices=[("", "Any status"), *OrderStatus.choices]
    )
    direction = forms.ChoiceField(
        label="Direction",
        required=False,
        choices=[("", "Made or received"), *CallDirection.choices],
    )
    counterpart = forms.ChoiceField(
        label="With", required=False, choices=[("", "Anyone"), *Counterpart.choices]
    )
    converted = forms.ChoiceField(
        label="Converted",
        required=False,
        choices=[("", "Converted or not"), (YES, "Converted"), (NO, "Not converted")],
    )

    def __init__(self, *args: Any, kind: str, partner: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.kind = kind
        date_input = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
        # "from" is a Python keyword, so these two are added here, not declared above.
        self.fields["from"] = forms.DateField(
            label="From", required=False, widget=date_input, input_formats=["%Y-%m-%d"]
        )
        self.fields["to"] = forms.DateField(
            label="To", required=False, widget=date_input, input_formats=["%Y-%m-%d"]
        )
        shown = ("partner",) if partner else ()
        for name in [*self.fields]:
            if name not in (*shown, "from", "to", *KIND_FILTERS.get(kind, ())):
                del self.fields[name]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("from"), data.get("to")
        if start and end and end < start:
            self.add_error("to", "The last day is before the first day.")
        return data

    def partner_text(self) -> str:
        return str(self.cleaned_data.get("partner") or "").strip()

    def filters(self) -> ActivityFilters:
        data = self.cleaned_data
        converted = data.get("converted")
        return ActivityFilters(
            first_day=data.get("from"),
            last_day=data.get("to"),
            status=data.get("status") or "",
            direction=data.get("direction") or "",
            counterpart=data.get("counterpart") or "",
            converted=None if not converted else converted == YES,
        )

    @property
    def filtered(self) -> bool:
        """Whether anything narrows the list (then an empty list says so)."""
        return any(self.cleaned_data.get(name) for name in self.fields)

    def query(self) -> dict[str, str]:
        """The chosen filters as query parameters, for links that keep them (pages,
        tabs, the CSV download)."""
        query = {}
        for name in self.fields:
            value = self.cleaned_data.get(name)
            if isinstance(value, date):
                query[name] = value.isoformat()
            elif value:
                query[name] = str(value).strip()
        return query


# --- calls and contacts typed in ---------------------------------------------------------

# How far ahead of the server's clock a typed time may be: a device whose clock runs a
# little fast, or a minute typed ahead, is no future event.
FUTURE_SKEW = timedelta(minutes=5)


def _not_in_the_future(value: datetime | None, refusal: str) -> datetime | None:
    now = timezone.now()
    if value is not None and value > now + FUTURE_SKEW:
        raise forms.ValidationError(f"{refusal} (it is {moment(now)} now).", code="future")
    return value


class LocalDateTimeInput(forms.DateTimeInput):
    """A browser's date-and-time picker: its value must be `YYYY-MM-DDTHH:MM` (a
    localised "Dec. 2, 2026, 6:35 p.m." is dropped by the browser, so the default
    time never showed)."""

    input_type = "datetime-local"

    def __init__(self, attrs: dict[str, Any] | None = None) -> None:
        super().__init__(attrs=attrs, format="%Y-%m-%dT%H:%M")


class CallEntryForm(forms.Form):
    direction = forms.ChoiceField(choices=CallDirection.choices)
    # The help names both choices in words true for both readers: staff and the
    # partner's own users (the portal's form is this one without the partner).
    counterpart = forms.ChoiceField(
        label="With",
        choices=Counterpart.choices,
        help_text="Customer: a call with a customer of the partner. Channel team: a call "
        "between the partner and the vendor's channel team.",
    )
    duration_minutes = forms.DecimalField(
        label="Duration (minutes)", min_value=0, max_value=1440, decimal_places=1, initial=5
    )
    occurred_at = forms.DateTimeField(initial=timezone.now, widget=LocalDateTimeInput())

    def row(self) -> dict[str, Any]:
        """The cleaned input as an ingestion row of kind "calls", without its partner."""
        data = self.cleaned_data
        return {
            "direction": data["direction"],
            "counterpart": data["counterpart"],
            "duration_seconds": int(data["duration_minutes"] * 60),
            "occurred_at": data["occurred_at"].isoformat(),
        }

    def clean_occurred_at(self) -> datetime | None:
        return _not_in_the_future(
            self.cleaned_data.get("occurred_at"),
            "This time is in the future; log a call once it has happened",
        )


class ContactEntryForm(forms.Form):
    source = forms.CharField(max_length=100, required=False, help_text="e.g. web, event, referral")
    created_at = forms.DateTimeField(
        label="Generated at",
        initial=timezone.now,
        widget=LocalDateTimeInput(),
    )
    converted_at = forms.DateTimeField(required=False, widget=LocalDateTimeInput())

    def clean_created_at(self) -> datetime | None:
        return _not_in_the_future(
            self.cleaned_data.get("created_at"),
            "This time is in the future; log a contact once it was generated",
        )

    def clean_converted_at(self) -> datetime | None:
        return _not_in_the_future(
            self.cleaned_data.get("converted_at"),
            "This time is in the future; leave it empty until the contact converts",
        )

    def row(self) -> dict[str, Any]:
        """The cleaned input as an ingestion row of kind "contacts", without its partner."""
        data = self.cleaned_data
        return {
            "source": data["source"],
            "created_at": data["created_at"].isoformat(),
            "converted_at": data["converted_at"].isoformat() if data["converted_at"] else "",
        }


def _partner_choices() -> list[tuple[str, str]]:
    return [("", "Choose a partner")] + [
        (ref, f"{name} ({ref})")
        for ref, name in Partner.objects.order_by("name").values_list("ref", "name")
    ]


class _ActivityForm(forms.Form):
    """Staff choose the partner; the partner portal uses the entry forms without it."""

    partner = forms.ChoiceField(choices=())
    field_order = ["partner"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        partner = self.fields["partner"]
        assert isinstance(partner, forms.ChoiceField)
        partner.choices = _partner_choices()


class CallForm(_ActivityForm, CallEntryForm):
    pass


class ContactForm(_ActivityForm, ContactEntryForm):
    pass
