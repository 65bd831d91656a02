"""Writes of slas: policies and partners' own targets (policies, with the value
parsers in fields), partner requests and their clocks (requests), their
conversation's replies and notes (messages), and SLA events with their
notifications (events; their e-mail, and the messages', is slas.mail).

The settings page, the API and `manage.py sla_defaults` all validate and apply
policies through `sla_policy_validate` / `sla_policy_save`, so a field means the same
thing and fails the same way at every door.

The names below are the services' public ones, importable from `slas.services` as
they were before the split (reads such as `effective_targets` are slas.selectors').
"""

from .events import (
    notifications_mark_read,
    sla_event_notify,
    sla_minimums_evaluate,
)
from .fields import validate_targets
from .messages import (
    MESSAGE_MAX_LENGTH,
    RequestClosedError,
    request_clock_stop,
    request_message_add,
    request_message_check,
)
from .policies import (
    POLICY_FIELDS,
    current_version,
    partner_sla_override_set,
    policy_data,
    sla_defaults_apply,
    sla_policy_save,
    sla_policy_validate,
)
from .requests import (
    PolicyCalendarError,
    partner_request_open,
    partner_request_resolve,
    partner_request_respond,
    sla_clocks_evaluate,
)

__all__ = [
    "MESSAGE_MAX_LENGTH",
    "POLICY_FIELDS",
    "PolicyCalendarError",
    "RequestClosedError",
    "current_version",
    "notifications_mark_read",
    "partner_request_open",
    "partner_request_resolve",
    "partner_request_respond",
    "partner_sla_override_set",
    "policy_data",
    "request_clock_stop",
    "request_message_add",
    "request_message_check",
    "sla_clocks_evaluate",
    "sla_defaults_apply",
    "sla_event_notify",
    "sla_minimums_evaluate",
    "sla_policy_save",
    "sla_policy_validate",
    "validate_targets",
]
