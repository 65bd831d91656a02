"""The partner registry.

For now the smallest Partner that a partner user can belong to; the registry issue
adds every field of DESIGN.md.
"""

from django.conf import settings
from django.db import models


class Partner(models.Model):
    ref = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class PartnerUser(models.Model):
    """Ties a partner-role user to the one partner whose portal it sees.

    A separate table because users also live in the public schema, where partners
    do not exist.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="partner_link"
    )
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="users")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["partner", "user"]

    def __str__(self) -> str:
        return f"{self.user} @ {self.partner}"
