"""The audit log for administrators and security officers (issue 13)."""

from __future__ import annotations

import orjson
from aiohttp import web

from ...errors import invalid_param
from ...http.context import requester_of, services_of
from ...http.json_body import json_response, query_int
from ...services.audit.query import MAX_LIMIT, AuditFilter

MAX_FILTER_LENGTH = 512
DEFAULT_LIMIT = 100


def _text(request: web.Request, name: str) -> str | None:
    value = request.query.get(name)
    if value is not None and (not value or len(value) > MAX_FILTER_LENGTH):
        raise invalid_param(f"{name} must be 1 to {MAX_FILTER_LENGTH} characters")
    return value


def _number(request: web.Request, name: str) -> int | None:
    value = query_int(request, name, -1, maximum=2**62)
    return None if value < 0 else value


def _limit(request: web.Request) -> int:
    return query_int(request, "limit", DEFAULT_LIMIT, minimum=1, maximum=MAX_LIMIT)


async def get_audit(request: web.Request) -> web.Response:
    """GET /_chancery/admin/v1/audit?actor=&action=&target=&since=&until=&from=&limit=

    Entries newest first; `action` ending in "." selects a family (membership.); since/until are ms
    timestamps; `from` is the previous page's next_token."""
    query = AuditFilter(
        actor=_text(request, "actor"),
        action=_text(request, "action"),
        target=_text(request, "target"),
        since=_number(request, "since"),
        until=_number(request, "until"),
        before_seq=_number(request, "from"),
    )
    limit = _limit(request)
    return json_response(await services_of(request).audit_query.entries(requester_of(request), query, limit))


async def get_checkpoints(request: web.Request) -> web.Response:
    """GET /_chancery/admin/v1/audit/checkpoints?from=&limit=: signed checkpoints, newest first, and the
    public key that verifies them."""
    services = services_of(request)
    limit = _limit(request)
    return json_response(await services.audit_query.checkpoints(requester_of(request), _number(request, "from"), limit))


async def get_export(request: web.Request) -> web.StreamResponse:
    """GET /_chancery/admin/v1/audit/export?since=: the log as JSON Lines, for `chancery audit verify --export`
    (docs/audit.md); `since` in ms."""
    lines = await services_of(request).audit_query.export(requester_of(request), _number(request, "since"))
    response = web.StreamResponse(
        headers={"Content-Type": "application/x-ndjson", "Content-Disposition": 'attachment; filename="audit.jsonl"'}
    )
    await response.prepare(request)
    async for line in lines:
        await response.write(orjson.dumps(line) + b"\n")
    await response.write_eof()
    return response
