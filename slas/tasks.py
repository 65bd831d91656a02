"""SLA tasks: beat evaluates the request clocks of every tenant every few minutes
(through the dispatcher); event mails go out with retries, and beat's sweep queues
the ones that were never queued."""

from smtplib import SMTPException

from prm.celery import app

from .models import SlaEvent
from .services import sla_clocks_evaluate, sla_event_mail_send, sla_event_mail_sweep


@app.task(name="slas.evaluate_clocks")
def evaluate_clocks() -> int:
    return sla_clocks_evaluate()


@app.task(
    name="slas.send_event_mail",
    autoretry_for=(SMTPException, ConnectionError, OSError),
    retry_backoff=30,
    retry_backoff_max=3600,
    max_retries=8,
)
def send_event_mail(event_id: int) -> bool:
    event = SlaEvent.objects.select_related("partner__channel_manager").filter(pk=event_id).first()
    return event is not None and sla_event_mail_send(event=event)


@app.task(name="slas.evaluate_minimums")
def evaluate_minimums() -> int:
    """Judge the last complete month's minimums (idempotent: events are recorded once)."""
    from .compliance import sla_minimums_evaluate

    return sla_minimums_evaluate()


@app.task(name="slas.sweep_event_mails")
def sweep_event_mails() -> int:
    """Beat's slas-event-mail-sweep, in every tenant (services.sla_event_mail_sweep)."""
    return sla_event_mail_sweep()
