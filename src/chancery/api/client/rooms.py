"""Room creation, membership, aliases and the room directory (client-server API)."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from aiohttp import web

from ...errors import MatrixError, bad_json, invalid_param
from ...events.identifiers import is_valid_user_id
from ...http.context import optional_requester_of, requester_of, services_of
from ...http.json_body import get_str, json_response, query_int, read_json


def _room_id(request: web.Request) -> str:
    room_id = unquote(request.match_info["room_id"])
    if not room_id.startswith("!"):
        raise invalid_param("Invalid room ID")
    return room_id


async def post_create_room(request: web.Request) -> web.Response:
    """POST /_matrix/client/v3/createRoom (client-server API: room creation)."""
    body = await read_json(request, allow_empty=True)
    room_id, _alias = await services_of(request).rooms.create_room(requester_of(request), body)
    return json_response({"room_id": room_id})


async def post_join(request: web.Request) -> web.Response:
    """POST /_matrix/client/v3/join/{roomIdOrAlias} and /rooms/{roomId}/join."""
    target = unquote(request.match_info.get("room_id_or_alias") or request.match_info["room_id"])
    body = await read_json(request, allow_empty=True)
    reason = get_str(body, "reason", max_length=2048)
    room_id = await services_of(request).rooms.join(requester_of(request), target, reason)
    return json_response({"room_id": room_id})


async def post_knock(request: web.Request) -> web.Response:
    """POST /_matrix/client/v3/knock/{roomIdOrAlias} (client-server API: knocking on rooms)."""
    target = unquote(request.match_info["room_id_or_alias"])
    body = await read_json(request, allow_empty=True)
    reason = get_str(body, "reason", max_length=2048)
    room_id = await services_of(request).rooms.knock(requester_of(request), target, reason)
    return json_response({"room_id": room_id})


def _target_user(body: dict[str, Any]) -> str:
    user_id = get_str(body, "user_id", required=True)
    assert user_id is not None
    if not is_valid_user_id(user_id):
        raise invalid_param("Invalid user_id")
    return user_id


async def post_invite(request: web.Request) -> web.Response:
    """POST /_matrix/client/v3/rooms/{roomId}/invite (client-server API: room membership)."""
    body = await read_json(request)
    if "medium" in body or "id_server" in body:
        raise bad_json("Third-party invites are not supported")
    await services_of(request).rooms.invite(
        requester_of(request), _room_id(request), _target_user(body), get_str(body, "reason", max_length=2048)
    )
    return json_response({})


async def post_leave(request: web.Request) -> web.Response:
    """POST /_matrix/client/v3/rooms/{roomId}/leave."""
    body = await read_json(request, allow_empty=True)
    await services_of(request).rooms.leave(
        requester_of(request), _room_id(request), get_str(body, "reason", max_length=2048)
    )
    return json_response({})


async def post_forget(request: web.Request) -> web.Response:
    """POST /_matrix/client/v3/rooms/{roomId}/forget."""
    await services_of(request).rooms.forget(requester_of(request), _room_id(request))
    return json_response({})


async def post_kick(request: web.Request) -> web.Response:
    """POST /_matrix/client/v3/rooms/{roomId}/kick."""
    body = await read_json(request)
    await services_of(request).rooms.kick(
        requester_of(request), _room_id(request), _target_user(body), get_str(body, "reason", max_length=2048)
    )
    return json_response({})


async def post_ban(request: web.Request) -> web.Response:
    """POST /_matrix/client/v3/rooms/{roomId}/ban."""
    body = await read_json(request)
    await services_of(request).rooms.ban(
        requester_of(request), _room_id(request), _target_user(body), get_str(body, "reason", max_length=2048)
    )
    return json_response({})


async def post_unban(request: web.Request) -> web.Response:
    """POST /_matrix/client/v3/rooms/{roomId}/unban."""
    body = await read_json(request)
    await services_of(request).rooms.unban(
        requester_of(request), _room_id(request), _target_user(body), get_str(body, "reason", max_length=2048)
    )
    return json_response({})


async def get_joined_rooms(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/joined_rooms."""
    rooms = await services_of(request).storage.rooms.rooms_for_user(requester_of(request).user_id)
    return json_response({"joined_rooms": sorted(rooms)})


async def get_alias(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/directory/room/{roomAlias} (client-server API: room aliases)."""
    return json_response(await services_of(request).directory.resolve(unquote(request.match_info["alias"])))


async def put_alias(request: web.Request) -> web.Response:
    """PUT /_matrix/client/v3/directory/room/{roomAlias}."""
    body = await read_json(request)
    await services_of(request).directory.create_alias(
        requester_of(request), unquote(request.match_info["alias"]), body.get("room_id")
    )
    return json_response({})


async def delete_alias(request: web.Request) -> web.Response:
    """DELETE /_matrix/client/v3/directory/room/{roomAlias}."""
    await services_of(request).directory.delete_alias(requester_of(request), unquote(request.match_info["alias"]))
    return json_response({})


async def get_room_aliases(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/rooms/{roomId}/aliases."""
    aliases = await services_of(request).directory.room_aliases(requester_of(request), _room_id(request))
    return json_response({"aliases": aliases})


async def get_directory_visibility(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/directory/list/room/{roomId}."""
    return json_response({"visibility": await services_of(request).directory.get_visibility(_room_id(request))})


async def put_directory_visibility(request: web.Request) -> web.Response:
    """PUT /_matrix/client/v3/directory/list/room/{roomId}."""
    body = await read_json(request)
    await services_of(request).directory.set_visibility(
        requester_of(request), _room_id(request), body.get("visibility")
    )
    return json_response({})


def _check_public_rooms_access(request: web.Request) -> None:
    """Without a token only when the operator allows it (`[access] public_rooms_without_token`)."""
    if optional_requester_of(request) is None and not services_of(request).config.access.public_rooms_without_token:
        raise MatrixError(401, "M_MISSING_TOKEN", "Missing access token")


async def get_public_rooms(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/publicRooms (client-server API: listing rooms)."""
    _check_public_rooms_access(request)
    limit = query_int(request, "limit", 0, maximum=1000) or None
    server = request.query.get("server")
    if server is not None and server != services_of(request).config.server_name:
        return json_response({"chunk": [], "total_room_count_estimate": 0})
    return json_response(await services_of(request).directory.public_rooms(limit, request.query.get("since"), None))


async def post_public_rooms(request: web.Request) -> web.Response:
    """POST /_matrix/client/v3/publicRooms."""
    _check_public_rooms_access(request)
    body = await read_json(request, allow_empty=True)
    limit = body.get("limit")
    if limit is not None and (not isinstance(limit, int) or isinstance(limit, bool) or limit < 0):
        raise bad_json("limit must be a non-negative integer")
    search = body.get("filter", {})
    term = search.get("generic_search_term") if isinstance(search, dict) else None
    if term is not None and not isinstance(term, str):
        raise bad_json("generic_search_term must be a string")
    since = get_str(body, "since")
    return json_response(await services_of(request).directory.public_rooms(limit, since, term))
