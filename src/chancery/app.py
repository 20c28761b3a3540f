"""The composition root: config -> storage -> services -> HTTP application. No globals."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from aiohttp import web
from signedjson.types import SigningKey

from .api.routes import ALL_ROUTES
from .clock import Clock, Randomness, SystemClock, SystemRandomness
from .config import Config
from .events.signing import new_signing_key, signing_key_from_text, signing_key_to_text
from .http.client_address import ClientAddresses
from .http.context import ACCESS_LOG, CLIENT_ADDRESSES, SERVICES
from .http.middleware import matrix_errors
from .http.ratelimit import RateLimiter
from .http.routing import Route, wrap
from .services.accounts.auth import AuthService
from .services.accounts.profile import ProfileService
from .services.accounts.roles import RoleService
from .services.accounts.service import AccountService
from .services.accounts.uia import UiaService
from .services.admin import install_admin
from .services.audit import AuditLog
from .services.audit.checkpoints import AuditJobs, Checkpointer, audit_signing_key
from .services.audit.query import AuditQueryService
from .services.audit.requests import RequestAuditor
from .services.audit.room_events import RoomEventAuditor
from .services.classification.install import install_classification
from .services.container import Services
from .services.devices import install_devices
from .services.directory.install import install_directory
from .services.e2e.install import install_e2e
from .services.ephemeral import EphemeralService
from .services.install_conformance import install_conformance
from .services.media import install_media
from .services.notifier import Notifier
from .services.periodic import Periodic
from .services.push.install import install_push
from .services.push.rules import PushRuleService
from .services.retention import install_retention
from .services.rooms.events import RoomEventService
from .services.rooms.local_event_rules import check_aliases_sender_joined
from .services.rooms.reads import RoomReadService
from .services.rooms.recent_events import RecentEvents
from .services.rooms.room_directory import DirectoryService
from .services.rooms.serialize import EventSerializer
from .services.rooms.service import RoomService
from .services.rooms.state_cache import StateCache
from .services.rooms.visibility import VisibilityService
from .services.sliding_sync.install import install_sliding_sync
from .services.stream_watch import StreamWatch
from .services.sync.service import SyncService
from .storage import Storage
from .storage.database import Database, PostgresDatabase, SqliteDatabase
from .storage.migrations import apply_migrations
from .storage.pg_broadcast import PgBroadcaster
from .storage.pg_checks import check_durability
from .web_client.assets import install_web_client

log = logging.getLogger(__name__)


def load_or_create_signing_key(config: Config) -> SigningKey:
    path = config.signing_key_path
    if path.exists():
        return signing_key_from_text(path.read_text(encoding="utf-8"))
    key = new_signing_key("a_" + SystemRandomness().letters(4))
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600)
    path.write_text(signing_key_to_text(key) + "\n", encoding="utf-8")
    return key


async def open_database(config: Config) -> Database:
    if config.uses_sqlite:
        config.sqlite_path.parent.mkdir(parents=True, exist_ok=True)
        db: Database = SqliteDatabase(config.sqlite_path)
    else:
        db = await PostgresDatabase.connect(config.database)
    await apply_migrations(db)
    return db


def build_services(
    config: Config,
    db: Database,
    signing_key: SigningKey,
    clock: Clock | None = None,
    randomness: Randomness | None = None,
) -> Services:
    clock = clock or SystemClock()
    randomness = randomness or SystemRandomness()
    storage = Storage.on(db)
    notifier = Notifier()
    checkpointer = Checkpointer(
        storage, clock, config.audit, config.server_name, audit_signing_key(config.audit, config.data_dir, signing_key)
    )
    audit = AuditLog(storage, clock, checkpointer)
    state_cache = StateCache(storage.events)
    recent_events = RecentEvents(notifier)
    room_events = RoomEventService(
        storage,
        clock,
        notifier,
        state_cache,
        recent_events,
        server_name=config.server_name,
        signing_key=signing_key,
        max_event_bytes=config.max_event_bytes,
        randomness=randomness,
    )
    rooms = RoomService(
        storage, room_events, server_name=config.server_name, default_version=config.default_room_version
    )
    auth = AuthService(storage, clock, randomness, notifier, audit)
    visibility = VisibilityService(storage)
    serializer = EventSerializer(storage, clock, visibility, recent_events)
    ephemeral = EphemeralService(storage, clock, notifier, visibility)
    services = Services(
        config=config,
        storage=storage,
        clock=clock,
        randomness=randomness,
        signing_key=signing_key,
        notifier=notifier,
        rate_limiter=RateLimiter(config.rate_limits),
        auth=auth,
        uia=UiaService(storage, auth, clock, randomness),
        accounts=AccountService(storage, auth, rooms, clock, audit, server_name=config.server_name),
        room_events=room_events,
        rooms=rooms,
        reads=RoomReadService(storage, visibility, serializer),
        sync=SyncService(storage, clock, notifier, serializer, visibility, recent_events),
        ephemeral=ephemeral,
        profile=ProfileService(storage, notifier, rooms, config.access, config.directory, audit),
        push_rules=PushRuleService(storage, notifier),
        serializer=serializer,
        visibility=visibility,
        directory=DirectoryService(storage, room_events, audit, server_name=config.server_name),
        roles=RoleService(storage, clock, audit),
        audit=audit,
        request_auditor=RequestAuditor(audit, clock),
        audit_query=AuditQueryService(storage, audit),
    )
    # Capabilities that live in their own modules wire themselves in below, one line each
    # (their services, sync extensions, event checks and device-deletion hooks).
    RoomEventAuditor(audit).install(room_events.event_auditors)
    install_media(services)
    install_e2e(services)
    install_sliding_sync(services)
    install_devices(services)
    install_retention(services)
    services.room_events.event_checks.append(check_aliases_sender_joined)
    install_conformance(services)
    install_push(services)
    install_web_client(services)
    install_directory(services)
    install_classification(services)  # after the directory: it reads clearances from provisioning
    install_admin(services)
    return services


def build_web_app(services: Services, routes: list[Route] | None = None) -> web.Application:
    app = web.Application(middlewares=[matrix_errors], client_max_size=services.config.max_request_bytes)
    app[SERVICES] = services
    app[CLIENT_ADDRESSES] = ClientAddresses(services.config.http.trusted_proxies)
    app[ACCESS_LOG] = services.config.http.access_log
    for route in routes if routes is not None else ALL_ROUTES():
        handler = wrap(route)
        app.router.add_route(route.method, route.path, handler)
        if route.path.startswith("/_matrix/client/v3/"):
            # Older clients still speak r0; the endpoints are the same.
            app.router.add_route(route.method, route.path.replace("/v3/", "/r0/", 1), handler)
    return app


@dataclass
class Server:
    services: Services
    app: web.Application
    broadcaster: PgBroadcaster | None = None
    stream_watch: StreamWatch | None = None
    jobs: list[Periodic] = field(default_factory=list)

    async def close(self) -> None:
        for job in self.jobs:
            await job.close()
        await self.services.devices.activity.flush()
        self.services.ephemeral.close()
        await self.services.push_sender.close()
        if self.stream_watch is not None:
            await self.stream_watch.close()
        if self.broadcaster is not None:
            await self.broadcaster.close()
        await self.services.storage.db.close()


async def create_server(config: Config, clock: Clock | None = None) -> Server:
    config.validate()
    config.data_dir.mkdir(parents=True, exist_ok=True)
    db = await open_database(config)
    broadcaster = None
    if isinstance(db, PostgresDatabase):
        # Several processes may share this database: refuse one that loses commits, share /sync wake-ups.
        try:
            await check_durability(db, allow_unsafe=config.allow_unsafe_durability)
        except BaseException:
            await db.close()
            raise
    services = build_services(config, db, load_or_create_signing_key(config), clock)
    if isinstance(db, PostgresDatabase):
        broadcaster = PgBroadcaster(db, services.notifier)
        await broadcaster.start()
    # After the broadcaster listens: every position committed after the start is then announced here.
    stream_watch = StreamWatch(db, services.notifier)
    await stream_watch.start()
    await services.push_sender.start()
    jobs = (
        AuditJobs(services.audit, config.audit).background_jobs()
        + services.devices.background_jobs()
        + services.retention.background_jobs()
        + services.classification.background_jobs()
    )
    for job in jobs:
        job.start()
    return Server(services, build_web_app(services), broadcaster, stream_watch, jobs)
