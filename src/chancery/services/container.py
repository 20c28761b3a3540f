"""Every service, built once by the composition root (app.py) and handed to the HTTP layer."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from signedjson.types import SigningKey

from ..clock import Clock, Randomness
from ..config import Config
from ..http.ratelimit import RateLimiter
from ..storage import Storage
from .accounts.auth import AuthService
from .accounts.guests import GuestService
from .accounts.profile import ProfileService
from .accounts.roles import RoleService
from .accounts.service import AccountService
from .accounts.uia import UiaService
from .audit import AuditLog
from .audit.query import AuditQueryService
from .audit.requests import RequestAuditor
from .classification.clearances import ClearanceService
from .conformance.reports import ReportService
from .conformance.tokens import ShortLivedTokenService
from .conformance.voip import TurnService
from .conformance.whois import WhoisService
from .e2e.install import E2eServices
from .ephemeral import EphemeralService
from .legacy.event_stream import EventStreamService
from .legacy.initial_sync import InitialSyncService
from .media import MediaService
from .notifier import Notifier
from .push.notifications import NotificationService
from .push.pushers import PusherService
from .push.rules import PushRuleService
from .push.sender import PushSender
from .rooms.events import RoomEventService
from .rooms.reads import RoomReadService
from .rooms.room_directory import DirectoryService
from .rooms.serialize import EventSerializer
from .rooms.service import RoomService
from .rooms.timestamps import TimestampService
from .rooms.upgrade import RoomUpgradeService
from .rooms.visibility import VisibilityService
from .search import SearchService
from .sliding_sync.service import SlidingSyncService
from .spaces.hierarchy import HierarchyService
from .spaces.summary import RoomSummaryService
from .sync.service import SyncService

if TYPE_CHECKING:
    from ..web_client.assets import WebClientAssets
    from .admin import AdminServices
    from .devices import DeviceServices
    from .directory.lifecycle import LifecycleService
    from .directory.provisioning import ProvisioningService
    from .retention import RetentionServices


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
    roles: RoleService
    # The tamper-evident audit log (issue 13).
    audit: AuditLog
    request_auditor: RequestAuditor
    audit_query: AuditQueryService
    # Optional capabilities added by other modules (e2e keys, media, ...), keyed by name.
    extras: dict[str, Any] = field(default_factory=dict)
    # The media repository (issue 4), set by media.install_media.
    media: MediaService = field(init=False)
    # End-to-end encryption (issue 3), set by e2e.install_e2e.
    e2e: E2eServices = field(init=False)
    # Issue 16 conformance (guests, legacy endpoints, previews ...), set by install_conformance.
    guests: GuestService = field(init=False)
    event_stream: EventStreamService = field(init=False)
    initial_sync: InitialSyncService = field(init=False)
    upgrades: RoomUpgradeService = field(init=False)
    search: SearchService = field(init=False)
    hierarchy: HierarchyService = field(init=False)
    summaries: RoomSummaryService = field(init=False)
    timestamps: TimestampService = field(init=False)
    reports: ReportService = field(init=False)
    short_lived_tokens: ShortLivedTokenService = field(init=False)
    turn: TurnService = field(init=False)
    whois: WhoisService = field(init=False)
    # Classified rooms, clearances and device accreditation (issue 12), set by install_classification.
    classification: ClearanceService = field(init=False)
    # Pushers, /notifications and push delivery (issues 10 and 16), set by push.install.install_push.
    pushers: PusherService = field(init=False)
    notifications: NotificationService = field(init=False)
    push_sender: PushSender = field(init=False)
    # Simplified sliding sync (issue 10), set by sliding_sync.install.install_sliding_sync.
    sliding_sync: SlidingSyncService = field(init=False)
    # Device control (issue 14), set by devices.install_devices.
    devices: DeviceServices = field(init=False)
    # Retention, legal hold and spillage (issue 14), set by retention.install_retention.
    retention: RetentionServices = field(init=False)
    # The bundled web client's files (issue 15), set by web_client.assets.install_web_client.
    web_client: WebClientAssets = field(init=False)
    # The Synapse-compatible admin API (issue 11), set by admin.install_admin.
    admin: AdminServices = field(init=False)
    # The institution's directory and account lifecycle (issue 11), set by directory.install_directory.
    lifecycle: LifecycleService = field(init=False)
    provisioning: ProvisioningService = field(init=False)
