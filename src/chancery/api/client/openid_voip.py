"""Tokens and credentials for services beside the homeserver: OpenID tokens (client-server API: OpenID) and
TURN credentials for calls (client-server API: voice over IP)."""

from __future__ import annotations

from urllib.parse import unquote

from aiohttp import web

from ...http.context import requester_of, services_of
from ...http.json_body import json_response, read_json


async def post_openid_request_token(request: web.Request) -> web.Response:
    """POST /_matrix/client/v3/user/{userId}/openid/request_token."""
    await read_json(request, allow_empty=True)  # an empty object, reserved for future expansion
    user_id = unquote(request.match_info["user_id"])
    token = await services_of(request).short_lived_tokens.request_openid_token(requester_of(request), user_id)
    return json_response(token)


async def get_turn_server(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/voip/turnServer: {} when no TURN server is configured."""
    return json_response(services_of(request).turn.credentials(requester_of(request).user_id))
