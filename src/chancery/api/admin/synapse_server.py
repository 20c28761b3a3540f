"""Server-wide parts of the Synapse-compatible admin API: version, registration tokens, event reports."""

from __future__ import annotations

from importlib import metadata

from aiohttp import web

from ...errors import missing_param, not_found
from ...http.context import requester_of, services_of
from ...http.json_body import get_str, json_response, read_json
from ...numbers import parse_decimal
from .params import descending, optional_bool, paging, path, text_filter


async def get_server_version(request: web.Request) -> web.Response:
    """GET /_synapse/admin/v1/server_version (Synapse admin API: server version).

    Public, as in Synapse: synapse-admin asks before logging in, and it says no more than /versions."""
    return json_response({"server_version": f"Chancery {metadata.version('chancery')}"})


# -- registration tokens -------------------------------------------------------------------------


async def get_registration_tokens(request: web.Request) -> web.Response:
    """GET /_synapse/admin/v1/registration_tokens (Synapse admin API: list all tokens)."""
    tokens = services_of(request).admin.registration_tokens
    return json_response(await tokens.list(optional_bool(request, "valid")))


async def get_registration_token(request: web.Request) -> web.Response:
    """GET /_synapse/admin/v1/registration_tokens/{token} (Synapse admin API: get one token)."""
    return json_response(await services_of(request).admin.registration_tokens.get(path(request, "token")))


async def post_registration_token(request: web.Request) -> web.Response:
    """POST /_synapse/admin/v1/registration_tokens/new (Synapse admin API: create token)."""
    body = await read_json(request, allow_empty=True)
    tokens = services_of(request).admin.registration_tokens
    return json_response(await tokens.create(requester_of(request), body))


async def put_registration_token(request: web.Request) -> web.Response:
    """PUT /_synapse/admin/v1/registration_tokens/{token} (Synapse admin API: update token)."""
    body = await read_json(request, allow_empty=True)
    tokens = services_of(request).admin.registration_tokens
    return json_response(await tokens.update(requester_of(request), path(request, "token"), body))


async def delete_registration_token(request: web.Request) -> web.Response:
    """DELETE /_synapse/admin/v1/registration_tokens/{token} (Synapse admin API: delete token)."""
    await services_of(request).admin.registration_tokens.delete(requester_of(request), path(request, "token"))
    return json_response({})


# -- event reports -------------------------------------------------------------------------------


async def get_event_reports(request: web.Request) -> web.Response:
    """GET /_synapse/admin/v1/event_reports (Synapse admin API: show reported events)."""
    offset, limit = paging(request)
    reports = services_of(request).admin.reports
    body = await reports.list(
        offset,
        limit,
        descending(request, default="b"),
        text_filter(request, "user_id"),
        text_filter(request, "room_id"),
    )
    return json_response(body)


def _report_id(request: web.Request) -> int:
    report_id = parse_decimal(path(request, "report_id"))
    if report_id is None or report_id >= 2**63:
        raise not_found("Event report not found")
    return report_id


async def get_event_report(request: web.Request) -> web.Response:
    """GET /_synapse/admin/v1/event_reports/{reportId} (Synapse admin API: show details of a reported event)."""
    return json_response(await services_of(request).admin.reports.get(_report_id(request)))


async def delete_event_report(request: web.Request) -> web.Response:
    """DELETE /_synapse/admin/v1/event_reports/{reportId} (Synapse admin API: delete a reported event)."""
    await services_of(request).admin.reports.delete(requester_of(request), _report_id(request))
    return json_response({})


# -- server notices ------------------------------------------------------------------------------


async def post_server_notice(request: web.Request) -> web.Response:
    """POST /_synapse/admin/v1/send_server_notice (Synapse admin API: server notices)."""
    return await _send_server_notice(request, None)


async def put_server_notice(request: web.Request) -> web.Response:
    """PUT /_synapse/admin/v1/send_server_notice/{txnId} (Synapse admin API: server notices, idempotent)."""
    return await _send_server_notice(request, path(request, "txn_id"))


async def _send_server_notice(request: web.Request, txn_id: str | None) -> web.Response:
    body = await read_json(request)
    user_id = body.get("user_id")
    if not isinstance(user_id, str):
        raise missing_param("user_id must name the user to notify")
    event_type = get_str(body, "type", max_length=255) or "m.room.message"
    state_key = get_str(body, "state_key", max_length=255)
    content = body.get("content")
    if not isinstance(content, dict):
        raise missing_param("content must be a JSON object")
    notices = services_of(request).admin.server_notices
    event_id = await notices.send(requester_of(request), user_id, event_type, content, state_key, txn_id)
    return json_response({"event_id": event_id})
