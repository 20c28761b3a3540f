"""The JSON shapes Synapse's admin API returns (and synapse-admin reads), built from Chancery's rows."""

from __future__ import annotations

from typing import Any

from ...storage.admin_media import AdminMediaRow
from ...storage.admin_users import AdminUserRow
from ...storage.registration_tokens import RegistrationToken


def user_json(user: AdminUserRow) -> dict[str, Any]:
    """A user as listed. Flags are 0/1 and creation_ts is in seconds, as Synapse has them."""
    return {
        "name": user.user_id,
        "user_type": None,
        "is_guest": int(user.is_guest),
        "admin": int(user.is_admin),
        "deactivated": int(user.deactivated),
        "erased": user.erased,
        "shadow_banned": 0,
        "displayname": user.displayname,
        "avatar_url": user.avatar_url,
        "creation_ts": user.created_ts // 1000,
        "approved": True,
        "locked": False,
        "last_seen_ts": user.last_seen_ts,
    }


def user_details_json(user: AdminUserRow) -> dict[str, Any]:
    """A single user: the listing's fields plus those Synapse adds (none of which Chancery has)."""
    return {
        **user_json(user),
        "threepids": [],
        "external_ids": [],
        "appservice_id": None,
        "consent_server_notice_sent": None,
        "consent_version": None,
        "consent_ts": None,
    }


def device_json(user_id: str, device: dict[str, Any]) -> dict[str, Any]:
    return {**device, "user_id": user_id, "last_seen_user_agent": None}


def media_json(media: AdminMediaRow) -> dict[str, Any]:
    return {
        "media_id": media.media_id,
        "media_type": media.content_type,
        "media_length": media.size or 0,
        "upload_name": media.upload_name,
        "created_ts": media.created_ts,
        "last_access_ts": media.created_ts,
        "quarantined_by": media.quarantined_by,
        "safe_from_quarantine": media.safe_from_quarantine,
    }


def registration_token_json(token: RegistrationToken) -> dict[str, Any]:
    return {
        "token": token.token,
        "uses_allowed": token.uses_allowed,
        "pending": token.pending,
        "completed": token.completed,
        "expiry_time": token.expiry_ts,
    }


def page(items: list[Any], offset: int, total: int) -> dict[str, Any]:
    """Paging fields: `total`, and `next_token` (the next page's `from`) only when there is more."""
    body: dict[str, Any] = {"total": total}
    if offset + len(items) < total:
        body["next_token"] = offset + len(items)
    return body
