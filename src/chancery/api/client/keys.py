"""Key management and cross-signing endpoints (client-server API: end-to-end encryption)."""

from __future__ import annotations

from aiohttp import web

from ...errors import missing_param
from ...http.context import requester_of, services_of
from ...http.json_body import json_response, read_json
from ...services.sync.service import parse_token


async def post_keys_upload(request: web.Request) -> web.Response:
    """POST /_matrix/client/v3/keys/upload (key management API)."""
    body = await read_json(request)
    return json_response(await services_of(request).e2e.keys.upload(requester_of(request), body))


async def post_keys_query(request: web.Request) -> web.Response:
    """POST /_matrix/client/v3/keys/query (key management API)."""
    body = await read_json(request)
    return json_response(await services_of(request).e2e.keys.query(requester_of(request), body))


async def post_keys_claim(request: web.Request) -> web.Response:
    """POST /_matrix/client/v3/keys/claim (key management API)."""
    body = await read_json(request)
    return json_response(await services_of(request).e2e.keys.claim(requester_of(request), body))


async def get_keys_changes(request: web.Request) -> web.Response:
    """GET /_matrix/client/v3/keys/changes (key management API; tracking the device list)."""
    raw_from, raw_to = request.query.get("from"), request.query.get("to")
    if raw_from is None or raw_to is None:
        raise missing_param("from and to are required")
    after, upto = parse_token(raw_from), parse_token(raw_to)
    assert after is not None and upto is not None
    services = services_of(request)
    changed, left = await services.e2e.device_lists.changes(requester_of(request).user_id, after, upto)
    return json_response({"changed": changed, "left": left})


async def post_device_signing_upload(request: web.Request) -> web.Response:
    """POST /_matrix/client/v3/keys/device_signing/upload (cross-signing)."""
    body = await read_json(request)
    await services_of(request).e2e.cross_signing.upload_keys(requester_of(request), body)
    return json_response({})


async def post_signatures_upload(request: web.Request) -> web.Response:
    """POST /_matrix/client/v3/keys/signatures/upload (cross-signing)."""
    body = await read_json(request)
    return json_response(await services_of(request).e2e.cross_signing.upload_signatures(requester_of(request), body))
