"""Server-side search (client-server API: server side search)."""

from __future__ import annotations

from aiohttp import web

from ...http.context import requester_of, services_of
from ...http.json_body import json_response, read_json


async def post_search(request: web.Request) -> web.Response:
    """POST /_matrix/client/v3/search (?next_batch=...)."""
    body = await read_json(request)
    result = await services_of(request).search.search(requester_of(request), body, request.query.get("next_batch"))
    return json_response(result)
