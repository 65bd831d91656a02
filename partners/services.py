from django.core.exceptions import ValidationError
from django.db import transaction

from prm.accounts.models import Role, User
from prm.accounts.services import user_create

from .models import Partner, PartnerUser


def partner_user_create(
    *, email: str, password: str | None, partner_ref: str, full_name: str = ""
) -> User:
    """A portal user for one partner; the partner must exist."""
    partner = Partner.objects.filter(ref=partner_ref).first()
    if partner is None:
        raise ValidationError({"partner": [f'There is no partner with ref "{partner_ref}".']})
    with transaction.atomic():
        user = user_create(email=email, password=password, role=Role.PARTNER, full_name=full_name)
        PartnerUser.objects.create(user=user, partner=partner)
    return user
