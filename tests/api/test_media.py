"""Media repository through matrix-nio and raw HTTP: upload/download, thumbnails, async upload, safety."""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
from pathlib import Path

from nio import (
    ContentRepositoryConfigResponse,
    MemoryDownloadResponse,
    ResizingMethod,
    ThumbnailResponse,
    UploadResponse,
)

from tests.api.test_media_support import (
    MEDIA,
    V1_MEDIA,
    bomb_png,
    decoded_size,
    image_bytes,
    media_id_of,
    nio_client,
)
from tests.client import Api, User
from tests.serverproc import ServerProcess


async def upload(api: Api, user: User, data: bytes, content_type: str, filename: str | None = None) -> str:
    params = {"filename": filename} if filename else None
    body = await api.ok(
        "POST", MEDIA + "/v3/upload", user, data=data, params=params, headers={"Content-Type": content_type}
    )
    return str(body["content_uri"])


async def test_upload_download_byte_for_byte_with_nio(api: Api) -> None:
    user = await api.register()
    data = os.urandom(300_000)
    client = nio_client(api.base_url, user)
    try:
        response, _ = await client.upload(
            lambda *_: data, content_type="application/octet-stream", filename="report.bin", filesize=len(data)
        )
        assert isinstance(response, UploadResponse), response
        assert response.content_uri.startswith("mxc://localhost/")
        assert len(media_id_of(response.content_uri)) >= 22  # >= 128 random bits in base64

        download = await client.download(mxc=response.content_uri)
        assert isinstance(download, MemoryDownloadResponse), download
        assert download.body == data
        assert download.filename == "report.bin"
        assert download.content_type == "application/octet-stream"

        config = await client.content_repository_config()
        assert isinstance(config, ContentRepositoryConfigResponse)
        assert config.upload_size == 50 * 1024 * 1024
    finally:
        await client.close()

    # Another local user can fetch it too; ranges work (audio/video seeking).
    other = await api.register()
    headers = {"Authorization": f"Bearer {other.token}", "Range": "bytes=1000-1999"}
    path = f"{V1_MEDIA}/download/localhost/{media_id_of(response.content_uri)}"
    async with api.session.get(api.base_url + path, headers=headers) as ranged:
        assert ranged.status == 206
        assert await ranged.read() == data[1000:2000]


async def test_thumbnails_of_png_and_jpeg_with_nio(api: Api) -> None:
    user = await api.register()
    png = await upload(api, user, image_bytes("PNG", (400, 200)), "image/png")
    jpeg = await upload(api, user, image_bytes("JPEG", (640, 480)), "image/jpeg")
    client = nio_client(api.base_url, user)
    try:
        scaled = await client.thumbnail("localhost", media_id_of(png), 100, 100, ResizingMethod.scale)
        assert isinstance(scaled, ThumbnailResponse), scaled
        assert scaled.content_type == "image/png"
        assert decoded_size(scaled.body) == (100, 50)  # fits the box, keeps the 2:1 aspect

        cropped = await client.thumbnail("localhost", media_id_of(png), 64, 64, ResizingMethod.crop)
        assert isinstance(cropped, ThumbnailResponse), cropped
        assert decoded_size(cropped.body) == (64, 64)

        jpeg_thumb = await client.thumbnail("localhost", media_id_of(jpeg), 320, 240, ResizingMethod.scale)
        assert isinstance(jpeg_thumb, ThumbnailResponse), jpeg_thumb
        assert jpeg_thumb.content_type == "image/jpeg"
        assert decoded_size(jpeg_thumb.body) == (320, 240)

        # Never upscaled: a box larger than the image gives the image's own size.
        big = await client.thumbnail("localhost", media_id_of(png), 1000, 1000, ResizingMethod.scale)
        assert isinstance(big, ThumbnailResponse)
        assert decoded_size(big.body) == (400, 200)
    finally:
        await client.close()

    # Not an allow-listed image type: no thumbnail.
    text = await upload(api, user, b"just text", "text/plain")
    reply = await api.request(
        "GET", f"{V1_MEDIA}/thumbnail/localhost/{media_id_of(text)}", user, params={"width": "32", "height": "32"}
    )
    assert reply.status == 400
    reply = await api.request(
        "GET", f"{V1_MEDIA}/thumbnail/localhost/{media_id_of(png)}", user, params={"width": "x", "height": "32"}
    )
    assert reply.errcode == "M_INVALID_PARAM"


