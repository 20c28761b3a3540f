"""The Synapse-compatible admin API's services (issue 11), wired in by `install_admin`."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from ...storage.admin_media import AdminMediaStore
from ...storage.admin_rooms import AdminRoomStore
from ...storage.admin_users import AdminUserStore
from ...storage.content_reports import ContentReportStore
from ...storage.registration_tokens import RegistrationTokenStore
from .audit import AdminAudit
from .media import MediaAdminService
from .registration_tokens import RegistrationTokenAdminService
from .reports import ReportAdminService
from .room_deletion import RoomDeletionService
from .rooms import RoomAdminService
from .server_notices import ServerNoticeService
from .users import UserAdminService

if TYPE_CHECKING:
    from ..container import Services


@dataclass
class AdminServices:
    audit: AdminAudit
    users: UserAdminService
    rooms: RoomAdminService
    deletions: RoomDeletionService
    media: MediaAdminService
    registration_tokens: RegistrationTokenAdminService
    reports: ReportAdminService
    server_notices: ServerNoticeService


def install_admin(services: Services) -> None:
    storage, clock, server_name = services.storage, services.clock, services.config.server_name
    db = storage.db
    audit = AdminAudit(services.audit)
    user_store, room_store = AdminUserStore(db), AdminRoomStore(db)
    rooms = RoomAdminService(storage, room_store, services.serializer, audit, clock)
    services.admin = AdminServices(
        audit=audit,
        users=UserAdminService(
            storage,
            user_store,
            services.lifecycle,
            services.accounts,
            services.auth,
            services.profile,
            audit,
            server_name=server_name,
        ),
        rooms=rooms,
        deletions=RoomDeletionService(
            storage,
            room_store,
            services.rooms,
            services.room_events,
            audit,
            clock,
            services.randomness,
            server_name=server_name,
        ),
        media=MediaAdminService(storage, AdminMediaStore(db), services.media, audit, clock),
        registration_tokens=RegistrationTokenAdminService(db, RegistrationTokenStore(db), audit, clock),
        reports=ReportAdminService(db, ContentReportStore(db), room_store, audit),
        server_notices=ServerNoticeService(
            storage,
            room_store,
            services.accounts,
            services.profile,
            services.rooms,
            services.room_events,
            audit,
            services.config.server_notices,
            server_name=server_name,
        ),
    )
    services.rooms.join_checks.append(rooms.check_joinable)
