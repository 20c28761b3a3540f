"""Room events: send, state, redact, read (messages, context, event, relations), typing, receipts."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from aiohttp import web

from ...errors import bad_json, forbidden, invalid_param
from ...events.builder import EventDraft
from ...events.canonical import check_canonical_values
from ...events.filters import EventFilter
from ...http.context import requester_of, services_of
from ...http.json_body import (
    get_bool,
    get_int,
    get_str,
    json_response,
    query_bool,
    query_int,
    query_json,
    read_json,
)
from ...services.rooms.events import TxnKey
from .rooms import _room_id

MAX_TXN_ID = 255


def _event_content(body: dict[str, Any]) -> dict[str, Any]:
    check_canonical_values(body)
    return body


async def put_send(request: web.Request) -> web.Response:
    """PUT /_matrix/client/v3/rooms/{roomId}/send/{eventType}/{txnId} (client-server API: sending events)."""
    services = services_of(request)
    requester = requester_of(request)
    room_id = _room_id(request)
    event_type = unquote(request.match_info["event_type"])
    txn_id = unquote(request.match_info["txn_id"])
    if not event_type or len(event_type) > 255 or len(txn_id) > MAX_TXN_ID:
        raise invalid_param("Event type or transaction ID is too long")
    content = _event_content(await read_json(request))
    if event_type == "m.room.redaction":
        raise forbidden("Use the /redact endpoint to redact events")
    stored = await services.room_events.send(
        room_id,
        EventDraft(event_type, requester.user_id, content),
        TxnKey(requester.user_id, requester.device_id, txn_id),
    )
    return json_response({"event_id": stored.event_id})


async def put_redact(request: web.Request) -> web.Response:
    """PUT /_matrix/client/v3/rooms/{roomId}/redact/{eventId}/{txnId} (client-server API: redactions)."""
    services = services_of(request)
    requester = requester_of(request)
    room_id = _room_id(request)
    target = unquote(request.match_info["event_id"])
    txn_id = unquote(request.match_info["txn_id"])
    if len(txn_id) > MAX_TXN_ID:
        raise invalid_param("Transaction ID is too long")
    body = _event_content(await read_json(request, allow_empty=True))
    content = {k: v for k, v in body.items() if k == "reason"}
    stored = await services.room_events.send(
        room_id,
        EventDraft("m.room.redaction", requester.user_id, content, redacts=target),
        TxnKey(requester.user_id, requester.device_id, f"redact/{txn_id}"),
    )
    return json_response({"event_id": stored.event_id})


async def put_state(request: web.Request) -> web.Response:
    """PUT /_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey}."""
    services = services_of(request)
    requester = requester_of(request)
    room_id = _room_id(request)
    event_type = unquote(request.match_info["event_type"])
    state_key = unquote(request.match_info.get("state_key", ""))
    content = _event_content(await read_json(request))
    if event_type == "m.room.member":
        raise forbidden("Use the membership endpoints to change membership")
    if event_type == "m.room.create":
        raise forbidden("The create event cannot be replaced")
    draft = EventDraft(event_type, requester.user_id, content, state_key)
    stored = await services.room_events.send(room_id, draft, unless_unchanged=True)
    return json_response({"event_id": stored.event_id})


async def get_state(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/rooms/{roomId}/state."""
    return json_response(await services_of(request).reads.state(requester_of(request), _room_id(request)))