async def test_create_then_upload(api: Api) -> None:
    alice, mallory = await api.register(), await api.register()
    created = await api.ok("POST", MEDIA + "/v1/create", alice, json={})
    mxc = created["content_uri"]
    media_id = media_id_of(mxc)
    assert created["unused_expires_at"] > 0
    download = f"{V1_MEDIA}/download/localhost/{media_id}"

    reply = await api.request("GET", download, alice, params={"timeout_ms": "200"})
    assert (reply.status, reply.errcode) == (504, "M_NOT_YET_UPLOADED")

    put = f"{MEDIA}/v3/upload/localhost/{media_id}"
    reply = await api.request("PUT", put, mallory, data=b"not yours", headers={"Content-Type": "text/plain"})
    assert (reply.status, reply.errcode) == (403, "M_FORBIDDEN")

    # A download waiting on the pending upload receives it as soon as it lands.
    waiting = asyncio.create_task(api.request("GET", download, alice, params={"timeout_ms": "10000"}))
    await asyncio.sleep(0.3)
    await api.ok("PUT", put, alice, data=b"late bytes", headers={"Content-Type": "text/plain"})
    reply = await waiting
    assert (reply.status, reply.body) == (200, "late bytes")

    reply = await api.request("PUT", put, alice, data=b"again", headers={"Content-Type": "text/plain"})
    assert (reply.status, reply.errcode) == (409, "M_CANNOT_OVERWRITE_MEDIA")

    never_created = f"{MEDIA}/v3/upload/localhost/{secrets.token_urlsafe(24)}"
    reply = await api.request("PUT", never_created, alice, data=b"x", headers={"Content-Type": "text/plain"})
    assert (reply.status, reply.errcode) == (404, "M_NOT_FOUND")


async def test_active_content_is_served_as_sandboxed_attachment(api: Api) -> None:
    user = await api.register()
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.cookie)</script></svg>'
    cases = [
        (svg, "image/svg+xml", "attachment"),
        (b"<html><script>alert(1)</script></html>", "text/html", "attachment"),
        (b"alert(1)", "application/javascript", "attachment"),
        (image_bytes("PNG", (4, 4)), "image/png", "inline"),
    ]
    for data, content_type, disposition in cases:
        mxc = await upload(api, user, data, content_type, filename='evil"; x.html')
        headers = {"Authorization": f"Bearer {user.token}"}
        async with api.session.get(
            f"{api.base_url}{V1_MEDIA}/download/localhost/{media_id_of(mxc)}", headers=headers
        ) as r:
            assert r.status == 200
            assert await r.read() == data
            assert r.headers["Content-Disposition"].startswith(disposition + ";"), (content_type, r.headers)
            # The quote in the name cannot break out of the header parameter.
            assert "filename*=utf-8''evil%22%3B%20x.html" in r.headers["Content-Disposition"]
            csp = r.headers["Content-Security-Policy"]
            assert csp.startswith("sandbox; default-src 'none'") and "script-src 'none'" in csp
            assert r.headers["X-Content-Type-Options"] == "nosniff"
            assert r.headers["Cross-Origin-Resource-Policy"] == "cross-origin"
            assert r.headers["Cache-Control"].startswith("private") and "public" not in r.headers["Cache-Control"]


