"""POST /_matrix/client/unstable/org.matrix.simplified_msc3575/sync (MSC4186: simplified sliding sync)."""

from __future__ import annotations

from aiohttp import web

from ...errors import invalid_param
from ...events.sliding_sync import parse_request
from ...http.context import requester_of, services_of
from ...http.json_body import json_response, query_int, read_json

PRESENCE_STATES = ("online", "unavailable", "offline")


async def post_sliding_sync(request: web.Request) -> web.Response:
    """POST .../org.matrix.simplified_msc3575/sync: `pos`, `timeout`, `set_presence` in the query; the
    connection's lists, room subscriptions and extensions in the body."""
    services = services_of(request)
    requester = requester_of(request)
    body = parse_request(await read_json(request, allow_empty=True))
    pos = request.query.get("pos")
    timeout = query_int(request, "timeout", 0, maximum=2**31)
    set_presence = request.query.get("set_presence", "online")
    if set_presence not in PRESENCE_STATES:
        raise invalid_param("set_presence must be online, unavailable or offline")
    if set_presence != "offline":
        await services.ephemeral.touch_presence(requester.user_id, set_presence)
    return json_response(await services.sliding_sync.sync(requester, pos, timeout, body))
