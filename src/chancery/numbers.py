"""Decimal numbers in query strings and tokens: ASCII digits only, within a 64-bit signed integer.

Python's int() accepts far more than a client should send (`+5`, ` 5 `, `1_000`, Arabic-Indic `٣`),
and str.isdigit() admits characters int() then refuses (`²`): neither may reach a query or the database.
"""

from __future__ import annotations

MAX_INT64 = 2**63 - 1
_MAX_DIGITS = len(str(MAX_INT64))


def parse_decimal(text: str, maximum: int = MAX_INT64) -> int | None:
    """The non-negative integer `text` spells in ASCII digits, if it is at most `maximum`; else None."""
    if not text or len(text) > _MAX_DIGITS or not text.isascii() or not text.isdigit():
        return None
    value = int(text)
    return value if value <= maximum else None
