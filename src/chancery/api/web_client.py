"""Chancery Web, the bundled client: its page, its built files and its configuration (issue 15).

Not part of the Matrix API: these answer at / so that `chancery serve` needs no separate web server.
Every route of the Matrix API, /_chancery, /.well-known and /health is matched before these.
"""

from __future__ import annotations

from aiohttp import web

from ..errors import unrecognized
from ..http.context import services_of
from ..http.json_body import json_response
from ..web_client.assets import INDEX, Asset, WebClientAssets

NOT_BUILT_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Chancery</title></head>
<body><h1>Chancery</h1>
<p>This homeserver is running, but its web client is not built. Install Node.js 20 and run
<code>scripts/install</code>, then restart the server. Matrix clients can connect as usual.</p>
</body></html>
"""

# Where the page may load from and what it may do; sent with every file of the client.
_SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}


def _assets(request: web.Request) -> WebClientAssets:
    services = services_of(request)
    if not services.config.web.enabled:
        raise unrecognized()
    return services.web_client


def _secured(response: web.StreamResponse, assets: WebClientAssets) -> web.StreamResponse:
    response.headers["Content-Security-Policy"] = assets.csp
    response.headers.update(_SECURITY_HEADERS)
    return response


def _file(asset: Asset, assets: WebClientAssets) -> web.StreamResponse:
    response = web.FileResponse(
        asset.path, headers={"Content-Type": asset.content_type, "Cache-Control": asset.cache_control}
    )
    return _secured(response, assets)


async def get_index(request: web.Request) -> web.StreamResponse:
    """GET / (Chancery Web: the client's page, or a notice that the client is not built)."""
    assets = _assets(request)
    index = assets.lookup(INDEX)
    if index is None:
        page = web.Response(status=404, text=NOT_BUILT_PAGE, content_type="text/html", charset="utf-8")
        return _secured(page, assets)
    return _file(index, assets)


async def get_file(request: web.Request) -> web.StreamResponse:
    """GET /{name} and /assets/{name} (Chancery Web: a file of the built client)."""
    assets = _assets(request)
    asset = assets.lookup(request.path.removeprefix("/"))
    if asset is None:
        raise unrecognized()
    return _file(asset, assets)


async def get_config(request: web.Request) -> web.StreamResponse:
    """GET /config.json (Chancery Web: where the homeserver is and what it is called)."""
    assets = _assets(request)
    config = services_of(request).config
    response = json_response(
        {"homeserver": {"base_url": config.public_baseurl.rstrip("/"), "server_name": config.server_name}}
    )
    response.headers["Cache-Control"] = "no-cache"
    return _secured(response, assets)
