"""Spaces and room summaries (client-server API: spaces; room summaries)."""

from __future__ import annotations

from urllib.parse import unquote

from aiohttp import web

from ...errors import missing_param
from ...http.context import optional_requester_of, requester_of, services_of
from ...http.json_body import json_response, query_bool, query_int
from ...services.spaces.hierarchy import DEFAULT_LIMIT, MAX_DEPTH, HierarchyQuery
from .rooms import _room_id


async def get_hierarchy(request: web.Request) -> web.Response:
    """GET /_matrix/client/v1/rooms/{roomId}/hierarchy."""
    query = HierarchyQuery(
        room_id=_room_id(request),
        suggested_only=query_bool(request, "suggested_only", False),
        max_depth=query_int(request, "max_depth", MAX_DEPTH, maximum=2**31),
        limit=query_int(request, "limit", DEFAULT_LIMIT, maximum=2**31),
        from_token=request.query.get("from"),
    )
    return json_response(await services_of(request).hierarchy.hierarchy(requester_of(request), query))


async def get_room_summary(request: web.Request) -> web.Response:
    """GET /_matrix/client/v1/room_summary/{roomIdOrAlias} (and MSC3266's unstable path)."""
    summary = await services_of(request).summaries.summary(
        optional_requester_of(request), unquote(request.match_info["room_id_or_alias"])
    )
    return json_response(summary)


async def get_timestamp_to_event(request: web.Request) -> web.Response:
    """GET /_matrix/client/v1/rooms/{roomId}/timestamp_to_event (client-server API: events by timestamp)."""
    if "ts" not in request.query or "dir" not in request.query:
        raise missing_param("ts and dir are required")
    result = await services_of(request).timestamps.closest_event(
        requester_of(request), _room_id(request), query_int(request, "ts", 0, maximum=2**62), request.query["dir"]
    )
    return json_response(result)
