"""Reading request bodies and query parameters into Matrix errors, never exceptions that become 500s."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from ..errors import MatrixError, bad_json, invalid_param, missing_param, too_large


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
    return value


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
    raw = request.query.get(key)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError as exc:
        raise invalid_param(f"{key} must be an integer") from exc
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
