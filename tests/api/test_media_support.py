"""Images and clients shared by the media tests (no tests here; named test_media_* to sit with them)."""

from __future__ import annotations

import io
import struct
import zlib

from nio import AsyncClient, AsyncClientConfig
from PIL import Image

from tests.client import User

MEDIA = "/_matrix/media"
V1_MEDIA = "/_matrix/client/v1/media"


def nio_client(base_url: str, user: User) -> AsyncClient:
    client = AsyncClient(
        base_url, user.user_id, device_id=user.device_id, config=AsyncClientConfig(store_sync_tokens=False)
    )
    client.access_token = user.token
    client.user_id = user.user_id
    return client


def image_bytes(fmt: str, size: tuple[int, int], mode: str = "RGB") -> bytes:
    image = Image.new(mode, size, color=(200, 30, 90) if mode == "RGB" else 1)
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


def decoded_size(data: bytes) -> tuple[int, int]:
    with Image.open(io.BytesIO(data)) as image:
        return image.size


def bomb_png(width: int, height: int) -> bytes:
    """A real decompression bomb: a valid 1-bit PNG of width*height pixels that compresses to kilobytes."""
    row = b"\x00" + b"\x00" * ((width + 7) // 8)
    compressor = zlib.compressobj(9)
    parts = [compressor.compress(row) for _ in range(height)]
    parts.append(compressor.flush())

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", b"".join(parts)) + chunk(b"IEND", b"")


def media_id_of(mxc: str) -> str:
    assert mxc.startswith("mxc://")
    return mxc.rsplit("/", 1)[1]
