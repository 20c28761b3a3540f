"""Media limits on a server of our own (small upload limit and quota, legacy endpoints on), and purge."""

from __future__ import annotations

import os
import secrets
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import aiohttp
import pytest

from tests.api.test_media_support import MEDIA, V1_MEDIA, media_id_of
from tests.client import Api, User
from tests.conftest import ENGINES, cleanup_server, make_server
from tests.serverproc import ServerProcess

MAX_UPLOAD = 1024 * 1024
QUOTA = 3 * 1024 * 1024


@pytest.fixture(scope="module", params=ENGINES)
def small_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    tmp = tmp_path_factory.mktemp(f"media-{request.param}")
    (tmp / "data").mkdir()
    (tmp / "data" / "chancery.toml").write_text(
        f"[media]\nmax_upload_bytes = {MAX_UPLOAD}\nmedia_quota_bytes = {QUOTA}\nlegacy_media_endpoints = true\n"
    )
    proc = make_server(tmp, request.param, "--open-registration", "--no-rate-limits")
    proc.start()
    yield proc
    cleanup_server(proc)


@pytest.fixture
async def small(small_server: ServerProcess) -> AsyncIterator[Api]:
    client = Api(small_server.base_url)
    yield client
    await client.close()


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


class RssSampler:
    """The highest resident set size of a process while it runs (VmHWM is useless: start-up peaks hide it)."""

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = rss_kib(pid)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, rss_kib(self.pid))

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()


async def upload(api: Api, user: User, data: bytes) -> str:
    body = await api.ok(
        "POST", MEDIA + "/v3/upload", user, data=data, headers={"Content-Type": "application/octet-stream"}
    )
    return str(body["content_uri"])


async def test_oversized_upload_refused_without_buffering(small: Api, small_server: ServerProcess) -> None:
    user = await small.register()
    assert (await small.ok("GET", V1_MEDIA + "/config", user))["m.upload.size"] == MAX_UPLOAD

    # Declared too large: refused from Content-Length before the body is read.
    reply = await small.request("POST", MEDIA + "/v3/upload", user, data=b"x" * (MAX_UPLOAD + 1))
    assert (reply.status, reply.errcode) == (413, "M_TOO_LARGE")

    # Streamed without a length (chunked): refused while streaming; the server's peak memory stays flat.
    assert small_server.proc is not None
    pid = small_server.proc.pid
    before = rss_kib(pid)
    chunk = os.urandom(1024 * 1024)

    async def sixty_megabytes() -> AsyncIterator[bytes]:
        for _ in range(60):
            yield chunk

    headers = {"Authorization": f"Bearer {user.token}", "Content-Type": "application/octet-stream"}
    with RssSampler(pid) as sampler:
        try:
            async with small.session.post(
                small.base_url + MEDIA + "/v3/upload", data=sixty_megabytes(), headers=headers
            ) as response:
                assert response.status == 413
                assert (await response.json())["errcode"] == "M_TOO_LARGE"
        except aiohttp.ClientError:
            pass  # the server may close the connection on the rest of the body; the check below still holds
    grown_mib = (sampler.peak - before) / 1024
    assert grown_mib < 20, f"server RSS grew by {grown_mib:.1f} MiB for a 60 MiB refused upload"
    # Nothing of it was kept.
    tmp_dir = small_server.data_dir / "media" / "tmp"
    assert not any(tmp_dir.iterdir())
    # A body just under the limit still goes through.
    await upload(small, user, os.urandom(MAX_UPLOAD))


async def test_quota_per_user(small: Api) -> None:
    user, other = await small.register(), await small.register()
    for _ in range(3):
        await upload(small, user, os.urandom(1000 * 1000))
    reply = await small.request(
        "POST", MEDIA + "/v3/upload", user, data=os.urandom(500_000), headers={"Content-Type": "text/plain"}
    )
    assert (reply.status, reply.errcode) == (403, "M_FORBIDDEN")
    # Quota is per user.
    await upload(small, other, os.urandom(500_000))


async def test_legacy_endpoints_when_switched_on(small: Api) -> None:
    user = await small.register()
    mxc = await upload(small, user, b"legacy bytes")
    reply = await small.request("GET", f"{MEDIA}/v3/download/localhost/{media_id_of(mxc)}/name.txt")
    assert (reply.status, reply.body) == (200, "legacy bytes")


async def test_purge_older_than(small: Api, small_server: ServerProcess) -> None:
    user = await small.register()
    data = secrets.token_hex(1000).encode()  # text, so the raw client can show it
    mxc = await upload(small, user, data)
    media_id = media_id_of(mxc)
    download = f"{V1_MEDIA}/download/localhost/{media_id}"
    files = small_server.data_dir / "media" / "content"
    assert any(path.is_file() for path in files.rglob("*"))

    kept = small_server.run_cli("media", "purge", "--older-than", "1")
    assert media_id not in kept
    assert (await small.request("GET", download, user)).status == 200

    time.sleep(0.01)
    out = small_server.run_cli("media", "purge", "--older-than", "0")
    assert f"mxc://localhost/{media_id}" in out
    reply = await small.request("GET", download, user)
    assert (reply.status, reply.errcode) == (404, "M_NOT_FOUND")
    assert not any(path.is_file() for path in files.rglob("*"))
