"""Users in the Synapse-compatible admin API (/_synapse/admin/v1|v2/users..., deactivate, whois, reset_password)."""

from __future__ import annotations

from aiohttp import web

from ...errors import invalid_param
from ...http.context import requester_of, services_of
from ...http.json_body import get_bool, json_response, query_bool, read_json
from ...storage.admin_users import USER_ORDER_COLUMNS, UserFilter
from .params import descending, optional_bool, order_by, paging, path, text_filter


async def get_users(request: web.Request) -> web.Response:
    """GET /_synapse/admin/v2/users (Synapse admin API: list accounts)."""
    offset, limit = paging(request)
    wanted = UserFilter(
        user_id=text_filter(request, "user_id"),
        name=text_filter(request, "name"),
        guests=query_bool(request, "guests", True),
        deactivated=query_bool(request, "deactivated", False),
        admins=optional_bool(request, "admins"),
    )
    query_bool(request, "locked", False)  # nobody is locked here: validated, nothing to filter
    order = order_by(request, USER_ORDER_COLUMNS, "name")
    users = services_of(request).admin.users
    return json_response(await users.list_users(wanted, order, descending(request), offset, limit))


async def get_user(request: web.Request) -> web.Response:
    """GET /_synapse/admin/v2/users/{userId} (Synapse admin API: query user account)."""
    return json_response(await services_of(request).admin.users.user_details(path(request, "user_id")))


async def put_user(request: web.Request) -> web.Response:
    """PUT /_synapse/admin/v2/users/{userId} (Synapse admin API: create or modify account)."""
    body = await read_json(request)
    status, user = await services_of(request).admin.users.put_user(
        requester_of(request), path(request, "user_id"), body
    )
    return json_response(user, status=status)


async def post_deactivate(request: web.Request) -> web.Response:
    """POST /_synapse/admin/v1/deactivate/{userId} (Synapse admin API: deactivate account)."""
    body = await read_json(request, allow_empty=True)
    erase = get_bool(body, "erase", False)
    await services_of(request).admin.users.deactivate(requester_of(request), path(request, "user_id"), erase=erase)
    return json_response({"id_server_unbind_result": "success"})


async def post_reset_password(request: web.Request) -> web.Response:
    """POST /_synapse/admin/v1/reset_password/{userId} (Synapse admin API: reset password)."""
    body = await read_json(request)
    password = body.get("new_password")
    if not isinstance(password, str) or not password:
        raise invalid_param("new_password must be a non-empty string")
    logout = get_bool(body, "logout_devices", True)
    users = services_of(request).admin.users
    await users.reset_password(requester_of(request), path(request, "user_id"), password, logout)
    return json_response({})


async def get_admin(request: web.Request) -> web.Response:
    """GET /_synapse/admin/v1/users/{userId}/admin (Synapse admin API: get whether a user is a server admin)."""
    user = await services_of(request).admin.users.existing(path(request, "user_id"))
    return json_response({"admin": user.is_admin})


async def put_admin(request: web.Request) -> web.Response:
    """PUT /_synapse/admin/v1/users/{userId}/admin (Synapse admin API: change whether a user is a server admin)."""
    body = await read_json(request)
    if not isinstance(body.get("admin"), bool):
        raise invalid_param("admin must be a boolean")
    await services_of(request).admin.users.set_admin(requester_of(request), path(request, "user_id"), body["admin"])
    return json_response({})


async def get_whois(request: web.Request) -> web.Response:
    """GET /_synapse/admin/v1/whois/{userId} (Synapse admin API: query current sessions)."""
    services, user_id = services_of(request), path(request, "user_id")
    await services.admin.users.existing(user_id)
    return json_response(await services.whois.whois(requester_of(request), user_id))


async def get_joined_rooms(request: web.Request) -> web.Response:
    """GET /_synapse/admin/v1/users/{userId}/joined_rooms (Synapse admin API: list room memberships)."""
    return json_response(await services_of(request).admin.users.joined_rooms(path(request, "user_id")))


async def get_pushers(request: web.Request) -> web.Response:
    """GET /_synapse/admin/v1/users/{userId}/pushers (Synapse admin API: get all pushers)."""
    return json_response(await services_of(request).admin.users.pushers(path(request, "user_id")))


async def post_login(request: web.Request) -> web.Response:
    """POST /_synapse/admin/v1/users/{userId}/login (Synapse admin API: login as a user)."""
    body = await read_json(request, allow_empty=True)
    users = services_of(request).admin.users
    return json_response(await users.login_as(requester_of(request), path(request, "user_id"), body))


# -- devices -------------------------------------------------------------------------------------


async def get_devices(request: web.Request) -> web.Response:
    """GET /_synapse/admin/v2/users/{userId}/devices (Synapse admin API: list all devices)."""
    return json_response(await services_of(request).admin.users.devices(path(request, "user_id")))


async def get_device(request: web.Request) -> web.Response:
    """GET /_synapse/admin/v2/users/{userId}/devices/{deviceId} (Synapse admin API: show a device)."""
    users = services_of(request).admin.users
    return json_response(await users.device(path(request, "user_id"), path(request, "device_id")))


async def put_device(request: web.Request) -> web.Response:
    """PUT /_synapse/admin/v2/users/{userId}/devices/{deviceId} (Synapse admin API: update a device)."""
    body = await read_json(request)
    users = services_of(request).admin.users
    await users.rename_device(
        requester_of(request), path(request, "user_id"), path(request, "device_id"), body.get("display_name")
    )
    return json_response({})


async def delete_device(request: web.Request) -> web.Response:
    """DELETE /_synapse/admin/v2/users/{userId}/devices/{deviceId} (Synapse admin API: delete a device)."""
    users = services_of(request).admin.users
    await users.delete_devices(requester_of(request), path(request, "user_id"), [path(request, "device_id")])
    return json_response({})


async def post_delete_devices(request: web.Request) -> web.Response:
    """POST /_synapse/admin/v2/users/{userId}/delete_devices (Synapse admin API: delete multiple devices)."""
    body = await read_json(request)
    devices = body.get("devices")
    if not isinstance(devices, list) or not all(isinstance(d, str) for d in devices) or len(devices) > 1000:
        raise invalid_param("devices must be a list of at most 1000 device IDs")
    await services_of(request).admin.users.delete_devices(requester_of(request), path(request, "user_id"), devices)
    return json_response({})
