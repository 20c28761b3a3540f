"""Headers that make served media harmless in a browser (client-server API: content repository security).

A user chooses both the bytes and the declared content type of an upload, so the server must assume
an upload is hostile HTML or script: it is served under a sandboxing Content-Security-Policy, with
sniffing off, and as an attachment unless its type is one a browser only ever renders passively.
"""

from __future__ import annotations

import re
from urllib.parse import quote

CONTENT_SECURITY_POLICY = (
    "sandbox; default-src 'none'; script-src 'none'; plugin-types application/pdf; "
    "style-src 'unsafe-inline'; media-src 'self'; object-src 'self';"
)
# Private: media is only for authenticated users, so no shared cache may keep it. Immutable: the bytes
# behind an mxc:// URI never change.
CACHE_CONTROL = "private, max-age=86400, immutable"

SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Cross-Origin-Resource-Policy": "cross-origin",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": CACHE_CONTROL,
}

# The spec's list of types safe to serve inline ("Serving inline content"); everything else, notably
# HTML, SVG, XML and JavaScript, goes out as an attachment.
INLINE_SAFE_TYPES = frozenset(
    {
        "text/css",
        "text/plain",
        "text/csv",
        "application/json",
        "application/ld+json",
        "image/jpeg",
        "image/gif",
        "image/png",
        "image/apng",
        "image/webp",
        "image/avif",
        "video/mp4",
        "video/webm",
        "video/ogg",
        "video/quicktime",
        "audio/mp4",
        "audio/webm",
        "audio/aac",
        "audio/mpeg",
        "audio/ogg",
        "audio/wave",
        "audio/wav",
        "audio/x-wav",
        "audio/x-pn-wav",
        "audio/flac",
        "audio/x-flac",
    }
)

_TOKEN = r"[A-Za-z0-9!#$&^_.+-]{1,127}"
_MIME = re.compile(rf"^({_TOKEN})/({_TOKEN})$")
_CHARSET = re.compile(r"^charset=\"?([A-Za-z0-9_.:-]{1,40})\"?$", re.IGNORECASE)
FALLBACK_TYPE = "application/octet-stream"
_MAX_FILENAME = 255


def clean_content_type(declared: str | None) -> str:
    """The declared type reduced to `type/subtype` (plus a charset), or application/octet-stream."""
    if not declared:
        return FALLBACK_TYPE
    essence, _, params = declared.partition(";")
    match = _MIME.match(essence.strip())
    if match is None:
        return FALLBACK_TYPE
    mime = essence.strip().lower()
    for param in params.split(";"):
        charset = _CHARSET.match(param.strip())
        if charset is not None and mime.startswith("text/"):
            return f"{mime}; charset={charset.group(1).lower()}"
    return mime


def essence_of(content_type: str) -> str:
    return content_type.partition(";")[0].strip().lower()


def is_inline_safe(content_type: str) -> bool:
    return essence_of(content_type) in INLINE_SAFE_TYPES


def clean_filename(name: str | None) -> str | None:
    """A file name fit for a header: no control characters, no path, bounded length; None if nothing is left."""
    if name is None:
        return None
    name = "".join(ch for ch in name if ch.isprintable())
    name = name.replace("/", "_").replace("\\", "_").strip()
    if not name or name in (".", ".."):
        return None
    return name[:_MAX_FILENAME]


def _is_plain_ascii(name: str) -> bool:
    return all(0x20 <= ord(ch) < 0x7F for ch in name) and '"' not in name and "\\" not in name and ";" not in name


def content_disposition(content_type: str, filename: str | None) -> str:
    """`inline` or `attachment` by type, with the file name per RFC 6266 (filename*=utf-8''... when not ASCII)."""
    disposition = "inline" if is_inline_safe(content_type) else "attachment"
    name = clean_filename(filename)
    if name is None:
        return disposition
    if _is_plain_ascii(name):
        return f'{disposition}; filename="{name}"'
    return f"{disposition}; filename*=utf-8''{quote(name, safe='')}"
