"""OpenID: another service checks a token a user gave it (server-server API: OpenID)."""

from __future__ import annotations

from aiohttp import web

from ...errors import MatrixError
from ...http.context import services_of
from ...http.json_body import json_response


async def get_openid_userinfo(request: web.Request) -> web.Response:
    """GET /_matrix/federation/v1/openid/userinfo?access_token=... : the user an OpenID token belongs to."""
    token = request.query.get("access_token")
    if not token:
        raise MatrixError(401, "M_MISSING_TOKEN", "Missing OpenID token")
    if len(token) > 1024:
        raise MatrixError(401, "M_UNKNOWN_TOKEN", "Unknown OpenID token")
    return json_response(await services_of(request).short_lived_tokens.openid_userinfo(token))
