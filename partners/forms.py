"""Browser forms of the registry.

The forms only read input: fields stay plain text or a choice of references (SKU,
slug, e-mail), and the services normalise and validate them (phone numbers, domains,
DNS servers, tags), so the browser, the API and the import report the same errors.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django_countries import countries

from . import policies, selectors
from .fields import EDITABLE_FIELDS, label, value_of
from .models import ContactRole, Partner, PartnerStatus
from .services import RESERVED_REFS

SORTS = {
    # sort key in the URL -> the list's ordering
    "name": ("name", "ref"),
    "ref": ("ref",),
    "country": ("country", "name"),
    "status": ("status", "name"),
    "tier": ("-tier__rank", "tier__name", "name"),
    "manager": ("channel_manager__full_name", "channel_manager__email", "name"),
    "updated": ("-updated_at", "name"),
}
PAGE_SIZES = (25, 50, 100)


def choice_field(form: forms.Form, name: str) -> forms.ChoiceField:
    """A choice field of `form`, typed as one, to set its choices when the form is made."""
    field = form.fields[name]
    assert isinstance(field, forms.ChoiceField)
    return field


def _manager_choices() -> list[tuple[str, str]]:
    return [
        (user.email, f"{user.full_name} ({user.email})" if user.full_name else user.email)
        for user in selectors.channel_manager_list()
    ]


class PartnerListForm(forms.Form):
    """What the list page shows: the PartnerFilter's fields as the browser offers
    them (selects of what exists), plus sorting and page size. PartnerFilter does
    the filtering; this form only renders the controls and reads sort and size."""

    q = forms.CharField(
        label="Search",
        required=False,
        widget=forms.TextInput(
            attrs={"type": "search", "placeholder": "Name, ref, domain or contact"}
        ),
    )
    status = forms.MultipleChoiceField(
        label="Status", choices=PartnerStatus.choices, required=False
    )
    tier = forms.ChoiceField(label="Tier", required=False)
    country = forms.ChoiceField(label="Country", required=False)
    channel_manager = forms.ChoiceField(label="Channel manager", required=False)
    product = forms.ChoiceField(label="Product", required=False)
    sort = forms.ChoiceField(
        required=False,
        choices=[(key, key) for key in SORTS] + [(f"-{key}", f"-{key}") for key in SORTS],
    )
    per_page = forms.TypedChoiceField(
        label="Per page",
        required=False,
        coerce=int,
        empty_value=None,
        choices=[(size, str(size)) for size in PAGE_SIZES],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["status"].widget.attrs.setdefault("size", 1)
        choice_field(self, "tier").choices = [("", "Any tier")] + [
            (tier.slug, tier.name) for tier in selectors.tier_list()
        ]
        choice_field(self, "country").choices = [("", "Any country"), *countries]
        choice_field(self, "channel_manager").choices = [("", "Any manager"), *_manager_choices()]
        choice_field(self, "product").choices = [("", "Any product")] + [
            (product.sku, product.name) for product in selectors.product_list()
        ]

    def ordering(self) -> tuple[str, ...]:
        key = (self.cleaned_data.get("sort") if self.is_valid() else "") or "name"
        descending = key.startswith("-")
        fields = SORTS[key.lstrip("-")]
        if not descending:
            return fields
        return tuple(field[1:] if field.startswith("-") else f"-{field}" for field in fields)

    def page_size(self) -> int:
        size = self.cleaned_data.get("per_page") if self.is_valid() else None
        return int(size or PAGE_SIZES[0])


class PartnerForm(forms.Form):
    """Every editable field of a partner, as text or a choice of references."""

    name = forms.CharField(label=label("name"), max_length=200)
    ref = forms.CharField(
        label=label("ref"),
        max_length=64,
        help_text="The integrators' stable key: letters, digits, - and _. "
        "Integrations find the partner by it.",
    )
    status = forms.ChoiceField(
        label=label("status"),
        choices=PartnerStatus.choices,
        initial=PartnerStatus.PROSPECT,
        help_text="Where the partner starts in its lifecycle.",
    )
    domain = forms.CharField(
        label=label("domain"),
        required=False,
        max_length=300,
        help_text="Only the domain, e.g. example.com (a pasted web address is cleaned to "
        "it); international names are fine.",
    )
    phone = forms.CharField(
        label=label("phone"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
        help_text="With +country code, or in the partner's country format.",
    )
    contact_name = forms.CharField(label=label("contact_name"), required=False, max_length=200)
    contact_email = forms.CharField(
        label=label("contact_email"),
        required=False,
        max_length=254,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    contact_phone = forms.CharField(
        label=label("contact_phone"),
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel"}),
    )
    street = forms.CharField(label=label("street"), required=False, max_length=200)
    city = forms.CharField(label=label("city"), required=False, max_length=100)
    region = forms.CharField(label=label("region"), required=False, max_length=100)
    postal_code = forms.CharField(label=label("postal_code"), required=False, max_length=20)
    country = forms.ChoiceField(label=label("country"), required=False)
    primary_dns = forms.CharField(
        label=label("primary_dns"),
        required=False,
        max_length=253,
        help_text="Host name or IP address; “Detect” on the partner page can fill it.",
    )
    secondary_dns = forms.CharField(label=label("secondary_dns"), required=False, max_length=253)
    products = forms.MultipleChoiceField(
        label=label("products"), required=False, widget=forms.CheckboxSelectMultiple
    )
    # Empty means the tenant's default policy, as in the API.
    sla = forms.ChoiceField(label=label("sla"), required=False)
    channel_manager = forms.ChoiceField(
        label=label("channel_manager"),
        help_text="The partner's single point of contact.",
    )
    tier = forms.ChoiceField(label=label("tier"), required=False)
    tags = forms.CharField(
        label=label("tags"),
        required=False,
        max_length=1000,
        help_text="Separated by commas, e.g. “cloud, emea”.",
    )
    roles = forms.CharField(
        label=label("roles"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Empty means the tier's terms apply. Markdown.",
    )
    responsibilities = forms.CharField(
        label=label("responsibilities"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    benefits = forms.CharField(
        label=label("benefits"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    notes = forms.CharField(
        label=label("notes"), required=False, widget=forms.Textarea(attrs={"rows": 4})
    )

    def __init__(self, *args: Any, partner: Partner | None = None, **kwargs: Any) -> None:
        if partner is not None and "initial" not in kwargs:
            kwargs["initial"] = initial_from(partner)
        super().__init__(*args, **kwargs)
        if partner is not None:
            # The lifecycle moves through its own form, which records a reason.
            del self.fields["status"]
        else:
            # static/js/partner-form.js suggests a ref from the name, until one is typed.
            ref = self.fields["ref"]
            ref.widget.attrs["data-ref-from"] = "id_name"
            ref.help_text = "Suggested from the name; change it if you like. " + str(ref.help_text)
        choice_field(self, "country").choices = [("", "—"), *countries]
        choice_field(self, "products").choices = [
            (product.sku, str(product))
            for product in selectors.product_list().filter(is_active=True)
        ] + [
            # A product retired since keeps showing on partners that have it.
            (product.sku, f"{product} (retired)")
            for product in (partner.products.filter(is_active=False) if partner else [])
        ]
        choice_field(self, "sla").choices = [
            (policy.slug, f"{policy.name} (default)" if policy.is_default else policy.name)
            for policy in policies.directory().choices()
        ]
        managers = _manager_choices()
        if partner is not None and partner.channel_manager.email not in dict(managers):
            # A deactivated manager stays visible until someone reassigns the partner.
            managers.append(
                (partner.channel_manager.email, f"{partner.channel_manager} (inactive)")
            )
        choice_field(self, "channel_manager").choices = managers
        choice_field(self, "tier").choices = [("", "No tier")] + [
            (tier.slug, tier.name) for tier in selectors.tier_list()
        ]

    def clean_ref(self) -> str:
        # partner_create refuses these; a rename must too, or the page would be hidden.
        ref = str(self.cleaned_data["ref"]).strip()
        if ref in RESERVED_REFS:
            raise forms.ValidationError(f"“{ref}” is a page name here; choose another ref.")
        return ref

    def service_fields(self) -> dict[str, Any]:
        """The cleaned input as partner_create / partner_update take it."""
        fields = dict(self.cleaned_data)
        fields["tier"] = fields.get("tier") or None
        return fields


def initial_from(partner: Partner) -> dict[str, Any]:
    """The staff form's starting values: every field it edits, as the form shows it."""
    return {name: value_of(partner, name) for name in EDITABLE_FIELDS}


