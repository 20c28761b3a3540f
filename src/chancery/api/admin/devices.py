"""Device control for administrators and security officers: approval of new devices, remote wipe."""

from __future__ import annotations

from aiohttp import web

from ...http.context import requester_of, services_of
from ...http.json_body import get_str, json_response, read_json


async def post_wipe(request: web.Request) -> web.Response:
    """POST /_chancery/admin/v1/users/{userId}/devices/{deviceId}/wipe (administrator or security officer):
    revoke the device at once, remove its keys, queue org.chancery.wipe for it, never let its ID sign in."""
    services = services_of(request)
    requester = requester_of(request)
    info = request.match_info
    await services.devices.wipes.check_may_wipe(requester.user_id, requester.is_admin, info["user_id"])
    body = await read_json(request, allow_empty=True)
    reason = get_str(body, "reason", max_length=1000) or "Wiped by an administrator"
    await services.devices.wipes.wipe(requester.user_id, info["user_id"], info["device_id"], reason)
    return json_response({})


async def post_approve(request: web.Request) -> web.Response:
    """POST /_chancery/admin/v1/users/{userId}/devices/{deviceId}/approve (administrator): the device may
    now sync, fetch keys and read ([devices] require_approval)."""
    info = request.match_info
    await services_of(request).devices.approval.approve(info["user_id"], info["device_id"])
    return json_response({})


async def get_awaiting_approval(request: web.Request) -> web.Response:
    """GET /_chancery/admin/v1/devices/awaiting_approval (administrator): new devices waiting, oldest first."""
    return json_response({"devices": await services_of(request).devices.approval.awaiting()})