async def get_state_event(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/rooms/{roomId}/state/{eventType}/{stateKey} (?format=event|content)."""
    stored = await services_of(request).reads.state_event(
        requester_of(request),
        _room_id(request),
        unquote(request.match_info["event_type"]),
        unquote(request.match_info.get("state_key", "")),
    )
    if request.query.get("format") == "event":
        services = services_of(request)
        return json_response((await services.serializer.serialize([stored], requester_of(request)))[0])
    return json_response(stored.event["content"])


async def get_members(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/rooms/{roomId}/members (at, membership, not_membership)."""
    members = await services_of(request).reads.members(
        requester_of(request),
        _room_id(request),
        request.query.get("at"),
        request.query.get("membership"),
        request.query.get("not_membership"),
    )
    return json_response({"chunk": members})


async def get_joined_members(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/rooms/{roomId}/joined_members."""
    return json_response(await services_of(request).reads.joined_members(requester_of(request), _room_id(request)))


def _query_filter(request: web.Request) -> EventFilter:
    return EventFilter.parse(query_json(request, "filter"))


async def get_messages(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/rooms/{roomId}/messages (client-server API: pagination)."""
    result = await services_of(request).reads.messages(
        requester_of(request),
        _room_id(request),
        request.query.get("from"),
        request.query.get("to"),
        request.query.get("dir", "b"),
        query_int(request, "limit", 10, maximum=10_000),
        _query_filter(request),
    )
    return json_response(result)


async def get_context(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/rooms/{roomId}/context/{eventId} (client-server API: event context)."""
    result = await services_of(request).reads.context(
        requester_of(request),
        _room_id(request),
        unquote(request.match_info["event_id"]),
        query_int(request, "limit", 10, maximum=10_000),
        _query_filter(request),
    )
    return json_response(result)


async def get_event(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/rooms/{roomId}/event/{eventId}."""
    event = await services_of(request).reads.event(
        requester_of(request), _room_id(request), unquote(request.match_info["event_id"])
    )
    return json_response(event)


async def get_relations(request: web.Request) -> web.Response:
    """GET /_matrix/client/v1/rooms/{roomId}/relations/{eventId}[/{relType}[/{eventType}]]."""
    info = request.match_info
    result = await services_of(request).reads.relations(
        requester_of(request),
        _room_id(request),
        unquote(info["event_id"]),
        unquote(info["rel_type"]) if "rel_type" in info else None,
        unquote(info["event_type"]) if "event_type" in info else None,
        request.query.get("from"),
        request.query.get("to"),
        request.query.get("dir", "b"),
        query_int(request, "limit", 50, maximum=10_000),
        query_bool(request, "recurse", False),
    )
    return json_response(result)


async def get_threads(request: web.Request) -> web.Response:
    """GET /_matrix/client/v1/rooms/{roomId}/threads (client-server API: threading)."""
    result = await services_of(request).reads.threads(
        requester_of(request),
        _room_id(request),
        query_int(request, "limit", 20, maximum=10_000),
        request.query.get("from"),
    )
    return json_response(result)


async def put_typing(request: web.Request) -> web.Response:
    """PUT /_matrix/client/v3/rooms/{roomId}/typing/{userId} (client-server API: typing notifications)."""
    body = await read_json(request)
    typing = get_bool(body, "typing", False)
    if "typing" not in body:
        raise bad_json("Missing typing")
    timeout = get_int(body, "timeout", 30_000) if typing else 0
    await services_of(request).ephemeral.set_typing(
        requester_of(request), _room_id(request), unquote(request.match_info["user_id"]), typing, timeout
    )
    return json_response({})


async def post_receipt(request: web.Request) -> web.Response:
    """POST /_matrix/client/v3/rooms/{roomId}/receipt/{receiptType}/{eventId} (client-server API: receipts)."""
    body = await read_json(request, allow_empty=True)
    thread_id = get_str(body, "thread_id", max_length=255)
    await services_of(request).ephemeral.send_receipt(
        requester_of(request),
        _room_id(request),
        request.match_info["receipt_type"],
        unquote(request.match_info["event_id"]),
        thread_id if thread_id != "main" else None,
    )
    return json_response({})


async def post_read_markers(request: web.Request) -> web.Response:
    """POST /_matrix/client/v3/rooms/{roomId}/read_markers (client-server API: read markers)."""
    body = await read_json(request)
    await services_of(request).ephemeral.set_read_markers(requester_of(request), _room_id(request), body)
    return json_response({})
