"""Media through the Synapse-compatible admin API: a user's uploads, deletion, quarantine and protection."""

from __future__ import annotations

from typing import Any

from ...clock import Clock
from ...errors import invalid_param, not_found
from ...policy.legal_hold import may_delete_media
from ...storage import Storage
from ...storage.admin_media import AdminMediaRow, AdminMediaStore
from ..accounts.requester import Requester
from ..media import MediaService
from .audit import AdminAudit
from .shapes import media_json, page


class MediaAdminService:
    def __init__(
        self, storage: Storage, store: AdminMediaStore, media: MediaService, audit: AdminAudit, clock: Clock
    ) -> None:
        self.storage = storage
        self.store = store
        self.media = media
        self.audit = audit
        self.clock = clock

    async def _local(self, server_name: str, media_id: str) -> AdminMediaRow:
        if server_name != self.media.server_name:
            raise invalid_param("Only media of this server can be managed here")
        found = await self.store.get(media_id)
        if found is None:
            raise not_found("Media not found")
        return found

    async def of_user(self, user_id: str, order_by: str, descending: bool, offset: int, limit: int) -> dict[str, Any]:
        media, total = await self.store.of_uploader(user_id, order_by, descending, offset, limit)
        return {"media": [media_json(m) for m in media], **page(media, offset, total)}

    async def usage_by_user(
        self, search: str | None, from_ts: int, until_ts: int, order_by: str, descending: bool, offset: int, limit: int
    ) -> dict[str, Any]:
        """GET v1/statistics/users/media: how much each user uploaded (created between from_ts and until_ts)."""
        rows, total = await self.store.usage_by_uploader(search, from_ts, until_ts, order_by, descending, offset, limit)
        users = [
            {"user_id": r[0], "displayname": r[1], "media_count": int(r[2]), "media_length": int(r[3])} for r in rows
        ]
        return {"users": users, **page(users, offset, total)}

    # -- deletion -----------------------------------------------------------------------------------

    async def delete_of_user(self, admin: Requester, user_id: str) -> dict[str, Any]:
        return await self._delete(admin, await self.store.ids_of_uploader(user_id), {"uploader": user_id})

    async def delete_one(self, admin: Requester, server_name: str, media_id: str) -> dict[str, Any]:
        await self._local(server_name, media_id)
        return await self._delete(admin, [media_id], {})

    async def delete_before(
        self, admin: Requester, server_name: str, before_ts: int, size_gt: int, keep_profiles: bool
    ) -> dict[str, Any]:
        """Media created before `before_ts` (ms; access times are not tracked) and larger than `size_gt`;
        with `keep_profiles`, not what is a user's or a room's avatar. Protected media stays."""
        if server_name != self.media.server_name:
            raise invalid_param("Only media of this server can be managed here")
        if before_ts > self.clock.now_ms():
            raise invalid_param("before_ts must not be in the future")
        media_ids = await self.store.ids_before(before_ts, size_gt)
        if keep_profiles:
            avatars = await self._avatar_media_ids()
            media_ids = [m for m in media_ids if m not in avatars]
        return await self._delete(admin, media_ids, {"before_ts": before_ts, "size_gt": size_gt})

    async def _avatar_media_ids(self) -> set[str]:
        prefix = f"mxc://{self.media.server_name}/"
        urls = await self.store.avatar_urls()
        return {url[len(prefix) :] for url in urls if url.startswith(prefix)}

    async def _delete(self, admin: Requester, media_ids: list[str], details: dict[str, Any]) -> dict[str, Any]:
        started_s = self.clock.now_ms() / 1000
        async with self.storage.db.transaction() as txn:
            decision = may_delete_media(await self.store.held_uploaders(txn, media_ids))
            if not decision:
                raise decision.as_denial("media.delete", "media", details)
            deleted = await self.store.delete(txn, media_ids)
            if deleted:
                ids = [media_id for media_id, _ in deleted]
                await self.audit.record(txn, admin, "media.delete", "media", {**details, "media_ids": ids})
        for sha256 in {sha for _, sha in deleted if sha is not None}:
            if not await self.storage.media.is_content_referenced(sha256):
                # A file uploaded again while this ran was touched by that upload: it stays.
                self.media.disk.delete_content(sha256, not_modified_since=started_s)
        return {"deleted_media": [media_id for media_id, _ in deleted], "total": len(deleted)}

    # -- quarantine and protection ------------------------------------------------------------------

    async def set_quarantined(self, admin: Requester, server_name: str, media_id: str, quarantined: bool) -> None:
        media = await self._local(server_name, media_id)
        if quarantined and media.safe_from_quarantine:
            raise invalid_param("This media is protected from quarantine")
        async with self.storage.db.transaction() as txn:
            await self.store.set_quarantined(txn, media_id, admin.user_id if quarantined else None)
            action = "media.quarantine" if quarantined else "media.unquarantine"
            await self.audit.record(txn, admin, action, f"mxc://{server_name}/{media_id}")

    async def set_protected(self, admin: Requester, media_id: str, protected: bool) -> None:
        await self._local(self.media.server_name, media_id)
        async with self.storage.db.transaction() as txn:
            await self.store.set_protected(txn, media_id, protected)
            action = "media.protect" if protected else "media.unprotect"
            await self.audit.record(txn, admin, action, self.media.mxc(media_id))