class StatusChangeForm(forms.Form):
    """A lifecycle move with its reason. Only the allowed moves are offered; any
    status is accepted back, so a move that is no longer allowed (someone else moved
    the partner meanwhile) gets the service's explanation, not a bare "invalid"."""

    status = forms.ChoiceField(label="New status", choices=PartnerStatus.choices)
    reason = forms.CharField(
        label="Reason",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept in the status history.",
    )

    def __init__(self, *args: Any, allowed: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.allowed = [(value, PartnerStatus(value).label) for value in allowed]


class TerminateForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why the partnership ends; kept in the status history.",
    )


class ContactForm(forms.Form):
    name = forms.CharField(label="Name", max_length=200)
    role = forms.ChoiceField(label="Role", choices=ContactRole.choices, initial=ContactRole.OTHER)
    title = forms.CharField(label="Job title", required=False, max_length=200)
    email = forms.CharField(
        label="E-mail", required=False, max_length=254, widget=forms.EmailInput()
    )
    phone = forms.CharField(
        label="Phone",
        required=False,
        max_length=40,
        widget=forms.TextInput(attrs={"type": "tel"}),
        help_text="With +country code, or in the partner's country format.",
    )
    notes = forms.CharField(label="Notes", required=False, widget=forms.Textarea(attrs={"rows": 3}))


