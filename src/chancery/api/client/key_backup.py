"""Server-side key backup endpoints (client-server API: server-side key backups)."""

from __future__ import annotations

from aiohttp import web

from ...errors import not_found
from ...http.context import requester_of, services_of
from ...http.json_body import json_response, read_json
from ...services.e2e.key_backup import keys_from_body, keys_to_body


async def post_version(request: web.Request) -> web.Response:
    """POST /_matrix/client/v3/room_keys/version."""
    body = await read_json(request)
    return json_response(await services_of(request).e2e.key_backup.create_version(requester_of(request), body))


async def get_version(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/room_keys/version[/{version}]."""
    backup = services_of(request).e2e.key_backup
    return json_response(await backup.get_version(requester_of(request), request.match_info.get("version")))


async def put_version(request: web.Request) -> web.Response:
    """PUT /_matrix/client/v3/room_keys/version/{version}."""
    body = await read_json(request)
    backup = services_of(request).e2e.key_backup
    await backup.update_version(requester_of(request), request.match_info["version"], body)
    return json_response({})


async def delete_version(request: web.Request) -> web.Response:
    """DELETE /_matrix/client/v3/room_keys/version/{version}."""
    backup = services_of(request).e2e.key_backup
    await backup.delete_version(requester_of(request), request.match_info["version"])
    return json_response({})


async def put_keys(request: web.Request) -> web.Response:
    """PUT /_matrix/client/v3/room_keys/keys[/{roomId}[/{sessionId}]]."""
    body = await read_json(request)
    room_id, session_id = request.match_info.get("room_id"), request.match_info.get("session_id")
    keys = keys_from_body(body, room_id, session_id)
    backup = services_of(request).e2e.key_backup
    return json_response(await backup.put_keys(requester_of(request), request.query.get("version"), keys))


async def get_keys(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/room_keys/keys[/{roomId}[/{sessionId}]]."""
    room_id, session_id = request.match_info.get("room_id"), request.match_info.get("session_id")
    backup = services_of(request).e2e.key_backup
    keys = await backup.get_keys(requester_of(request), request.query.get("version"), room_id, session_id)
    if session_id is not None:
        if not keys:
            raise not_found("Key not found")
        return json_response(keys[0].to_json())
    body = keys_to_body(keys)
    if room_id is not None:
        return json_response(body["rooms"].get(room_id, {"sessions": {}}))
    return json_response(body)


async def delete_keys(request: web.Request) -> web.Response:
    """DELETE /_matrix/client/v3/room_keys/keys[/{roomId}[/{sessionId}]]."""
    room_id, session_id = request.match_info.get("room_id"), request.match_info.get("session_id")
    backup = services_of(request).e2e.key_backup
    return json_response(
        await backup.delete_keys(requester_of(request), request.query.get("version"), room_id, session_id)
    )
