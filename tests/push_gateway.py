"""A push gateway on 127.0.0.1 for tests: records what the server posts to `/_matrix/push/v1/notify`, checks
each request against the push gateway API's schema (push_notifier.yaml) and answers as Sygnal does,
including `rejected` push keys and 5xx answers to exercise retries."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.serverproc import free_port

NOTIFY_PATH = "/_matrix/push/v1/notify"


def check_notify_request(body: Any) -> None:
    """The request schema of POST /_matrix/push/v1/notify, field by field."""
    assert isinstance(body, dict) and set(body) == {"notification"}, body
    notification = body["notification"]
    assert isinstance(notification, dict)
    for key in ("event_id", "room_id", "type", "sender", "sender_display_name", "room_name", "room_alias"):
        assert key not in notification or isinstance(notification[key], str), key
    assert notification.get("prio", "high") in ("high", "low")
    assert "content" not in notification or isinstance(notification["content"], dict)
    assert "user_is_target" not in notification or isinstance(notification["user_is_target"], bool)
    counts = notification.get("counts", {})
    assert isinstance(counts, dict)
    for key, value in counts.items():
        assert key in ("unread", "missed_calls") and isinstance(value, int) and value > 0, counts
    devices = notification["devices"]
    assert isinstance(devices, list) and devices
    for device in devices:
        assert isinstance(device["app_id"], str) and isinstance(device["pushkey"], str)
        assert isinstance(device.get("pushkey_ts", 0), int)
        assert isinstance(device.get("data", {}), dict) and isinstance(device.get("tweaks", {}), dict)


@dataclass
class PushGateway:
    port: int = field(default_factory=free_port)
    received: list[dict[str, Any]] = field(default_factory=list)
    rejected: set[str] = field(default_factory=set)  # push keys answered as `rejected`
    failures_left: int = 0  # answer this many requests with 503 first
    attempts: list[str] = field(default_factory=list)  # the event ID of every request, answered or not
    _runner: web.AppRunner | None = None
    _arrived: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}{NOTIFY_PATH}"

    async def start(self) -> PushGateway:
        app = web.Application()
        app.router.add_post(NOTIFY_PATH, self._notify)
        self._runner = web.AppRunner(app)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", self.port).start()
        return self

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def _notify(self, request: web.Request) -> web.Response:
        body = await request.json()
        check_notify_request(body)
        self.attempts.append(str(body["notification"].get("event_id")))
        if self.failures_left > 0:
            self.failures_left -= 1
            return web.json_response({"error": "try later"}, status=503)
        notification = body["notification"]
        self.received.append(notification)
        self._arrived.set()
        keys = [d["pushkey"] for d in notification["devices"] if d["pushkey"] in self.rejected]
        return web.json_response({"rejected": keys})

    async def wait_for(self, count: int, timeout: float = 10.0) -> list[dict[str, Any]]:
        """The first `count` notifications, once they have arrived."""
        async with asyncio.timeout(timeout):
            while len(self.received) < count:
                self._arrived.clear()
                await self._arrived.wait()
        return self.received[:count]

    async def wait_for_event(self, event_id: str, timeout: float = 10.0) -> dict[str, Any]:
        """The first notification about `event_id`, once it has arrived."""
        async with asyncio.timeout(timeout):
            while not self.for_event(event_id):
                self._arrived.clear()
                await self._arrived.wait()
        return self.for_event(event_id)[0]

    def for_event(self, event_id: str) -> list[dict[str, Any]]:
        return [n for n in self.received if n.get("event_id") == event_id]
