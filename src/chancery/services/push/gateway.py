"""Talking to a push gateway (push gateway API: `POST /_matrix/push/v1/notify`).

What leaves the server is decided here. By default (and always for encrypted rooms) a notification is
content-free, the `event_id_only` format: event and room IDs, the unread count, the priority and the
device. No sender, no room name, no message text reaches the gateway or the phone vendor behind it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import aiohttp
import orjson

from ...storage.pushers import Pusher, QueuedPush

log = logging.getLogger(__name__)

EVENT_ID_ONLY = "event_id_only"
ENCRYPTED = "m.room.encrypted"
_MAX_ANSWER_BYTES = 64 * 1024


@dataclass(frozen=True)
class GatewayAnswer:
    """`delivered`: the gateway took the notification. `retry`: it may take it later (down, 5xx, 429,
    timeout). Neither: it refused this notification for good. `rejected`: push keys it no longer serves."""

    delivered: bool
    retry: bool
    rejected: frozenset[str] = frozenset()


def wants_content(pusher: Pusher, include_content: bool) -> bool:
    """Whether this pusher may get more than the content-free format (the room's encryption aside)."""
    return include_content and pusher.data.get("format") != EVENT_ID_ONLY


def notification_payload(
    pusher: Pusher, queued: QueuedPush, unread: int, event: dict[str, Any] | None
) -> dict[str, Any]:
    """The `notification` object; `event` only when its content may leave the server (see wants_content)."""
    tweaks: dict[str, Any] = {"highlight": True, "sound": "default"} if queued.highlight else {}
    device: dict[str, Any] = {
        "app_id": pusher.app_id,
        "pushkey": pusher.pushkey,
        "pushkey_ts": pusher.created_ts // 1000,
        "data": {k: v for k, v in pusher.data.items() if k != "url"},
        "tweaks": tweaks,
    }
    notification: dict[str, Any] = {
        "event_id": queued.event_id,
        "room_id": queued.room_id,
        "counts": {"unread": unread} if unread else {},  # the spec: zero counts are omitted
        "prio": "high",
        "devices": [device],
    }
    if event is not None and event.get("type") != ENCRYPTED:
        notification["type"] = event["type"]
        notification["sender"] = event["sender"]
        if isinstance(event.get("content"), dict):
            notification["content"] = event["content"]
        if event["type"] == "m.room.member":
            notification["user_is_target"] = event.get("state_key") == pusher.user_id
            notification["membership"] = event["content"].get("membership")
    return notification


async def post_notification(
    session: aiohttp.ClientSession, url: str, notification: dict[str, Any], timeout_s: float
) -> GatewayAnswer:
    try:
        async with session.post(
            url,
            json={"notification": notification},
            timeout=aiohttp.ClientTimeout(total=timeout_s),
            allow_redirects=False,  # a redirect could lead past [push] gateway_hosts
        ) as reply:
            if reply.status == 200:
                return GatewayAnswer(True, False, _rejected(await reply.content.read(_MAX_ANSWER_BYTES)))
            retry = reply.status >= 500 or reply.status == 429
            log.warning("push gateway answered %d", reply.status, extra={"retry": retry})
            return GatewayAnswer(False, retry)
    except (TimeoutError, aiohttp.ClientError, OSError) as exc:
        log.warning("push gateway unreachable: %s", type(exc).__name__)
        return GatewayAnswer(False, True)


def _rejected(body: bytes) -> frozenset[str]:
    try:
        answer = orjson.loads(body)
    except orjson.JSONDecodeError:
        return frozenset()
    rejected = answer.get("rejected") if isinstance(answer, dict) else None
    if not isinstance(rejected, list):
        return frozenset()
    return frozenset(key for key in rejected if isinstance(key, str))
