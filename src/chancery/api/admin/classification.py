"""Clearances (security officers) and device accreditation (administrators or security officers)."""

from __future__ import annotations

from urllib.parse import unquote

from aiohttp import web

from ...errors import forbidden, invalid_param, not_found
from ...events.identifiers import is_valid_user_id
from ...http.context import requester_of, services_of
from ...http.json_body import json_response, read_json
from ...policy.roles import SECURITY_OFFICER


def _user_id(request: web.Request) -> str:
    user_id = unquote(request.match_info["user_id"])
    if not is_valid_user_id(user_id):
        raise invalid_param("Invalid user ID")
    return user_id


async def get_clearance(request: web.Request) -> web.Response:
    """GET /_chancery/admin/v1/clearances/{userId}: the person's clearance (404 when they hold none)."""
    return json_response(await services_of(request).classification.get_clearance(_user_id(request)))


async def put_clearance(request: web.Request) -> web.Response:
    """PUT /_chancery/admin/v1/clearances/{userId} {"level", "caveats", "expires_ts"}: set (replace) it.

    Lowering it removes the person from every room it no longer covers before the answer; `removed_from`
    lists those rooms."""
    body = await read_json(request)
    clearance, removed = await services_of(request).classification.set_clearance(
        _user_id(request),
        body.get("level"),
        body.get("caveats"),
        body.get("expires_ts"),
        requester_of(request).user_id,
    )
    return json_response({**clearance, "removed_from": removed})


async def delete_clearance(request: web.Request) -> web.Response:
    """DELETE /_chancery/admin/v1/clearances/{userId}: revoke it; the person leaves every classified room."""
    removed = await services_of(request).classification.revoke_clearance(_user_id(request))
    return json_response({"removed_from": removed})


async def _may_accredit(request: web.Request) -> None:
    requester = requester_of(request)
    if requester.is_admin:
        return
    if SECURITY_OFFICER not in await services_of(request).storage.roles.roles_of(requester.user_id):
        raise forbidden("Only administrators and security officers accredit devices")


async def put_accreditation(request: web.Request) -> web.Response:
    """PUT /_chancery/admin/v1/users/{userId}/devices/{deviceId}/accreditation: accredit the device."""
    await _may_accredit(request)
    device_id = unquote(request.match_info["device_id"])
    await services_of(request).classification.set_accredited(
        _user_id(request), device_id, True, requester_of(request).user_id
    )
    return json_response({"accredited": True})


async def delete_accreditation(request: web.Request) -> web.Response:
    """DELETE /_chancery/admin/v1/users/{userId}/devices/{deviceId}/accreditation: withdraw it."""
    await _may_accredit(request)
    device_id = unquote(request.match_info["device_id"])
    if not await services_of(request).classification.set_accredited(
        _user_id(request), device_id, False, requester_of(request).user_id
    ):
        raise not_found("The device is not accredited")
    return json_response({"accredited": False})