class ReassignForm(forms.Form):
    """Give partners a new channel manager: the ones ticked on the list, or the whole
    portfolio of one manager (when someone leaves or portfolios are rebalanced)."""

    partners = forms.MultipleChoiceField(required=False, widget=forms.MultipleHiddenInput)
    from_manager = forms.ChoiceField(label="Move every partner of", required=False)
    to_manager = forms.ChoiceField(label="New channel manager")
    next = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        managers = _manager_choices()
        self.manager_labels = dict(managers)
        choice_field(self, "to_manager").choices = [("", "Choose a manager…"), *managers]
        # Deactivated managers still have partners until they are moved: offered here.
        departed = [
            (user.email, f"{user.full_name or user.email} (deactivated, {user.email})")
            for user in selectors.inactive_manager_list()
        ]
        choice_field(self, "from_manager").choices = [("", "—"), *managers, *departed]
        # Refs are checked against what the user may see by the view.
        refs = self.data.getlist("partners") if hasattr(self.data, "getlist") else []
        choice_field(self, "partners").choices = [(ref, ref) for ref in refs]

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        if not cleaned.get("partners") and not cleaned.get("from_manager"):
            raise forms.ValidationError(
                "Tick the partners to reassign on the list, or choose whose partners to move."
            )
        if cleaned.get("from_manager") and cleaned.get("from_manager") == cleaned.get("to_manager"):
            self.add_error("to_manager", "Choose a different manager than the current one.")
        return cleaned


class TierForm(forms.Form):
    """A tier of the programme and its terms; tier_create / tier_update validate."""

    name = forms.CharField(max_length=100)
    slug = forms.SlugField(
        max_length=64, help_text="The tier's key in the API and in imports: letters, digits, -, _."
    )
    rank = forms.IntegerField(
        min_value=0, max_value=32767, initial=0, help_text="Higher ranks are listed first."
    )
    roles = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What partners of this tier do (Markdown); shown to partners.",
    )
    responsibilities = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What they commit to (Markdown).",
    )
    benefits = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What they get (Markdown).",
    )
