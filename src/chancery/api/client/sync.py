"""GET /_matrix/client/v3/sync (client-server API: syncing)."""

from __future__ import annotations

from aiohttp import web

from ...errors import MatrixError, not_found
from ...events.filters import SyncFilter
from ...http.context import requester_of, services_of
from ...http.json_body import json_response, query_bool, query_int, query_json
from ...services.sync.service import parse_token


async def _sync_filter(request: web.Request) -> SyncFilter:
    raw = request.query.get("filter")
    if raw is None:
        return SyncFilter()
    services = services_of(request)
    requester = requester_of(request)
    known = services.sync.filters.get((requester.user_id, raw))
    if known is not None:
        return known
    if raw.lstrip().startswith("{"):
        parsed = SyncFilter.parse(query_json(request, "filter"))
    else:
        try:
            definition = await services.profile.get_filter(requester, requester.user_id, raw)
        except MatrixError as exc:
            raise not_found("Unknown filter") from exc
        parsed = SyncFilter.parse(definition)
    services.sync.filters.put((requester.user_id, raw), parsed)
    return parsed


async def get_sync(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/sync: initial or incremental, long-polling up to `timeout` ms."""
    services = services_of(request)
    requester = requester_of(request)
    since = parse_token(request.query.get("since"))
    timeout = query_int(request, "timeout", 0, maximum=2**31)
    full_state = query_bool(request, "full_state", False)
    sync_filter = await _sync_filter(request)
    set_presence = request.query.get("set_presence", "online")
    if set_presence in ("online", "unavailable"):
        await services.ephemeral.touch_presence(requester.user_id, set_presence)
    body = await services.sync.sync(requester, since, timeout, full_state, sync_filter)
    return json_response(body)
