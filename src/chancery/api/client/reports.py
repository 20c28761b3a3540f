"""Reporting content: events, rooms and users (client-server API: reporting content)."""

from __future__ import annotations

from urllib.parse import unquote

from aiohttp import web

from ...errors import bad_json
from ...http.context import requester_of, services_of
from ...http.json_body import get_str, json_response, read_json
from .rooms import _room_id

MAX_REASON_LENGTH = 10_000


async def post_report_event(request: web.Request) -> web.Response:
    """POST /_matrix/client/v3/rooms/{roomId}/report/{eventId}."""
    body = await read_json(request, allow_empty=True)
    reason = get_str(body, "reason", max_length=MAX_REASON_LENGTH)
    score = body.get("score")
    if score is not None and (isinstance(score, bool) or not isinstance(score, int)):
        raise bad_json("score must be an integer")
    await services_of(request).reports.report_event(
        requester_of(request), _room_id(request), unquote(request.match_info["event_id"]), reason, score
    )
    return json_response({})


async def post_report_room(request: web.Request) -> web.Response:
    """POST /_matrix/client/v3/rooms/{roomId}/report (Matrix 1.13)."""
    body = await read_json(request)
    reason = get_str(body, "reason", required=True, max_length=MAX_REASON_LENGTH)
    await services_of(request).reports.report_room(requester_of(request), _room_id(request), reason)
    return json_response({})


async def post_report_user(request: web.Request) -> web.Response:
    """POST /_matrix/client/v3/users/{userId}/report (Matrix 1.14)."""
    body = await read_json(request)
    reason = get_str(body, "reason", required=True, max_length=MAX_REASON_LENGTH)
    await services_of(request).reports.report_user(
        requester_of(request), unquote(request.match_info["user_id"]), reason
    )
    return json_response({})
