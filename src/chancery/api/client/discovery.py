"""Discovery endpoints: versions, well-known, capabilities (client-server API: server discovery)."""

from __future__ import annotations

from aiohttp import web

from ...events.room_versions import ROOM_VERSIONS
from ...http.context import requester_of, services_of
from ...http.json_body import json_response

SUPPORTED_VERSIONS = [
    "r0.6.1",
    "v1.1",
    "v1.2",
    "v1.3",
    "v1.4",
    "v1.5",
    "v1.6",
    "v1.7",
    "v1.8",
    "v1.9",
    "v1.10",
    "v1.11",
]


async def get_versions(request: web.Request) -> web.Response:
    """GET /_matrix/client/versions (client-server API: API standards)."""
    return json_response({"versions": SUPPORTED_VERSIONS, "unstable_features": {}})


async def get_well_known(request: web.Request) -> web.Response:
    """GET /.well-known/matrix/client (client-server API: well-known URIs)."""
    config = services_of(request).config
    return json_response({"m.homeserver": {"base_url": config.public_baseurl.rstrip("/")}})


async def get_capabilities(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/capabilities (client-server API: capabilities negotiation)."""
    config = services_of(request).config
    # Display names locked to the institution's directory: clients hide the rename action.
    may_rename = not config.directory.lock_display_names or requester_of(request).is_admin
    return json_response(
        {
            "capabilities": {
                "m.change_password": {"enabled": True},
                "m.room_versions": {
                    "default": config.default_room_version,
                    "available": {version: "stable" for version in ROOM_VERSIONS},
                },
                "m.set_displayname": {"enabled": may_rename},
                "m.set_avatar_url": {"enabled": True},
                "m.3pid_changes": {"enabled": False},
                "m.get_login_token": {"enabled": False},
            }
        }
    )


async def get_health(request: web.Request) -> web.Response:
    """GET /health: the process is up and its database answers."""
    await services_of(request).storage.db.fetchval("SELECT 1")
    return web.Response(text="OK")
