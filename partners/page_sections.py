"""Sections that apps above the registry add to the partner page (its performance,
its SLA): each is a function of the request and the partner that returns the
template context it fills. The registry's own view renders the page; the apps that
compose it register here from their AppConfig.ready, so partners imports none of
them (DESIGN.md "Layers")."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest

from .models import Partner

PartnerPageSection = Callable[[HttpRequest, Partner], dict[str, Any]]

_sections: list[PartnerPageSection] = []


def register(section: PartnerPageSection) -> PartnerPageSection:
    """Add `section` to every partner page (idempotent: registering twice adds it once)."""
    if section not in _sections:
        _sections.append(section)
    return section


def sections_context(request: HttpRequest, partner: Partner) -> dict[str, Any]:
    """The context every registered section gives for this page, in registration order."""
    context: dict[str, Any] = {}
    for section in _sections:
        context.update(section(request, partner))
    return context
