"""Reading the registry's browser pages in tests."""

from __future__ import annotations

import re
from typing import Any


def listed_refs(response: Any) -> list[str]:
    """Refs of the partner rows on a list page, in the order shown."""
    return re.findall(r'name="partners" value="([^"]+)"', response.content.decode())
