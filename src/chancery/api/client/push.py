"""Pushers and notifications (client-server API: push notifications)."""

from __future__ import annotations

from typing import Any

import orjson
from aiohttp import web

from ...errors import bad_json, invalid_param, missing_param
from ...http.context import requester_of, services_of
from ...http.json_body import get_bool, get_str, json_response, query_int, read_json
from ...services.push.notifications import MAX_LIMIT
from ...services.push.pushers import (
    MAX_APP_ID_LENGTH,
    MAX_DATA_BYTES,
    MAX_NAME_LENGTH,
    MAX_PUSHKEY_BYTES,
    PusherDeletion,
    PusherSettings,
)


async def get_pushers(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/pushers (client-server API: push notifications, pushers)."""
    return json_response({"pushers": await services_of(request).pushers.list_pushers(requester_of(request))})


async def post_pushers_set(request: web.Request) -> web.Response:
    """POST /_matrix/client/v3/pushers/set: add, update or (kind null) delete a pusher of this account."""
    services = services_of(request)
    change = parse_pusher_body(await read_json(request))
    await services.pushers.set_pusher(requester_of(request), change)
    return json_response({})


async def get_notifications(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/notifications: the events that notified this account, newest first."""
    only = request.query.get("only")
    if only not in (None, "highlight"):
        raise invalid_param("only must be 'highlight'")
    limit = query_int(request, "limit", 20, minimum=1, maximum=2**31)
    listing = await services_of(request).notifications.notifications(
        requester_of(request), request.query.get("from"), min(limit, MAX_LIMIT), only
    )
    return json_response(listing)


def parse_pusher_body(body: dict[str, Any]) -> PusherSettings | PusherDeletion:
    """The body of `POST /pushers/set`: a pusher to add or update, or (kind null) one to delete. The gateway
    URL itself is checked by the service (PusherService.set_pusher)."""
    app_id = get_str(body, "app_id", required=True, max_length=MAX_APP_ID_LENGTH)
    pushkey = get_str(body, "pushkey", required=True)
    assert app_id is not None and pushkey is not None
    if len(pushkey.encode()) > MAX_PUSHKEY_BYTES:
        raise invalid_param(f"pushkey is longer than {MAX_PUSHKEY_BYTES} bytes")
    if "kind" not in body:
        raise missing_param("Missing kind")
    kind = body["kind"]
    if kind is None:
        return PusherDeletion(app_id, pushkey)
    if kind == "email":
        raise invalid_param("E-mail pushers are not offered by this server; use an http pusher")
    if kind != "http":
        raise invalid_param("Unknown pusher kind; this server supports http pushers")
    data = body.get("data")
    if not isinstance(data, dict):
        raise missing_param("Missing data")
    if len(orjson.dumps(data)) > MAX_DATA_BYTES:
        raise invalid_param(f"data is larger than {MAX_DATA_BYTES} bytes")
    if not isinstance(data.get("url"), str):
        raise missing_param("An http pusher needs data.url")
    if "format" in data and not isinstance(data["format"], str):
        raise bad_json("data.format must be a string")
    names = {
        key: get_str(body, key, required=True, max_length=MAX_NAME_LENGTH)
        for key in ("app_display_name", "device_display_name", "lang")
    }
    return PusherSettings(
        app_id=app_id,
        pushkey=pushkey,
        app_display_name=names["app_display_name"] or "",
        device_display_name=names["device_display_name"] or "",
        profile_tag=get_str(body, "profile_tag", max_length=MAX_NAME_LENGTH),
        lang=names["lang"] or "",
        data=data,
        append=get_bool(body, "append", False),
    )
