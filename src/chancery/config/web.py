"""[web]: The bundled web client served at /."""

from __future__ import annotations

from dataclasses import dataclass

from .sections import Section


@dataclass(frozen=True)
class WebClientConfig(Section):
    TABLE = "web"
    TEMPLATE = """\
[web]
# Serve Chancery Web, the officials' own client, at / (built by scripts/install when Node.js 20 is present).
# Off: / and the client's files answer 404; the Matrix API is unaffected.
enabled = true
# Where the built client is; empty: the build inside the Chancery package (src/chancery/web_client/dist).
dist_dir = ""
"""

    enabled: bool = True
    dist_dir: str = ""
