"""Pushers: where a user's devices want their push notifications sent (client-server API: push notifications,
`GET /pushers`, `POST /pushers/set`). Only `http` pushers: e-mail notifications are not offered."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ...clock import Clock, Randomness
from ...config.push import PushConfig
from ...errors import invalid_param, missing_param
from ...storage import Storage
from ...storage.database import Connection
from ...storage.pushers import Pusher
from ..accounts.requester import Requester

GATEWAY_PATH = "/_matrix/push/v1/notify"
MAX_PUSHERS_PER_USER = 50
MAX_PUSHKEY_BYTES = 512  # the spec's limit
MAX_APP_ID_LENGTH = 64  # the spec's limit
MAX_NAME_LENGTH = 256
MAX_DATA_BYTES = 4096


@dataclass(frozen=True)
class PusherDeletion:
    app_id: str
    pushkey: str


@dataclass(frozen=True)
class PusherSettings:
    app_id: str
    pushkey: str
    app_display_name: str
    device_display_name: str
    profile_tag: str | None
    lang: str
    data: dict[str, Any]
    append: bool


def check_gateway_url(url: Any, config: PushConfig) -> None:
    """An http(s) URL ending in the push gateway API's path, on an allowed host (config `gateway_hosts`)."""
    if not isinstance(url, str):
        raise missing_param("An http pusher needs data.url")
    try:
        parts = urlsplit(url)
        host = parts.hostname
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise invalid_param("data.url is not a valid URL") from exc
    if parts.scheme not in ("http", "https") or not host or parts.username or parts.password:
        raise invalid_param("data.url must be an http or https URL without credentials")
    if not parts.path.endswith(GATEWAY_PATH) or parts.query or parts.fragment:
        raise invalid_param(f"data.url must end with {GATEWAY_PATH}")
    if config.gateway_hosts and host not in config.gateway_hosts:
        raise invalid_param("data.url names a push gateway this server does not send to")


def pusher_json(pusher: Pusher) -> dict[str, Any]:
    """A pusher as `GET /pushers` lists it."""
    shown: dict[str, Any] = {
        "pushkey": pusher.pushkey,
        "kind": pusher.kind,
        "app_id": pusher.app_id,
        "app_display_name": pusher.app_display_name,
        "device_display_name": pusher.device_display_name,
        "lang": pusher.lang,
        "data": pusher.data,
    }
    if pusher.profile_tag is not None:
        shown["profile_tag"] = pusher.profile_tag
    return shown


class PusherService:
    def __init__(self, storage: Storage, clock: Clock, randomness: Randomness, config: PushConfig) -> None:
        self.storage = storage
        self.clock = clock
        self.randomness = randomness
        self.config = config

    async def list_pushers(self, requester: Requester) -> list[dict[str, Any]]:
        return [pusher_json(p) for p in await self.storage.pushers.pushers_of(requester.user_id)]

    async def set_pusher(self, requester: Requester, change: PusherSettings | PusherDeletion) -> None:
        pushers = self.storage.pushers
        async with self.storage.db.transaction() as txn:
            if isinstance(change, PusherDeletion):
                await pushers.delete(txn, requester.user_id, change.app_id, change.pushkey)
                return
            check_gateway_url(change.data.get("url"), self.config)
            if not change.append:
                # The spec: without `append`, the push key now belongs to this user alone.
                await pushers.delete_for_other_users(txn, requester.user_id, change.app_id, change.pushkey)
            if await pushers.count_of(txn, requester.user_id) >= MAX_PUSHERS_PER_USER:
                existing = {(p.app_id, p.pushkey) for p in await pushers.pushers_of(requester.user_id)}
                if (change.app_id, change.pushkey) not in existing:
                    raise invalid_param(f"An account may have at most {MAX_PUSHERS_PER_USER} pushers")
            await pushers.upsert(txn, self._pusher(requester, change))

    def _pusher(self, requester: Requester, change: PusherSettings) -> Pusher:
        return Pusher(
            pusher_id=self.randomness.letters(24),
            user_id=requester.user_id,
            device_id=requester.device_id,
            app_id=change.app_id,
            pushkey=change.pushkey,
            kind="http",
            app_display_name=change.app_display_name,
            device_display_name=change.device_display_name,
            profile_tag=change.profile_tag,
            lang=change.lang,
            data=change.data,
            created_ts=self.clock.now_ms(),
        )

    # -- hooks: a device's pushers go with it ---------------------------------------------------------

    async def on_devices_deleted(self, txn: Connection, user_id: str, device_ids: list[str]) -> None:
        await self.storage.pushers.delete_for_devices(txn, user_id, device_ids)

    async def on_password_changed(self, user_id: str, keep_device: str | None) -> None:
        """Someone who had the old password may have set pushers from other devices: they go."""
        async with self.storage.db.transaction() as txn:
            if keep_device is None:
                await self.storage.pushers.delete_all_of(txn, user_id)
            else:
                await self.storage.pushers.delete_except_device(txn, user_id, keep_device)

    async def on_deactivated(self, txn: Connection, user_id: str) -> None:
        await self.storage.pushers.delete_all_of(txn, user_id)
