"""Send-to-device endpoint (client-server API: send-to-device messaging)."""

from __future__ import annotations

from aiohttp import web

from ...http.context import requester_of, services_of
from ...http.json_body import json_response, read_json


async def put_send_to_device(request: web.Request) -> web.Response:
    """PUT /_matrix/client/v3/sendToDevice/{eventType}/{txnId} (send-to-device messaging)."""
    body = await read_json(request)
    info = request.match_info
    await services_of(request).e2e.to_device.send(requester_of(request), info["event_type"], info["txn_id"], body)
    return json_response({})
