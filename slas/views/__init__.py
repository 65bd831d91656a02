"""Browser pages of SLA policies and compliance, under /slas/, a module per group of
pages: policies, partner_requests, compliance_settings (compliance, a partner's own
targets, the SLA settings) and notifications; common holds what they share.

Administrators edit policies and choose the default; channel managers (and
administrators) see policies, compliance and partner requests, and raise and answer
requests; a partner's own targets are set by its channel manager or an administrator
(the rules are prm.web.access's, the same the API asks). Partner users are refused here (they get
their own portal). The notification list is every signed-in user's own.

Views are thin: a form reads the input, a service in slas.services writes, a selector
reads, and a service's ValidationError comes back as inline form errors.
"""

from .compliance_settings import compliance, partner_override, sla_settings
from .notifications import notification_list, notification_read, notifications_read_all
from .partner_requests import (
    request_detail,
    request_list,
    request_new,
    request_resolve,
    request_respond,
)
from .policies import policy_detail, policy_edit, policy_list, policy_new, policy_version

__all__ = [
    "compliance",
    "notification_list",
    "notification_read",
    "notifications_read_all",
    "partner_override",
    "policy_detail",
    "policy_edit",
    "policy_list",
    "policy_new",
    "policy_version",
    "request_detail",
    "request_list",
    "request_new",
    "request_resolve",
    "request_respond",
    "sla_settings",
]
