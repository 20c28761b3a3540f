"""Reading request bodies and query parameters into Matrix errors, never exceptions that become 500s."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from ..errors import MatrixError, bad_json, invalid_param, missing_param, too_large
from ..numbers import parse_decimal

MAX_JSON_DEPTH = 100


async def read_json(request: web.Request, *, allow_empty: bool = False) -> dict[str, Any]:
    """The request body as a JSON object: M_NOT_JSON when unparsable, M_BAD_JSON when not an object."""
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge as exc:
        raise too_large("Request body is too large") from exc
    if not raw.strip():
        if allow_empty:
            return {}
        raise MatrixError(400, "M_NOT_JSON", "Request body is empty")
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise MatrixError(400, "M_NOT_JSON", "Content not JSON") from exc
    if not isinstance(value, dict):
        raise bad_json("Request body must be a JSON object")
    may_nest_deep = raw.count(b"{") + raw.count(b"[") > MAX_JSON_DEPTH
    if (b"\\u0000" in raw or may_nest_deep) and not _values_acceptable(value):
        raise bad_json(f"Strings must not contain NUL characters, nor objects nest deeper than {MAX_JSON_DEPTH}")
    return value


def _values_acceptable(value: Any) -> bool:
    """No NUL in any string (PostgreSQL cannot store it in TEXT; no Matrix field needs one) and bounded nesting
    (canonical JSON, hashing and redaction recurse; Python's recursion limit is below the JSON parser's depth).

    Iterative, so the check itself cannot exhaust the recursion limit."""
    pending: list[tuple[Any, int]] = [(value, 1)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                return False
        elif isinstance(item, dict | list):
            if depth > MAX_JSON_DEPTH:
                return False
            children = [*item.keys(), *item.values()] if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
    return True


def get_str(body: dict[str, Any], key: str, *, required: bool = False, max_length: int = 65536) -> str | None:
    value = body.get(key)
    if value is None:
        if required:
            raise missing_param(f"Missing {key}")
        return None
    if not isinstance(value, str):
        raise bad_json(f"{key} must be a string")
    if len(value) > max_length:
        raise invalid_param(f"{key} is too long")
    return value


def get_bool(body: dict[str, Any], key: str, default: bool) -> bool:
    value = body.get(key, default)
    if not isinstance(value, bool):
        raise bad_json(f"{key} must be a boolean")
    return value


def get_int(body: dict[str, Any], key: str, default: int) -> int:
    value = body.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int):
        raise bad_json(f"{key} must be an integer")
    return value


def query_int(request: web.Request, key: str, default: int, *, minimum: int = 0, maximum: int = 2**53) -> int:
    """A non-negative decimal query parameter (ASCII digits only) within [minimum, maximum], else M_INVALID_PARAM."""
    raw = request.query.get(key)
    if raw is None:
        return default
    value = parse_decimal(raw)
    if value is None:
        raise invalid_param(f"{key} must be a non-negative integer in decimal digits")
    if not minimum <= value <= maximum:
        raise invalid_param(f"{key} is out of range")
    return value


def query_bool(request: web.Request, key: str, default: bool) -> bool:
    raw = request.query.get(key)
    if raw is None:
        return default
    if raw in ("true", "1"):
        return True
    if raw in ("false", "0"):
        return False
    raise invalid_param(f"{key} must be true or false")


def query_json(request: web.Request, key: str) -> Any:
    raw = request.query.get(key)
    if raw is None:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError as exc:
        raise MatrixError(400, "M_NOT_JSON", f"{key} is not valid JSON") from exc


def json_response(body: Any, status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(body), status=status, content_type="application/json")
