"""SLA tasks: beat evaluates the request clocks and the last month's minimums of
every tenant (through the dispatcher), and sweeps up the event mails and request
message mails that were never queued. Each is a door into a service; the mail tasks
themselves are slas.mail's (the services that queue them are the ones these call)."""

from prm.celery import app

from .mail import (
    request_message_mail_sweep,
    send_event_mail,
    send_request_message_mail,
    sla_event_mail_sweep,
)
from .services import sla_clocks_evaluate, sla_minimums_evaluate

__all__ = [
    "evaluate_clocks",
    "evaluate_minimums",
    "send_event_mail",
    "send_request_message_mail",
    "sweep_event_mails",
]


@app.task(name="slas.evaluate_clocks")
def evaluate_clocks() -> int:
    return sla_clocks_evaluate()


@app.task(name="slas.evaluate_minimums")
def evaluate_minimums() -> int:
    """Judge the last complete month's minimums (idempotent: events are recorded once)."""
    return sla_minimums_evaluate()


@app.task(name="slas.sweep_event_mails")
def sweep_event_mails() -> int:
    """Beat's slas-event-mail-sweep, in every tenant: the SLA events' mails
    (mail.sla_event_mail_sweep) and the request messages' (mail.request_message_mail_sweep).
    Returns how many were queued again."""
    return sla_event_mail_sweep() + request_message_mail_sweep()
