"""Users, roles and API keys.

The app is in both the public schema (platform operators) and every tenant schema
(that tenant's users), so a user exists in exactly one place and a session or API
key of one tenant means nothing on another.
"""

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.utils import timezone


class Role(models.TextChoices):
    ADMIN = "admin", "Tenant administrator"
    MANAGER = "manager", "Channel manager"
    PARTNER = "partner", "Partner user"
    # The service account behind an API key; it can never sign in to the browser UI.
    INTEGRATOR = "integrator", "API integration"


STAFF_ROLES = frozenset({Role.ADMIN, Role.MANAGER})
# The roles a person may have (an API key's service user is made with its key only).
PERSON_ROLES = (Role.ADMIN, Role.MANAGER, Role.PARTNER)
PERSON_ROLE_CHOICES = [(role.value, role.label) for role in PERSON_ROLES]


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def create_user(self, email: str, password: str | None = None, **fields) -> "User":
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_superuser(self, email: str, password: str | None = None, **fields) -> "User":
        fields.setdefault("role", Role.ADMIN)
        return self.create_user(email, password, is_staff=True, is_superuser=True, **fields)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(unique=True)
    full_name = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.MANAGER)
    is_active = models.BooleanField(default=True)
    # Django admin access; only platform operators on the public site have it.
    is_staff = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    # The last invitation mailed (prm.accounts.invitations): its link is signed with this
    # time, so a new invitation makes the older link stop working.
    invited_at = models.DateTimeField(null=True, blank=True)
    invited_by = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    deactivated_at = models.DateTimeField(null=True, blank=True)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = []

    class Meta:
        ordering = ["email"]

    def __str__(self) -> str:
        return self.full_name or self.email

    @property
    def is_tenant_admin(self) -> bool:
        return self.is_active and self.role == Role.ADMIN

    @property
    def is_channel_staff(self) -> bool:
        """Vendor staff: tenant administrators and channel managers."""
        return self.is_active and self.role in STAFF_ROLES

    @property
    def is_partner_user(self) -> bool:
        return self.is_active and self.role == Role.PARTNER

    @property
    def invitation_pending(self) -> bool:
        """Invited, and the password not set yet."""
        return self.invited_at is not None and not self.has_usable_password()

    def get_full_name(self) -> str:
        return self.full_name or self.email

    def get_short_name(self) -> str:
        return self.full_name.split(" ")[0] if self.full_name else self.email


class Scope(models.TextChoices):
    READ = "read", "Read"
    WRITE = "write", "Write"
    # Webhook subscriptions and their delivery log: where the tenant's events go is
    # the tenant administrator's choice, so "write" alone does not include it.
    WEBHOOKS = "webhooks", "Webhooks (subscribe receivers, read the delivery log)"


class ApiKey(models.Model):
    """A tenant API key. Only a SHA-256 of the key is stored; the key is shown once."""

    name = models.CharField(max_length=100)
    # The first characters of the key, stored in clear to find the row and to let
    # people tell their keys apart; the rest is secret.
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    scopes = ArrayField(models.CharField(max_length=10, choices=Scope.choices))
    user = models.OneToOneField(User, on_delete=models.PROTECT, related_name="api_key")
    created_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    # Requests a minute for this key; None: the tenant's default (prm/api/throttling.py).
    rate_limit = models.PositiveIntegerField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return self.is_active and scope in self.scopes
