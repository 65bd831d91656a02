"""The partner registry: every partner of the tenant in one place.

A partner has exactly one channel manager (its single point of contact), a tier
whose programme terms (roles, responsibilities, benefits) it may override, an SLA
policy (the tenant's default unless another is chosen), products, contacts and a
lifecycle whose every transition is recorded. Every change is audited
(django-simple-history).
"""

import uuid
from typing import Any

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django_countries.fields import CountryField
from phonenumber_field.modelfields import PhoneNumberField
from simple_history.models import HistoricalRecords

from .dns import DnsStatus


class Product(models.Model):
    sku = models.SlugField(
        max_length=64, unique=True, help_text="Stock-keeping unit: letters, digits, - and _."
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.sku})"


class Tier(models.Model):
    """A level of the partner programme, with the terms that come with it."""

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=100)
    rank = models.PositiveSmallIntegerField(default=0, help_text="Higher ranks sort first.")
    roles = models.TextField(blank=True, help_text="What partners of this tier do (Markdown).")
    responsibilities = models.TextField(blank=True, help_text="What they commit to (Markdown).")
    benefits = models.TextField(blank=True, help_text="What they get (Markdown).")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["-rank", "name"]

    def __str__(self) -> str:
        return self.name


class PartnerStatus(models.TextChoices):
    PROSPECT = "prospect", "Prospect"
    ONBOARDING = "onboarding", "Onboarding"
    ACTIVE = "active", "Active"
    AFFILIATE = "affiliate", "Affiliate"
    SUSPENDED = "suspended", "Suspended"
    TERMINATED = "terminated", "Terminated"


class Partner(models.Model):
    ref = models.SlugField(
        max_length=64,
        unique=True,
        help_text="The integrators' stable key: letters, digits, - and _.",
    )
    name = models.CharField("business name", max_length=200)
    # The website domain in its ASCII (IDNA) form, lower case; empty when unknown.
    domain = models.CharField(max_length=253, blank=True)
    street = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    country = CountryField(blank=True)
    phone = PhoneNumberField("main telephone", blank=True)
    contact_name = models.CharField("name of contact", max_length=200, blank=True)
    contact_email = models.EmailField("contact e-mail", blank=True)
    contact_phone = PhoneNumberField("contact phone", blank=True)
    primary_dns = models.CharField("primary DNS", max_length=253, blank=True)
    secondary_dns = models.CharField("secondary DNS", max_length=253, blank=True)
    products = models.ManyToManyField(Product, blank=True, related_name="partners")
    sla = models.ForeignKey(
        "slas.SlaPolicy",
        on_delete=models.PROTECT,
        related_name="partners",
        verbose_name="SLA policy",
    )
    channel_manager = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="managed_partners"
    )
    tier = models.ForeignKey(
        Tier, null=True, blank=True, on_delete=models.PROTECT, related_name="partners"
    )
    status = models.CharField(
        max_length=20, choices=PartnerStatus.choices, default=PartnerStatus.PROSPECT
    )
    # Programme terms of this partner; empty means the tier's apply.
    roles = models.TextField(blank=True)
    responsibilities = models.TextField(blank=True)
    benefits = models.TextField(blank=True)
    notes = models.TextField(blank=True)
    tags = ArrayField(models.CharField(max_length=50), default=list, blank=True)

    dns_status = models.CharField(max_length=20, choices=DnsStatus.CHOICES, blank=True)
    dns_nameservers = ArrayField(models.CharField(max_length=253), default=list, blank=True)
    dns_error = models.CharField(max_length=500, blank=True)
    dns_checked_at = models.DateTimeField(null=True, blank=True)

    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(
        excluded_fields=[
            "dns_status",
            "dns_nameservers",
            "dns_error",
            "dns_checked_at",
            "updated_at",
        ],
        m2m_fields=[products],
    )

    class Meta:
        ordering = ["name", "ref"]
        constraints = [
            models.UniqueConstraint(
                Lower("domain"),
                condition=~Q(domain=""),
                name="partners_unique_domain",
                violation_error_message="Another partner already has this domain.",
            ),
        ]
        indexes = [
            models.Index(fields=["status"]),
            models.Index(fields=["country"]),
            models.Index(fields=["channel_manager", "name"]),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def effective_roles(self) -> str:
        return self.roles or (self.tier.roles if self.tier else "")

    @property
    def effective_responsibilities(self) -> str:
        return self.responsibilities or (self.tier.responsibilities if self.tier else "")

    @property
    def effective_benefits(self) -> str:
        return self.benefits or (self.tier.benefits if self.tier else "")

    @property
    def calling_code(self) -> str:
        """The international calling code of the main telephone, e.g. "+44"."""
        number = self.phone or self.contact_phone
        return f"+{number.country_code}" if number else ""


class StatusChange(models.Model):
    """One move of a partner through its lifecycle: who, when, from, to and why."""

    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="status_changes")
    from_status = models.CharField(max_length=20, choices=PartnerStatus.choices, blank=True)
    to_status = models.CharField(max_length=20, choices=PartnerStatus.choices)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    changed_at = models.DateTimeField()
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-changed_at", "-id"]
        indexes = [models.Index(fields=["to_status", "changed_at"])]

    def __str__(self) -> str:
        return f"{self.partner}: {self.from_status or 'new'} → {self.to_status}"


