"""`{% getting_started_card %}`: the getting-started checklist of a new tenant
(console.selectors.getting_started) for the signed-in user, or nothing once done. A
tag, so the home page shows it whichever template draws the home (the dashboard for
staff)."""

from typing import Any

from django import template

from ..selectors import getting_started

register = template.Library()


@register.inclusion_tag("console/_getting_started.html", takes_context=True)
def getting_started_card(context: template.Context) -> dict[str, Any]:
    steps = getting_started(user=context.get("user"))
    return {"steps": steps, "done": sum(step.done for step in steps)}
