"""Retention, legal hold and spillage for administrators and security officers (issue 14)."""

from __future__ import annotations

from dataclasses import asdict

from aiohttp import web

from ...http.context import requester_of, services_of
from ...http.json_body import get_str, json_response, read_json
from ...services.retention.holds import HoldKind

_KINDS: dict[str, HoldKind] = {"rooms": "room", "users": "user"}


def _hold_target(request: web.Request) -> tuple[HoldKind, str]:
    return _KINDS[request.match_info["kind"]], request.match_info["target"]


async def put_legal_hold(request: web.Request) -> web.Response:
    """PUT /_chancery/admin/v1/legal_holds/{rooms|users}/{id} (administrator): nothing of it is purged."""
    services = services_of(request)
    body = await read_json(request, allow_empty=True)
    reason = get_str(body, "reason", max_length=1000)
    kind, target = _hold_target(request)
    placed = await services.retention.holds.place(kind, target, requester_of(request).user_id, reason)
    return json_response({"placed": placed})


async def delete_legal_hold(request: web.Request) -> web.Response:
    """DELETE /_chancery/admin/v1/legal_holds/{rooms|users}/{id} (administrator): lift the hold."""
    kind, target = _hold_target(request)
    await services_of(request).retention.holds.lift(kind, target)
    return json_response({})


async def get_legal_holds(request: web.Request) -> web.Response:
    """GET /_chancery/admin/v1/legal_holds (administrator)."""
    return json_response({"holds": await services_of(request).retention.holds.list_holds()})


async def post_purge(request: web.Request) -> web.Response:
    """POST /_chancery/admin/v1/retention/purge (administrator): run the retention purge now."""
    return json_response(asdict(await services_of(request).retention.purge.run()))


async def post_spillage(request: web.Request) -> web.Response:
    """POST /_chancery/admin/v1/spillage/{roomId}/{eventId} (security officer): redact the event, remove its
    content and media from disk, and list the users and devices it reached."""
    info = request.match_info
    report = await services_of(request).retention.spillage.mark(
        requester_of(request).user_id, info["room_id"], info["event_id"]
    )
    return json_response(report)
