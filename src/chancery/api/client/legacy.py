"""Legacy endpoints that clients and test suites still call: the old event stream, initial syncs and
room previews (client-server API: deprecated endpoints; room previews)."""

from __future__ import annotations

from urllib.parse import unquote

from aiohttp import web

from ...errors import invalid_param
from ...http.context import requester_of, services_of
from ...http.json_body import json_response, query_bool, query_int
from ...services.legacy.event_stream import DEFAULT_LIMIT
from .rooms import _room_id


async def get_events(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/events (deprecated; with room_id: room previews, "peeking")."""
    room_id = request.query.get("room_id")
    if room_id is not None and not room_id.startswith("!"):
        raise invalid_param("room_id must be a room ID")
    result = await services_of(request).event_stream.events(
        requester_of(request),
        request.query.get("from"),
        query_int(request, "timeout", 0, maximum=2**31),
        room_id,
        query_int(request, "limit", DEFAULT_LIMIT, maximum=2**31),
        request.query.get("dir", "f"),
    )
    return json_response(result)


async def get_event(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/events/{eventId} (deprecated)."""
    event = await services_of(request).event_stream.event(
        requester_of(request), unquote(request.match_info["event_id"])
    )
    return json_response(event)


async def get_initial_sync(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/initialSync (deprecated)."""
    result = await services_of(request).initial_sync.initial_sync(
        requester_of(request),
        query_int(request, "limit", DEFAULT_LIMIT, maximum=2**31),
        query_bool(request, "archived", False),
    )
    return json_response(result)


async def get_room_initial_sync(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/rooms/{roomId}/initialSync (client-server API: room previews)."""
    result = await services_of(request).initial_sync.room_initial_sync(
        requester_of(request), _room_id(request), query_int(request, "limit", DEFAULT_LIMIT, maximum=2**31)
    )
    return json_response(result)
