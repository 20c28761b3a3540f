"""Configuration: a commented TOML file in the data directory, overridable from the command line."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from ..events.identifiers import is_valid_server_name
from ..events.room_versions import DEFAULT_ROOM_VERSION, ROOM_VERSIONS
from .access import AccessConfig
from .audit import AuditConfig
from .classification import ClassificationConfig
from .devices import DeviceConfig
from .directory import DirectoryConfig
from .http import HttpConfig
from .push import PushConfig
from .retention import RetentionConfig
from .sections import ConfigError, Section
from .server_notices import ServerNoticesConfig
from .support import SupportConfig
from .turn import TurnConfig
from .web import WebClientConfig

CONFIG_FILE_NAME = "chancery.toml"

CONFIG_TEMPLATE = """\
# Chancery homeserver configuration.
# Every setting has a safe default; uncomment a line to change it.

# The name users and rooms carry after the colon (@alice:{server_name}). It cannot change later.
server_name = "{server_name}"

# Where the HTTP listener binds. Put a TLS-terminating reverse proxy in front of it in production.
listen = "{listen}"

# The URL clients use to reach this server (advertised in /.well-known/matrix/client).
public_baseurl = "{public_baseurl}"

# "sqlite" keeps everything in the data directory; "postgresql://user@host/db" scales out
# (several server processes may share one PostgreSQL database; see docs/operations.md).
database = "{database}"

# PostgreSQL only: the server refuses to start on a database that may lose acknowledged commits
# (fsync = off or synchronous_commit = off). true accepts that risk: for throwaway test systems only.
allow_unsafe_durability = false

# Room version of new rooms ("1" to "12").
default_room_version = "{default_room_version}"

[registration]
# Registration is closed: administrators create accounts (chancery user create) or hand out
# registration tokens (chancery registration-token create). Open registration is for development only.
open = false

[rate_limits]
# Login and registration attempts are rate limited per client address and per account.
enabled = true

[limits]
# The largest event a client may send, in bytes of canonical JSON (the Matrix limit).
max_event_bytes = 65536
# The largest JSON request body, in bytes.
max_request_bytes = 1048576

