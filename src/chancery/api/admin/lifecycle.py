"""Chancery's own administration of account lifecycle: expiry, renewal, re-activation."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ...errors import invalid_param
from ...events.identifiers import is_valid_user_id
from ...http.context import requester_of, services_of
from ...http.json_body import get_str, json_response, read_json
from ...services.audit import Actor


def _user_id(request: web.Request) -> str:
    user_id = request.match_info["user_id"]
    if not is_valid_user_id(user_id):
        raise invalid_param("Invalid user ID")
    return user_id


def _admin(request: web.Request) -> Actor:
    return Actor.of(requester_of(request), "admin")


def _expiry(body: dict[str, Any]) -> int | None:
    value = body.get("expiration_ts")
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**53):
        raise invalid_param("expiration_ts must be a timestamp in milliseconds")
    return value


async def get_validity(request: web.Request) -> web.Response:
    """GET /_chancery/admin/v1/users/{userId}/validity: {"expiration_ts": int|null}."""
    expires_ts = await services_of(request).lifecycle.expiry(_user_id(request))
    return json_response({"expiration_ts": expires_ts})


async def post_renew(request: web.Request) -> web.Response:
    """POST /_chancery/admin/v1/users/{userId}/renew {"expiration_ts"?}: renew until then, or for the configured
    validity from now. Returns {"expiration_ts"}."""
    body = await read_json(request, allow_empty=True)
    renewed = await services_of(request).lifecycle.renew(_user_id(request), _admin(request), expires_ts=_expiry(body))
    return json_response({"expiration_ts": renewed})


async def post_reactivate(request: web.Request) -> web.Response:
    """POST /_chancery/admin/v1/users/{userId}/reactivate {"password"?}: reopen a deactivated account."""
    body = await read_json(request, allow_empty=True)
    password = get_str(body, "password", max_length=512)
    await services_of(request).lifecycle.reactivate(_user_id(request), _admin(request), password=password)
    return json_response({})
