"""Which media of this server an event's content points at (m.image, m.file, stickers, encrypted files)."""

from __future__ import annotations

from typing import Any

_MAX_DEPTH = 4


def local_media_ids(content: Any, server_name: str) -> set[str]:
    """Media IDs of `mxc://<server_name>/<id>` URIs under the keys clients use for attachments: `url`,
    `thumbnail_url`, and the same inside `info`, `file` and `thumbnail_file` (bounded depth)."""
    prefix = f"mxc://{server_name}/"
    found: set[str] = set()

    def visit(obj: Any, depth: int) -> None:
        if not isinstance(obj, dict) or depth > _MAX_DEPTH:
            return
        for key in ("url", "thumbnail_url"):
            value = obj.get(key)
            if isinstance(value, str) and value.startswith(prefix) and "/" not in value[len(prefix) :]:
                found.add(value[len(prefix) :])
        for key in ("info", "file", "thumbnail_file", "thumbnail_info"):
            visit(obj.get(key), depth + 1)

    visit(content, 0)
    return {media_id for media_id in found if media_id}
