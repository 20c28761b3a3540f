"""Room upgrades (client-server API: room upgrades)."""

from __future__ import annotations

from aiohttp import web

from ...errors import missing_param
from ...http.context import requester_of, services_of
from ...http.json_body import json_response, read_json
from .rooms import _room_id


async def post_upgrade(request: web.Request) -> web.Response:
    """POST /_matrix/client/v3/rooms/{roomId}/upgrade."""
    body = await read_json(request)
    if "new_version" not in body:
        raise missing_param("Missing new_version")
    new_room = await services_of(request).upgrades.upgrade(
        requester_of(request), _room_id(request), body["new_version"], body.get("additional_creators")
    )
    return json_response({"replacement_room": new_room})
