"""Discovery endpoints: versions, well-known, capabilities (client-server API: server discovery)."""

from __future__ import annotations

import functools

from aiohttp import web

from ...errors import not_found
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


# Each unstable feature flag clients look for, with the route that implements it: a flag is advertised as true
# exactly when that route is in the route table, so /versions cannot claim what the server does not do.
FEATURE_ROUTES = {
    # Cross-signing (MSC1756), stable since Matrix 1.1; older clients look for the flag.
    "org.matrix.e2e_cross_signing": ("POST", "/_matrix/client/v3/keys/device_signing/upload"),
    # Authenticated media (MSC3916) at its stable paths.
    "org.matrix.msc3916.stable": ("GET", "/_matrix/client/v1/media/download/{server_name}/{media_id}"),
    # Threads (MSC3440) at their stable paths, with /threads (MSC3856).
    "org.matrix.msc3440.stable": ("GET", "/_matrix/client/v1/rooms/{room_id}/threads"),
    # Room summaries (MSC3266) at the unstable path clients still use.
    "org.matrix.msc3266": ("GET", "/_matrix/client/unstable/im.nheko.summary/summary/{room_id_or_alias}"),
    # Simplified sliding sync (MSC4186), which Element X needs.
    "org.matrix.simplified_msc3575": ("POST", "/_matrix/client/unstable/org.matrix.simplified_msc3575/sync"),
}


@functools.cache
def unstable_features() -> dict[str, bool]:
    from ..routes import ALL_ROUTES  # imported here: the route table imports this module

    served = {(route.method, route.path) for route in ALL_ROUTES()}
    return {feature: route in served for feature, route in FEATURE_ROUTES.items()}


async def get_versions(request: web.Request) -> web.Response:
    """GET /_matrix/client/versions (client-server API: API standards)."""
    return json_response({"versions": SUPPORTED_VERSIONS, "unstable_features": unstable_features()})


async def get_well_known(request: web.Request) -> web.Response:
    """GET /.well-known/matrix/client (client-server API: well-known URIs)."""
    config = services_of(request).config
    return json_response({"m.homeserver": {"base_url": config.public_baseurl.rstrip("/")}})


async def get_well_known_support(request: web.Request) -> web.Response:
    """GET /.well-known/matrix/support (client-server API: well-known URIs): [support] in the configuration."""
    support = services_of(request).config.support
    if not support.published:
        raise not_found("No support information is published")
    return json_response(support.well_known())


async def get_capabilities(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/capabilities (client-server API: capabilities negotiation)."""
    services = services_of(request)
    config = services.config
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
                "m.get_login_token": {"enabled": services.short_lived_tokens.login_tokens_enabled},
            }
        }
    )


async def get_health(request: web.Request) -> web.Response:
    """GET /health: the process is up and its database answers."""
    await services_of(request).storage.db.fetchval("SELECT 1")
    return web.Response(text="OK")


async def get_thirdparty_protocols(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/thirdparty/protocols (client-server API: third-party networks): no bridges."""
    return json_response({})


async def get_thirdparty_protocol(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/thirdparty/{protocol,location,user}/{protocol}: every protocol is unknown."""
    raise not_found("Unknown protocol")


async def get_thirdparty_lookup(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/thirdparty/location and /thirdparty/user: nothing is bridged, nothing found."""
    return json_response([])
