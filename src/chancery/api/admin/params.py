"""Query parameters of the Synapse-compatible admin API: paging, ordering, filters."""

from __future__ import annotations

from collections.abc import Collection
from urllib.parse import unquote

from aiohttp import web

from ...errors import invalid_param
from ...http.json_body import query_bool, query_int

MAX_LIMIT = 10_000
MAX_FILTER = 512


def paging(request: web.Request, default_limit: int = 100) -> tuple[int, int]:
    """(from, limit): offsets into the ordered list."""
    return query_int(request, "from", 0), query_int(request, "limit", default_limit, maximum=MAX_LIMIT)


def descending(request: web.Request, default: str = "f") -> bool:
    direction = request.query.get("dir", default)
    if direction not in ("f", "b"):
        raise invalid_param("dir must be 'f' or 'b'")
    return direction == "b"


def order_by(request: web.Request, allowed: Collection[str], default: str) -> str:
    value = request.query.get("order_by", default)
    if value not in allowed:
        raise invalid_param(f"Unknown order_by {value!r}")
    return value


def text_filter(request: web.Request, key: str) -> str | None:
    value = request.query.get(key)
    if value is not None and len(value) > MAX_FILTER:
        raise invalid_param(f"{key} is too long")
    return value or None


def optional_bool(request: web.Request, key: str) -> bool | None:
    return query_bool(request, key, False) if key in request.query else None


def path(request: web.Request, key: str) -> str:
    """A path parameter, percent-decoded (clients encode user and room IDs)."""
    return unquote(request.match_info[key])
