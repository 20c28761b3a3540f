"""The built web client's files, indexed once at start: which may be served, as which type, cached how.

Only files found in the build directory at start are ever served (a request names an entry of that index,
never a path on disk), so no request can reach outside the build. Vite names the files under assets/ by
their content hash: they never change, so browsers may keep them for a year; everything else (the page,
the manifest, the icons) is revalidated on each load so that an upgrade reaches every browser at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from ..services.container import Services

DIST_DIR = Path(__file__).parent / "dist"
INDEX = "index.html"

# Explicit types: the system's mimetypes table varies between machines (and .wasm must be application/wasm
# for WebAssembly.instantiateStreaming, .mjs/.js text/javascript for module scripts under nosniff).
CONTENT_TYPES = MappingProxyType(
    {
        ".html": "text/html; charset=utf-8",
        ".js": "text/javascript; charset=utf-8",
        ".mjs": "text/javascript; charset=utf-8",
        ".css": "text/css; charset=utf-8",
        ".json": "application/json",
        ".webmanifest": "application/manifest+json",
        ".wasm": "application/wasm",
        ".svg": "image/svg+xml",
        ".png": "image/png",
        ".ico": "image/x-icon",
        ".woff2": "font/woff2",
        ".txt": "text/plain; charset=utf-8",
    }
)
IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"
# Precompressed siblings (made by the build) are picked by aiohttp's FileResponse, never served by name.
_COMPRESSED_SUFFIXES = (".gz", ".br")


@dataclass(frozen=True)
class Asset:
    path: Path
    content_type: str
    cache_control: str


class WebClientAssets:
    """The index of a build directory (empty when the client is not built)."""

    def __init__(self, dist: Path | None, public_baseurl: str) -> None:
        self.csp = content_security_policy(public_baseurl)
        self._files: dict[str, Asset] = {}
        if dist is not None and dist.is_dir():
            for path in sorted(dist.rglob("*")):
                if path.is_file() and path.suffix not in _COMPRESSED_SUFFIXES and path.suffix in CONTENT_TYPES:
                    relative = path.relative_to(dist).as_posix()
                    cache = IMMUTABLE if relative.startswith("assets/") else REVALIDATE
                    self._files[relative] = Asset(path, CONTENT_TYPES[path.suffix], cache)

    @property
    def built(self) -> bool:
        return INDEX in self._files

    def lookup(self, relative: str) -> Asset | None:
        return self._files.get(relative)


def content_security_policy(public_baseurl: str) -> str:
    """A strict policy under which the client still runs: its own scripts and WebAssembly, no inline code,
    network access only to this server (and to the advertised base URL when that is another origin), media
    previews from blob: URLs the client makes after decrypting, and no framing by other sites."""
    connect = ["'self'"]
    parts = urlsplit(public_baseurl)
    if parts.scheme in ("http", "https") and parts.netloc:
        connect.append(f"{parts.scheme}://{parts.netloc}")
    directives = {
        "default-src": "'none'",
        "script-src": "'self' 'wasm-unsafe-eval'",
        "style-src": "'self'",
        "img-src": "'self' blob: data:",
        "media-src": "'self' blob:",
        "font-src": "'self'",
        "connect-src": " ".join(connect),
        "worker-src": "'self' blob:",
        "manifest-src": "'self'",
        "base-uri": "'none'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
        "object-src": "'none'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def install_web_client(services: Services) -> None:
    """Index the built client once (called from app.build_services); nothing when [web] enabled = false."""
    config = services.config
    dist = Path(config.web.dist_dir) if config.web.dist_dir else DIST_DIR
    services.web_client = WebClientAssets(dist if config.web.enabled else None, config.public_baseurl)
