"""One rule for every cell the app writes into a CSV or XLSX that people open in a
spreadsheet (exports, error reports): a text a spreadsheet would run as a formula
(it starts with =, +, -, @, a tab or a carriage return) gets a leading quote, unless
it is a plain signed number (an amount, or a phone number in E.164 such as
+493012345), which spreadsheets read as a number anyway."""

from __future__ import annotations

import re
from typing import Any

FORMULA_START = re.compile(r"^[=+\-@\t\r]")
SIGNED_NUMBER = re.compile(r"^[+-]?\d+(\.\d+)?$")


def spreadsheet_cell(value: Any) -> str:
    """`value` as a cell's text: None empty, booleans true/false, dates and times in
    ISO 8601, and formula-like text quoted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    if FORMULA_START.match(text) and not SIGNED_NUMBER.match(text):
        return "'" + text
    return text
