"""A small raw-HTTP Matrix client that shows exact status codes and bodies: the tests' `Api` and the load
generator of bench/ (bench/loadgen.py) both speak through `HttpClient`."""

from __future__ import annotations

import json as stdjson
import secrets
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
import orjson

C = "/_matrix/client/v3"


@dataclass
class Reply:
    status: int
    body: Any

    @property
    def errcode(self) -> str | None:
        return self.body.get("errcode") if isinstance(self.body, dict) else None


@dataclass
class User:
    user_id: str
    token: str
    device_id: str
    password: str


def q(value: str) -> str:
    return quote(value, safe="")


def _encode(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:  # what orjson refuses on purpose (integers past 64 bits, NaN keys ...), tests send
        return stdjson.dumps(value).encode()


def _decode(raw: bytes) -> Any:
    if not raw:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        try:
            return stdjson.loads(raw)
        except ValueError:
            return raw.decode("utf-8", "replace")


class HttpClient:
    """One aiohttp session against one server; bodies are sent and parsed as JSON (text when not JSON)."""

    def __init__(self, base_url: str, session: aiohttp.ClientSession | None = None) -> None:
        self.base_url = base_url.rstrip("/")
        self.session = session or aiohttp.ClientSession()

    async def close(self) -> None:
        await self.session.close()

    async def call(
        self,
        method: str,
        path: str,
        token: str | None = None,
        json: Any = None,
        data: bytes | str | None = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> Reply:
        all_headers = dict(headers or {})
        if token is not None:
            all_headers["Authorization"] = f"Bearer {token}"
        if json is not None:
            data = _encode(json)
            all_headers.setdefault("Content-Type", "application/json")
        options: dict[str, Any] = {"timeout": aiohttp.ClientTimeout(total=timeout)} if timeout is not None else {}
        async with self.session.request(
            method, self.base_url + path, data=data, params=params, headers=all_headers, **options
        ) as response:
            raw = await response.read()
            return Reply(response.status, _decode(raw))


class Api(HttpClient):
    async def request(
        self,
        method: str,
        path: str,
        user: User | None = None,
        json: Any = None,
        data: bytes | str | None = None,
        params: dict[str, str] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        token = user.token if user is not None else None
        return await self.call(method, path, token, json=json, data=data, params=params, headers=headers)

    async def ok(self, method: str, path: str, user: User | None = None, **kwargs: Any) -> Any:
        reply = await self.request(method, path, user, **kwargs)
        assert reply.status == 200, (method, path, reply)
        return reply.body

    async def register(self, name: str | None = None, password: str = "correct horse") -> User:
        name = name or "u" + secrets.token_hex(6)
        body = await self.ok(
            "POST",
            C + "/register",
            json={"username": name, "password": password, "auth": {"type": "m.login.dummy"}},
        )
        return User(body["user_id"], body["access_token"], body["device_id"], password)

    async def login(self, user: User, device_id: str | None = None) -> User:
        body: dict[str, Any] = {
            "type": "m.login.password",
            "identifier": {"type": "m.id.user", "user": user.user_id},
            "password": user.password,
        }
        if device_id:
            body["device_id"] = device_id
        reply = await self.ok("POST", C + "/login", json=body)
        return User(reply["user_id"], reply["access_token"], reply["device_id"], user.password)

    async def create_room(self, user: User, **body: Any) -> str:
        return str((await self.ok("POST", C + "/createRoom", user, json=body))["room_id"])

    async def join(self, user: User, room: str) -> None:
        await self.ok("POST", f"{C}/join/{q(room)}", user, json={})

    async def send(
        self,
        user: User,
        room: str,
        body: str = "hello",
        txn: str | None = None,
        event_type: str = "m.room.message",
        content: dict[str, Any] | None = None,
    ) -> str:
        content = content if content is not None else {"msgtype": "m.text", "body": body}
        reply = await self.ok(
            "PUT", f"{C}/rooms/{q(room)}/send/{event_type}/{txn or secrets.token_hex(8)}", user, json=content
        )
        return str(reply["event_id"])

    async def sync(self, user: User, since: str | None = None, timeout: int = 0, **params: str) -> Any:
        query = {"timeout": str(timeout), **params}
        if since:
            query["since"] = since
        return await self.ok("GET", C + "/sync", user, params=query)
