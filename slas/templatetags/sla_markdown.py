"""`{{ text|sla_markdown }}`: policy text written in Markdown, rendered and sanitised
by prm.web.markdown (an allow-list of tags and attributes, scripts and event handlers
dropped, links given rel="noopener noreferrer", images only from the tenant's own
host), so what an administrator types can never run in a partner's or manager's
browser, nor make it fetch something from elsewhere."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from prm.web.markdown import markdown_to_html

register = template.Library()

EXTENSIONS = ["tables", "sane_lists", "fenced_code", "toc"]
# "# Title" becomes <h3>: policy text sits under the page's own headings.
EXTENSION_CONFIGS = {"toc": {"baselevel": 3, "anchorlink": False, "permalink": False}}


def render_markdown(text: str) -> str:
    html = markdown_to_html(text, extensions=EXTENSIONS, extension_configs=EXTENSION_CONFIGS)
    # nh3 drops every class attribute, so a bare <table> here is one Markdown made.
    return html.replace("<table>", '<table class="table table-sm w-auto">')


def render_message(text: str) -> str:
    """A conversation message (a request, a reply, an answer): Markdown as above, and a
    line break typed is a line break ("Thanks" then "Pat" stay two lines), as in mail."""
    return markdown_to_html(
        text, extensions=[*EXTENSIONS, "nl2br"], extension_configs=EXTENSION_CONFIGS
    ).replace("<table>", '<table class="table table-sm w-auto">')


@register.filter(name="message_markdown")
def message_markdown(text: str | None) -> SafeString:
    # Safe to mark: nh3 has removed everything that is not on its allow-list.
    return mark_safe(render_message(text or ""))  # noqa: S308


@register.filter(name="sla_markdown")
def sla_markdown(text: str | None) -> SafeString:
    # Safe to mark: nh3 has removed everything that is not on its allow-list.
    return mark_safe(render_markdown(text or ""))  # noqa: S308
