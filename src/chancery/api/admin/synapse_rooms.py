"""Rooms in the Synapse-compatible admin API (/_synapse/admin/v1|v2/rooms...)."""

from __future__ import annotations

from aiohttp import web

from ...errors import invalid_param
from ...http.context import requester_of, services_of
from ...http.json_body import json_response, read_json
from ...services.admin.room_deletion import DeletionRequest
from ...services.admin.rooms import ROOM_ORDERS
from .params import descending, order_by, paging, path, text_filter


async def get_rooms(request: web.Request) -> web.Response:
    """GET /_synapse/admin/v1/rooms (Synapse admin API: list rooms)."""
    offset, limit = paging(request)
    order = order_by(request, ROOM_ORDERS, "name")
    rooms = services_of(request).admin.rooms
    search_term = text_filter(request, "search_term")
    return json_response(await rooms.list_rooms(order, descending(request), offset, limit, search_term))


async def get_room(request: web.Request) -> web.Response:
    """GET /_synapse/admin/v1/rooms/{roomId} (Synapse admin API: room details)."""
    return json_response(await services_of(request).admin.rooms.room_details(path(request, "room_id")))


async def get_members(request: web.Request) -> web.Response:
    """GET /_synapse/admin/v1/rooms/{roomId}/members (Synapse admin API: room members)."""
    return json_response(await services_of(request).admin.rooms.members(path(request, "room_id")))


async def get_state(request: web.Request) -> web.Response:
    """GET /_synapse/admin/v1/rooms/{roomId}/state (Synapse admin API: room state)."""
    rooms = services_of(request).admin.rooms
    return json_response(await rooms.state(path(request, "room_id"), requester_of(request)))


async def get_block(request: web.Request) -> web.Response:
    """GET /_synapse/admin/v1/rooms/{roomId}/block (Synapse admin API: get block status)."""
    return json_response(await services_of(request).admin.rooms.block_status(path(request, "room_id")))


async def put_block(request: web.Request) -> web.Response:
    """PUT /_synapse/admin/v1/rooms/{roomId}/block (Synapse admin API: block or unblock a room)."""
    body = await read_json(request)
    block = body.get("block")
    if not isinstance(block, bool):
        raise invalid_param("block must be a boolean")
    await services_of(request).admin.rooms.set_blocked(requester_of(request), path(request, "room_id"), block)
    return json_response({"block": block})


async def delete_room(request: web.Request) -> web.Response:
    """DELETE /_synapse/admin/v2/rooms/{roomId} (Synapse admin API: delete room, version 2, asynchronous)."""
    services = services_of(request)
    deletion = DeletionRequest.parse(await read_json(request, allow_empty=True), services.config.server_name)
    delete_id = await services.admin.deletions.start(requester_of(request), path(request, "room_id"), deletion)
    return json_response({"delete_id": delete_id})


async def get_room_delete_status(request: web.Request) -> web.Response:
    """GET /_synapse/admin/v2/rooms/{roomId}/delete_status (Synapse admin API: status of deletions of a room)."""
    return json_response(await services_of(request).admin.deletions.status_of_room(path(request, "room_id")))


async def get_delete_status(request: web.Request) -> web.Response:
    """GET /_synapse/admin/v2/rooms/delete_status/{deleteId} (Synapse admin API: status of one deletion)."""
    return json_response(await services_of(request).admin.deletions.status(path(request, "delete_id")))


async def get_forward_extremities(request: web.Request) -> web.Response:
    """GET /_synapse/admin/v1/rooms/{roomId}/forward_extremities (Synapse admin API: check for extremities)."""
    return json_response(await services_of(request).admin.rooms.forward_extremities(path(request, "room_id")))


async def delete_forward_extremities(request: web.Request) -> web.Response:
    """DELETE /_synapse/admin/v1/rooms/{roomId}/forward_extremities (Synapse admin API: delete extremities).

    A room here never has more than one, so there is never one to delete."""
    await services_of(request).admin.rooms.check_exists(path(request, "room_id"))
    return json_response({"deleted": 0})
