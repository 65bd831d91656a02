"""SLA tasks: beat evaluates the request clocks and the last month's minimums of
every tenant (through the dispatcher), and sweeps up the event mails that were never
queued. Each is a door into a service; the mail task itself is slas.mail's (the
services that queue it are the ones these call)."""

from prm.celery import app

from .mail import send_event_mail, sla_event_mail_sweep
from .services import sla_clocks_evaluate, sla_minimums_evaluate

__all__ = ["evaluate_clocks", "evaluate_minimums", "send_event_mail", "sweep_event_mails"]


@app.task(name="slas.evaluate_clocks")
def evaluate_clocks() -> int:
    return sla_clocks_evaluate()


@app.task(name="slas.evaluate_minimums")
def evaluate_minimums() -> int:
    """Judge the last complete month's minimums (idempotent: events are recorded once)."""
    return sla_minimums_evaluate()


@app.task(name="slas.sweep_event_mails")
def sweep_event_mails() -> int:
    """Beat's slas-event-mail-sweep, in every tenant (mail.sla_event_mail_sweep)."""
    return sla_event_mail_sweep()
