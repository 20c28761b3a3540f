"""Storage: one SQL implementation per area, shared by the SQLite and PostgreSQL engines."""

from __future__ import annotations

from dataclasses import dataclass

from .account import AccountStore
from .audit import AuditStore
from .classification import ClassificationStore
from .database import Database
from .devices import DeviceControlStore
from .directory import DirectoryStore
from .e2e import DeviceListStore, E2eKeyStore
from .e2e_backup import KeyBackupStore
from .e2e_to_device import ToDeviceStore
from .ephemeral import EphemeralStore
from .events import EventStore
from .media import MediaStore
from .pushers import PusherStore
from .reports import ReportStore
from .retention import RetentionStore
from .roles import RoleStore
from .rooms import RoomStore
from .short_lived_tokens import ShortLivedTokenStore
from .users import UserStore


@dataclass
class Storage:
    db: Database
    users: UserStore
    rooms: RoomStore
    events: EventStore
    account: AccountStore
    ephemeral: EphemeralStore
    media: MediaStore
    e2e_keys: E2eKeyStore
    device_lists: DeviceListStore
    to_device: ToDeviceStore
    key_backup: KeyBackupStore
    roles: RoleStore
    reports: ReportStore
    short_lived_tokens: ShortLivedTokenStore
    classification: ClassificationStore
    pushers: PusherStore
    devices: DeviceControlStore
    retention: RetentionStore
    audit: AuditStore
    people: DirectoryStore

    @classmethod
    def on(cls, db: Database) -> Storage:
        return cls(
            db=db,
            users=UserStore(db),
            rooms=RoomStore(db),
            events=EventStore(db),
            account=AccountStore(db),
            ephemeral=EphemeralStore(db),
            media=MediaStore(db),
            e2e_keys=E2eKeyStore(db),
            device_lists=DeviceListStore(db),
            to_device=ToDeviceStore(db),
            key_backup=KeyBackupStore(db),
            roles=RoleStore(db),
            reports=ReportStore(db),
            short_lived_tokens=ShortLivedTokenStore(db),
            classification=ClassificationStore(db),
            pushers=PusherStore(db),
            devices=DeviceControlStore(db),
            retention=RetentionStore(db),
            audit=AuditStore(db),
            people=DirectoryStore(db),
        )
