"""Chancery Web served by `chancery serve` at / (issue 15): the page, its files, its configuration and headers.

What a browser gets: the right MIME types (module scripts and WebAssembly refuse to run otherwise under nosniff),
a strict Content-Security-Policy, a year's caching only for content-hashed files, compressed transfer, and the
Matrix API's own routes untouched. Needs the client built (scripts/install builds it when Node.js is present).
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

from chancery.web_client.assets import DIST_DIR
from tests.client import Api
from tests.conftest import ENGINES, cleanup_server, make_server
from tests.serverproc import ServerProcess


def _require_build() -> None:
    assert (DIST_DIR / "index.html").is_file(), "the web client is not built: run scripts/install (needs Node.js 20)"


async def _get(api: Api, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    async with api.session.get(api.base_url + path, headers=headers, auto_decompress=False) as response:
        return response.status, dict(response.headers), await response.read()


async def _assets(api: Api) -> list[str]:
    _, _, page = await _get(api, "/")
    return re.findall(r'(?:src|href)="(/assets/[^"]+)"', page.decode())


async def test_the_page_is_served_at_the_root_with_a_strict_policy(api: Api, server: ServerProcess) -> None:
    _require_build()
    status, headers, body = await _get(api, "/")
    assert status == 200
    assert headers["Content-Type"] == "text/html; charset=utf-8"
    assert b'<div id="app">' in body
    assert headers["Cache-Control"] == "no-cache"
    assert headers["X-Content-Type-Options"] == "nosniff"
    policy = dict(d.strip().split(" ", 1) for d in headers["Content-Security-Policy"].split(";"))
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == "'self' 'wasm-unsafe-eval'"  # no inline script, no eval of JavaScript
    assert policy["frame-ancestors"] == "'none'"
    assert policy["object-src"] == "'none'"
    assert policy["connect-src"] == f"'self' {server.base_url}"  # this server (its advertised base URL) only
    assert "'unsafe-inline'" not in headers["Content-Security-Policy"]


async def test_hashed_assets_are_cached_for_a_year_with_their_types(api: Api) -> None:
    _require_build()
    assets = await _assets(api)
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets), assets
    for path in assets:
        status, headers, _ = await _get(api, path)
        assert status == 200, path
        assert headers["Cache-Control"] == "public, max-age=31536000, immutable", path
        expected = "text/javascript; charset=utf-8" if path.endswith(".js") else "text/css; charset=utf-8"
        assert headers["Content-Type"] == expected, path
        assert "Content-Security-Policy" in headers


async def test_the_crypto_webassembly_is_served_compressed_as_application_wasm(api: Api) -> None:
    _require_build()
    wasm = [p.name for p in (DIST_DIR / "assets").glob("*.wasm")]
    assert wasm, "the Rust crypto WASM is not in the build"
    status, headers, body = await _get(api, f"/assets/{wasm[0]}", **{"Accept-Encoding": "gzip"})
    assert status == 200
    assert headers["Content-Type"] == "application/wasm"
    assert headers["Content-Encoding"] == "gzip"
    assert len(body) < (DIST_DIR / "assets" / wasm[0]).stat().st_size / 2
    status, headers, body = await _get(api, f"/assets/{wasm[0]}", **{"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in headers
    assert body[:4] == b"\0asm"


async def test_manifest_and_icons_are_revalidated(api: Api) -> None:
    _require_build()
    status, headers, _ = await _get(api, "/manifest.webmanifest")
    assert status == 200
    assert headers["Content-Type"] == "application/manifest+json"
    assert headers["Cache-Control"] == "no-cache"
    status, headers, _ = await _get(api, "/icon.svg")
    assert (status, headers["Content-Type"]) == (200, "image/svg+xml")


async def test_the_client_configuration_names_this_server(api: Api, server: ServerProcess) -> None:
    status, headers, _ = await _get(api, "/config.json")
    assert status == 200
    assert headers["Cache-Control"] == "no-cache"
    body = await api.ok("GET", "/config.json")
    assert body == {"homeserver": {"base_url": server.base_url, "server_name": "localhost"}}


@pytest.mark.parametrize(
    "path",
    ["/assets/missing.js", "/assets/..%2F..%2F__init__.py", "/..%2Fassets.py", "/index.html.gz", "/nothing.json"],
)
async def test_only_files_of_the_build_are_served(api: Api, path: str) -> None:
    reply = await api.request("GET", path)
    assert (reply.status, reply.errcode) == (404, "M_UNRECOGNIZED")


async def test_api_routes_keep_precedence(api: Api) -> None:
    assert "versions" in await api.ok("GET", "/_matrix/client/versions")
    assert "m.homeserver" in await api.ok("GET", "/.well-known/matrix/client")
    unknown = await api.request("GET", "/_matrix/client/v3/no_such_endpoint")
    assert (unknown.status, unknown.errcode) == (404, "M_UNRECOGNIZED")
    wrong_method = await api.request("GET", "/_matrix/client/v3/createRoom")
    assert (wrong_method.status, wrong_method.errcode) == (405, "M_UNRECOGNIZED")
    health = await api.request("GET", "/health")
    assert health.status == 200


def _server_with(tmp: Path, engine: str, web_table: str) -> ServerProcess:
    (tmp / "data").mkdir(parents=True)
    (tmp / "data" / "chancery.toml").write_text(f"[web]\n{web_table}\n")
    return make_server(tmp, engine).start()


@pytest.fixture(scope="module", params=ENGINES)
def web_off_servers(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServerProcess, ServerProcess]]:
    """One server with [web] enabled = false, one whose build directory is empty (Node.js was missing)."""
    disabled = _server_with(tmp_path_factory.mktemp(f"web-off-{request.param}"), request.param, "enabled = false")
    empty = tmp_path_factory.mktemp("empty-dist")
    unbuilt = _server_with(
        tmp_path_factory.mktemp(f"web-unbuilt-{request.param}"), request.param, f'dist_dir = "{empty}"'
    )
    yield disabled, unbuilt
    cleanup_server(disabled)
    cleanup_server(unbuilt)


@pytest.fixture
async def off_apis(web_off_servers: tuple[ServerProcess, ServerProcess]) -> AsyncIterator[tuple[Api, Api]]:
    disabled, unbuilt = Api(web_off_servers[0].base_url), Api(web_off_servers[1].base_url)
    yield disabled, unbuilt
    await disabled.close()
    await unbuilt.close()


async def test_disabled_web_client_answers_nothing_at_the_root(off_apis: tuple[Api, Api]) -> None:
    disabled, _ = off_apis
    for path in ("/", "/config.json", "/manifest.webmanifest"):
        reply = await disabled.request("GET", path)
        assert (reply.status, reply.errcode) == (404, "M_UNRECOGNIZED"), path
    assert "versions" in await disabled.ok("GET", "/_matrix/client/versions")


async def test_an_unbuilt_client_says_so_and_the_server_still_works(off_apis: tuple[Api, Api]) -> None:
    _, unbuilt = off_apis
    async with aiohttp.ClientSession() as session, session.get(unbuilt.base_url + "/") as response:
        assert response.status == 404
        assert response.headers["Content-Type"].startswith("text/html")
        assert "web client is not built" in await response.text()
    assert "versions" in await unbuilt.ok("GET", "/_matrix/client/versions")
