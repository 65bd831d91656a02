"""Celery tasks of the registry. Beat runs `dns_check_all` nightly in every tenant
through the dispatcher; it queues one bounded check per partner. Beat's
partners-import-sweep queues the import steps whose message was never queued."""

from prm.celery import app

from .imports.services import import_job_sweep

# Imported here for the worker's autodiscovery, which reads this module, to register them.
from .imports.tasks import import_apply, import_validate  # noqa: F401
from .models import Partner, PartnerStatus
from .services import partner_dns_check


@app.task(name="partners.dns_check_all")
def dns_check_all() -> int:
    partner_ids = (
        Partner.objects.exclude(domain="")
        .exclude(status=PartnerStatus.TERMINATED)
        .values_list("pk", flat=True)
    )
    count = 0
    for partner_id in partner_ids.iterator():
        # Queued from inside a tenant task, each check carries the same schema.
        dns_check.delay(partner_id)
        count += 1
    return count


@app.task(name="partners.dns_check")
def dns_check(partner_id: int) -> str | None:
    partner = Partner.objects.filter(pk=partner_id).first()
    if partner is None or not partner.domain:
        return None
    return partner_dns_check(partner=partner).dns_status


@app.task(name="partners.sweep_imports")
def sweep_imports() -> int:
    """Beat's partners-import-sweep, in every tenant (imports.import_job_sweep)."""
    return import_job_sweep()
