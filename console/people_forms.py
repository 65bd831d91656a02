"""Forms of the people pages: invite a person, change one. A partner user's partner is
chosen in the same form; the rule (a partner user needs one, nobody else has one) is
the services' (console.people_services), which put their messages on these fields."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import Q

from partners.models import Partner, PartnerStatus
from partners.selectors import partner_list_for_user
from prm.accounts.models import PERSON_ROLE_CHOICES, Role


class PersonForm(forms.Form):
    full_name = forms.CharField(label="Name", max_length=200, required=False)
    role = forms.ChoiceField(
        choices=PERSON_ROLE_CHOICES,
        help_text="Administrators manage people and settings; channel managers run "
        "their partners; partner users see their own partner's portal.",
    )
    partner = forms.ChoiceField(
        label="Partner (partner users only)",
        required=False,
        help_text="The partner whose portal a partner user sees. Leave empty for staff.",
    )

    def __init__(self, *args: Any, actor: Any, current: Partner | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        visible = partner_list_for_user(user=actor)
        # A terminated partner takes no new users; one already linked stays choosable.
        terminated = Q(status=PartnerStatus.TERMINATED)
        if current is not None:
            terminated &= ~Q(pk=current.pk)
        offered = visible.exclude(terminated)
        self.partners = {partner.ref: partner for partner in offered.order_by("name")}
        field = self.fields["partner"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [
            ("", "— no partner —"),
            *((ref, f"{partner.name} ({ref})") for ref, partner in self.partners.items()),
        ]
        if not self.partners:
            field.help_text = (
                "There is no partner yet: add the partner under Partners first, then "
                "invite its users."
            )

    def clean_partner(self) -> Partner | None:
        ref = self.cleaned_data.get("partner") or ""
        return self.partners.get(ref) if ref else None


class InviteForm(PersonForm):
    email = forms.EmailField(
        label="E-mail",
        help_text="The invitation goes here; it is also their sign-in name.",
        widget=forms.EmailInput(attrs={"autocomplete": "off"}),
    )
    field_order = ["email", "full_name", "role", "partner"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The least powerful staff role unless the admin chooses otherwise.
        self.fields["role"].initial = Role.MANAGER