[media]
# The largest file a user may upload, in bytes (50 MiB).
max_upload_bytes = 52428800
# How much media one user may store in total, in bytes (1 GiB).
media_quota_bytes = 1073741824
# The deprecated unauthenticated /_matrix/media/v3/download and /thumbnail endpoints. Off: anyone
# holding an mxc:// URI could fetch the file without an account.
legacy_media_endpoints = false
# Thumbnails are made only from JPEG, PNG, GIF and WebP images no larger than this many pixels
# (decompression-bomb guard), with at most this many animation frames, within this many seconds.
thumbnail_max_pixels = 33554432
thumbnail_max_frames = 64
thumbnail_timeout_seconds = 10.0
"""


@dataclass(frozen=True)
class Config:
    server_name: str = "localhost"
    listen: str = "127.0.0.1:8008"
    public_baseurl: str = "http://127.0.0.1:8008/"
    database: str = "sqlite"
    data_dir: Path = field(default_factory=lambda: Path("chancery-data"))
    default_room_version: str = DEFAULT_ROOM_VERSION
    open_registration: bool = False
    rate_limits: bool = True
    max_event_bytes: int = 65536
    max_request_bytes: int = 1_048_576
    workers: int = 1
    allow_unsafe_durability: bool = False
    max_upload_bytes: int = 50 * 1024 * 1024
    media_quota_bytes: int = 1024 * 1024 * 1024
    legacy_media_endpoints: bool = False
    thumbnail_max_pixels: int = 32 * 1024 * 1024
    thumbnail_max_frames: int = 64
    thumbnail_timeout_seconds: float = 10.0
    # Sections: one [table] each, parsed from their own module's dataclass.
    http: HttpConfig = field(default_factory=HttpConfig)
    access: AccessConfig = field(default_factory=AccessConfig)
    turn: TurnConfig = field(default_factory=TurnConfig)
    audit: AuditConfig = field(default_factory=AuditConfig)
    directory: DirectoryConfig = field(default_factory=DirectoryConfig)
    classification: ClassificationConfig = field(default_factory=ClassificationConfig)
    retention: RetentionConfig = field(default_factory=RetentionConfig)
    devices: DeviceConfig = field(default_factory=DeviceConfig)
    push: PushConfig = field(default_factory=PushConfig)
    web: WebClientConfig = field(default_factory=WebClientConfig)
    support: SupportConfig = field(default_factory=SupportConfig)
    server_notices: ServerNoticesConfig = field(default_factory=ServerNoticesConfig)

    def sections(self) -> dict[str, Section]:
        """Every [table] section by its table name."""
        found = {}
        for item in fields(self):
            value = getattr(self, item.name)
            if isinstance(value, Section):
                found[value.TABLE] = value
        return found

    @property
    def host(self) -> str:
        return self.listen.rsplit(":", 1)[0].strip("[]")

    @property
    def port(self) -> int:
        return int(self.listen.rsplit(":", 1)[1])

    @property
    def uses_sqlite(self) -> bool:
        return self.database == "sqlite" or self.database.startswith("sqlite:")

    @property
    def sqlite_path(self) -> Path:
        if self.database.startswith("sqlite:"):
            return Path(self.database.removeprefix("sqlite:"))
        return self.data_dir / "chancery.db"

    @property
    def signing_key_path(self) -> Path:
        return self.data_dir / "signing.key"

    def validate(self) -> None:
        if not is_valid_server_name(self.server_name):
            raise ValueError(f"server_name {self.server_name!r} is not a valid Matrix server name")
        if self.default_room_version not in ROOM_VERSIONS:
            raise ValueError(f"default_room_version must be one of {sorted(ROOM_VERSIONS)}")
        if not (self.uses_sqlite or self.database.startswith(("postgresql://", "postgres://"))):
            raise ValueError("database must be 'sqlite', 'sqlite:PATH' or a postgresql:// URL")
        if ":" not in self.listen:
            raise ValueError("listen must be HOST:PORT")


def render_template(config: Config) -> str:
    section_texts = [section.TEMPLATE for section in config.sections().values() if section.TEMPLATE]
    return "\n".join([_render_core(config), *section_texts])


def _render_core(config: Config) -> str:
    return CONFIG_TEMPLATE.format(
        server_name=config.server_name,
        listen=config.listen,
        public_baseurl=config.public_baseurl,
        database=config.database,
        default_room_version=config.default_room_version,
    )


_CORE_KEYS = frozenset(
    {
        "server_name",
        "listen",
        "public_baseurl",
        "database",
        "default_room_version",
        "allow_unsafe_durability",
        "registration",
        "rate_limits",
        "limits",
        "media",
    }
)


def load_config_file(path: Path, base: Config) -> Config:
    raw: dict[str, Any] = tomllib.loads(path.read_text(encoding="utf-8"))
    updates: dict[str, Any] = {}
    for item in fields(base):
        value = getattr(base, item.name)
        if isinstance(value, Section) and value.TABLE in raw:
            updates[item.name] = type(value).from_table(raw[value.TABLE])
    known = _CORE_KEYS | set(base.sections())
    unknown = sorted(set(raw) - known)
    if unknown:
        raise ConfigError(f"{path} has unknown settings: {', '.join(unknown)}")
    for key in ("server_name", "listen", "public_baseurl", "database", "default_room_version"):
        if key in raw:
            updates[key] = str(raw[key])
    if "allow_unsafe_durability" in raw:
        updates["allow_unsafe_durability"] = bool(raw["allow_unsafe_durability"])
    if "open" in raw.get("registration", {}):
        updates["open_registration"] = bool(raw["registration"]["open"])
    if "enabled" in raw.get("rate_limits", {}):
        updates["rate_limits"] = bool(raw["rate_limits"]["enabled"])
    limits = raw.get("limits", {})
    for key in ("max_event_bytes", "max_request_bytes"):
        if key in limits:
            updates[key] = int(limits[key])
    media = raw.get("media", {})
    for key in ("max_upload_bytes", "media_quota_bytes", "thumbnail_max_pixels", "thumbnail_max_frames"):
        if key in media:
            updates[key] = int(media[key])
    if "legacy_media_endpoints" in media:
        updates["legacy_media_endpoints"] = bool(media["legacy_media_endpoints"])
    if "thumbnail_timeout_seconds" in media:
        updates["thumbnail_timeout_seconds"] = float(media["thumbnail_timeout_seconds"])
    return replace(base, **updates)
