"""Every service, built once by the composition root (app.py) and handed to the HTTP layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from signedjson.types import SigningKey

from ..clock import Clock, Randomness
from ..config import Config
from ..http.ratelimit import RateLimiter
from ..storage import Storage
from .accounts import AccountService
from .auth import AuthService
from .directory import DirectoryService
from .e2e import E2eServices
from .ephemeral import EphemeralService
from .media import MediaService
from .notifier import Notifier
from .profile import ProfileService
from .push_rules import PushRuleService
from .room_events import RoomEventService
from .room_reads import RoomReadService
from .rooms import RoomService
from .serialize import EventSerializer
from .sync import SyncService
from .uia import UiaService
from .visibility import VisibilityService


@dataclass
class Services:
    config: Config
    storage: Storage
    clock: Clock
    randomness: Randomness
    signing_key: SigningKey
    notifier: Notifier
    rate_limiter: RateLimiter
    auth: AuthService
    uia: UiaService
    accounts: AccountService
    room_events: RoomEventService
    rooms: RoomService
    reads: RoomReadService
    sync: SyncService
    ephemeral: EphemeralService
    profile: ProfileService
    push_rules: PushRuleService
    serializer: EventSerializer
    visibility: VisibilityService
    directory: DirectoryService
    # Optional capabilities added by other modules (e2e keys, media, ...), keyed by name.
    extras: dict[str, Any] = field(default_factory=dict)
    # The media repository (issue 4), set by media.install_media.
    media: MediaService = field(init=False)
    # End-to-end encryption (issue 3), set by e2e.install_e2e.
    e2e: E2eServices = field(init=False)