class ContactRole(models.TextChoices):
    PRIMARY = "primary", "Primary contact"
    SALES = "sales", "Sales"
    TECHNICAL = "technical", "Technical"
    BILLING = "billing", "Billing"
    EXECUTIVE = "executive", "Executive sponsor"
    SUPPORT = "support", "Support"
    OTHER = "other", "Other"


class Contact(models.Model):
    partner = models.ForeignKey(Partner, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200)
    role = models.CharField(max_length=20, choices=ContactRole.choices, default=ContactRole.OTHER)
    title = models.CharField("job title", max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = PhoneNumberField(blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    history = HistoricalRecords(excluded_fields=["updated_at"])

    class Meta:
        ordering = ["partner", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_role_display()})"


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


class ImportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "Excel (.xlsx)"


class ImportMode(models.TextChoices):
    CREATE = "create", "Create new partners only"
    CREATE_OR_UPDATE = "create_or_update", "Create new partners and update existing refs"


class ImportState(models.TextChoices):
    UPLOADED = "uploaded", "Waiting to be checked"
    # The file's columns are not all the import's names: a person maps them first.
    MAPPING = "mapping", "Waiting for the column mapping"
    VALIDATING = "validating", "Checking"
    VALIDATED = "validated", "Checked, ready to import"
    IMPORTING = "importing", "Importing"
    DONE = "done", "Done"
    FAILED = "failed", "Failed"


class ImportJob(models.Model):
    """A file of partners being imported: checked first (a dry run that writes no
    partner), then applied row by row (partners.imports).

    The file is kept in the row itself: the web and worker containers share no media
    storage. Counts mean "would" while the job is checked and "did" once it imports.
    """

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    filename = models.CharField(max_length=255)
    format = models.CharField(max_length=10, choices=ImportFormat.choices)
    content = models.BinaryField()
    size = models.PositiveIntegerField("size in bytes", default=0)
    mode = models.CharField(max_length=20, choices=ImportMode.choices, default=ImportMode.CREATE)
    state = models.CharField(
        max_length=20, choices=ImportState.choices, default=ImportState.UPLOADED
    )
    total_rows = models.PositiveIntegerField(default=0)
    processed_rows = models.PositiveIntegerField(default=0)
    created_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    # Existing partners whose row holds nothing new (written: nothing, not even history).
    unchanged_count = models.PositiveIntegerField(default=0)
    error_count = models.PositiveIntegerField(default=0)
    # Runs of the current step (check or import) that began; a run whose worker died
    # leaves its count, so a file that keeps killing workers fails instead of looping.
    attempts = models.PositiveSmallIntegerField(default=0)
    # The file's rows as the check read them (JSON), so that the file is parsed once:
    # a resumed check and the import read these instead.
    sheet = models.BinaryField(null=True, blank=True)
    # What the pages show of the file (partners.imports.reading.Sheet.preview): its
    # "headers" as written and "samples" of each column's first values; once checked,
    # the fields read ("columns", "derived_refs") and the first "rows" as read.
    preview = models.JSONField(default=dict, blank=True)
    # The partner field each of the file's columns goes to, in the file's order ("" for
    # a column left out), as the person confirmed it (partners.imports.mapping); empty
    # until then. A file whose headers are all the import's names maps itself.
    mapping = models.JSONField(default=list, blank=True)
    # What stopped the whole job (an unreadable file, no header row), for people.
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.filename} ({self.get_state_display()})"

    @property
    def is_running(self) -> bool:
        return self.state in (
            ImportState.UPLOADED,
            ImportState.VALIDATING,
            ImportState.IMPORTING,
        )

    @property
    def percent(self) -> int:
        if not self.total_rows:
            return 0
        return min(100, self.processed_rows * 100 // self.total_rows)

    @property
    def valid_rows(self) -> int:
        return self.created_count + self.updated_count

    @property
    def errors(self) -> list[dict[str, Any]]:
        """The rows with errors, in file order:
        [{"row": spreadsheet row number (header = 1), "ref": ..., "errors": {field: [...]}}]."""
        return [
            {"row": row, "ref": ref, "errors": errors}
            for row, ref, errors in self.error_rows.values_list("row", "ref", "errors")
        ]


class ImportJobError(models.Model):
    """One row of an import file with errors. Appended chunk by chunk as the job
    goes, so that checking a file costs the same per row however long it is."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="error_rows")
    row = models.PositiveIntegerField("row number (the header is row 1)")
    ref = models.CharField(max_length=255, blank=True)
    errors = models.JSONField(default=dict)  # {field or "__all__": [messages]}

    class Meta:
        ordering = ["job", "row", "id"]
        indexes = [models.Index(fields=["job", "row"], name="partners_importerror_job_row")]

    def __str__(self) -> str:
        return f"row {self.row} of {self.job_id}"


class ImportJobChange(models.Model):
    """One existing partner an import changes (in the check: would change), with the
    fields that change, old and new as people read them; appended chunk by chunk."""

    job = models.ForeignKey(ImportJob, on_delete=models.CASCADE, related_name="change_rows")
    row = models.PositiveIntegerField("row number (the header is row 1)")
    ref = models.CharField(max_length=255, blank=True)
    changes = models.JSONField(default=dict)  # {field: [old, new]}

    class Meta:
        ordering = ["job", "row", "id"]
        indexes = [models.Index(fields=["job", "row"], name="partners_importchange_job_row")]

    def __str__(self) -> str:
        return f"row {self.row} of {self.job_id}"
