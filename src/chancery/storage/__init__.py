"""Storage: one SQL implementation per area, shared by the SQLite and PostgreSQL engines."""

from __future__ import annotations

from dataclasses import dataclass

from .account import AccountStore
from .database import Database
from .ephemeral import EphemeralStore
from .events import EventStore
from .rooms import RoomStore
from .users import UserStore


@dataclass
class Storage:
    db: Database
    users: UserStore
    rooms: RoomStore
    events: EventStore
    account: AccountStore
    ephemeral: EphemeralStore

    @classmethod
    def on(cls, db: Database) -> Storage:
        return cls(
            db=db,
            users=UserStore(db),
            rooms=RoomStore(db),
            events=EventStore(db),
            account=AccountStore(db),
            ephemeral=EphemeralStore(db),
        )