async def test_bad_media_ids_and_missing_tokens(api: Api) -> None:
    user = await api.register()
    mxc = await upload(api, user, b"secret", "text/plain")
    for bad in ("..%2F..%2Fetc%2Fpasswd", "..%252F..%252Fchancery.db", "a.b", "%2E%2E"):
        reply = await api.request("GET", f"{V1_MEDIA}/download/localhost/{bad}", user)
        assert reply.status in (400, 404) and reply.errcode in ("M_INVALID_PARAM", "M_NOT_FOUND", "M_UNRECOGNIZED")
        reply = await api.request(
            "GET", f"{V1_MEDIA}/thumbnail/localhost/{bad}", user, params={"width": "8", "height": "8"}
        )
        assert reply.status in (400, 404)
    reply = await api.request("GET", f"{V1_MEDIA}/download/localhost/{secrets.token_urlsafe(24)}", user)
    assert (reply.status, reply.errcode) == (404, "M_NOT_FOUND")
    reply = await api.request("GET", f"{V1_MEDIA}/download/other.example/{media_id_of(mxc)}", user)
    assert (reply.status, reply.errcode) == (404, "M_NOT_FOUND")

    for method, path in [
        ("GET", f"{V1_MEDIA}/download/localhost/{media_id_of(mxc)}"),
        ("GET", f"{V1_MEDIA}/thumbnail/localhost/{media_id_of(mxc)}?width=8&height=8"),
        ("GET", f"{V1_MEDIA}/config"),
        ("POST", f"{MEDIA}/v3/upload"),
        ("POST", f"{MEDIA}/v1/create"),
    ]:
        reply = await api.request(method, path)
        assert (reply.status, reply.errcode) == (401, "M_MISSING_TOKEN"), path

    # The unauthenticated legacy endpoints are off by default.
    reply = await api.request("GET", f"{MEDIA}/v3/download/localhost/{media_id_of(mxc)}")
    assert (reply.status, reply.errcode) == (404, "M_UNRECOGNIZED")
    reply = await api.request("GET", f"{MEDIA}/v3/thumbnail/localhost/{media_id_of(mxc)}?width=8&height=8")
    assert (reply.status, reply.errcode) == (404, "M_UNRECOGNIZED")


async def test_decompression_bomb_gets_no_thumbnail(api: Api, server: ServerProcess) -> None:
    user = await api.register()
    bomb = bomb_png(8000, 8000)  # 64 million pixels in under 10 kB, past the 32 Mi-pixel limit
    mxc = await upload(api, user, bomb, "image/png")
    reply = await api.request(
        "GET", f"{V1_MEDIA}/thumbnail/localhost/{media_id_of(mxc)}", user, params={"width": "32", "height": "32"}
    )
    assert (reply.status, reply.errcode) == (413, "M_TOO_LARGE")
    # Nothing was cached for it either (thumbnails live under the source file's SHA-256).
    digest = hashlib.sha256(bomb).hexdigest()
    cache = Path(server.data_dir) / "media" / "thumbnails" / digest[:2] / digest[2:4] / digest
    assert (Path(server.data_dir) / "media" / "content" / digest[:2] / digest[2:4] / digest).is_file()
    assert not cache.exists() or not any(cache.iterdir())
    # A corrupt "PNG" is refused the same way, without a 500.
    broken = await upload(api, user, b"\x89PNG\r\n\x1a\n garbage", "image/png")
    reply = await api.request(
        "GET", f"{V1_MEDIA}/thumbnail/localhost/{media_id_of(broken)}", user, params={"width": "32", "height": "32"}
    )
    assert reply.status == 400


async def test_quarantine_by_administrator(api: Api, server: ServerProcess, tmp_path: Path) -> None:
    user = await api.register()
    mxc = await upload(api, user, image_bytes("PNG", (64, 64)), "image/png")
    media_id = media_id_of(mxc)
    quarantine = f"/_chancery/admin/v1/media/quarantine/localhost/{media_id}"
    reply = await api.request("POST", quarantine, user, json={})
    assert (reply.status, reply.errcode) == (403, "M_FORBIDDEN")

    password = tmp_path / "pw"
    password.write_text("admin password\n")
    name = "adm" + secrets.token_hex(4)
    server.run_cli("user", "create", name, "--password-file", str(password), "--admin")
    admin = await api.login(User(f"@{name}:localhost", "", "", "admin password"))
    await api.ok("POST", quarantine, admin, json={})

    reply = await api.request("GET", f"{V1_MEDIA}/download/localhost/{media_id}", user)
    assert (reply.status, reply.errcode) == (404, "M_NOT_FOUND")
    reply = await api.request(
        "GET", f"{V1_MEDIA}/thumbnail/localhost/{media_id}", user, params={"width": "32", "height": "32"}
    )
    assert (reply.status, reply.errcode) == (404, "M_NOT_FOUND")
    reply = await api.request(
        "POST", f"/_chancery/admin/v1/media/quarantine/localhost/{secrets.token_urlsafe(24)}", admin, json={}
    )
    assert (reply.status, reply.errcode) == (404, "M_NOT_FOUND")
