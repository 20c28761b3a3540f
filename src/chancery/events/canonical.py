"""Canonical JSON (appendix: canonical JSON) and the checks that keep event content canonical."""

from __future__ import annotations

from typing import Any

import orjson
from canonicaljson import encode_canonical_json

from ..errors import bad_json

MAX_SAFE_INTEGER = 2**53 - 1


def canonical_json(value: Any) -> bytes:
    """The unique byte encoding that hashes and signatures are computed over.

    orjson with sorted keys writes the same bytes as the reference encoder (sorted keys, no whitespace,
    UTF-8, the shortest escapes; tests/unit/test_canonical_json.py compares them on every code point and
    on random documents) ten times faster; what orjson refuses (integers beyond 64 bits, other types)
    goes to the reference encoder.
    """
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)
    except TypeError:
        return bytes(encode_canonical_json(value))


def check_canonical_values(value: Any, path: str = "content") -> None:
    """Reject values canonical JSON cannot carry: floats and integers beyond +-(2**53 - 1).

    Raises M_BAD_JSON naming the offending path, so a client can see what to fix.
    """
    stack: list[tuple[str, Any]] = [(path, value)]
    while stack:
        where, item = stack.pop()
        if isinstance(item, bool) or item is None or isinstance(item, str):
            continue
        if isinstance(item, int):
            if not -MAX_SAFE_INTEGER <= item <= MAX_SAFE_INTEGER:
                raise bad_json(f"{where}: integer out of the canonical JSON range")
        elif isinstance(item, float):
            raise bad_json(f"{where}: floats are not allowed in canonical JSON")
        elif isinstance(item, dict):
            for key, child in item.items():
                stack.append((f"{where}.{key}", child))
        elif isinstance(item, list):
            for index, child in enumerate(item):
                stack.append((f"{where}[{index}]", child))
        else:
            raise bad_json(f"{where}: unsupported JSON value")
