"""SLA policies.

The registry needs a real policy to point at, so this is the part of the SLA app
the partner registry stands on: named policies, exactly one of them the tenant's
default (enforced by the database). Targets, versions and compliance come with the
SLA issue.
"""

from django.db import models
from django.db.models import Q


class SlaPolicy(models.Model):
    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    is_default = models.BooleanField(default=False)
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
