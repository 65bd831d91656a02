"""The role rules of prm.web.access for templates, so a page shows a button only when
the view behind it would let the user in:

    {% load access %}
    {% if user|may_configure_programme %}...{% endif %}
    {% if user|may_set_partner_targets:partner %}...{% endif %}
"""

from typing import Any

from django import template

from prm.web import access

register = template.Library()


@register.filter
def may_configure_programme(user: Any) -> bool:
    return access.may_configure_programme(user)


@register.filter
def may_set_partner_targets(user: Any, partner: Any) -> bool:
    return access.may_set_partner_targets(user, partner)
