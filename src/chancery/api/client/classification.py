"""GET /_chancery/client/v1/classification: the institution's scheme and the viewer's own clearance."""

from __future__ import annotations

from aiohttp import web

from ...http.context import requester_of, services_of
from ...http.json_body import json_response


async def get_classification(request: web.Request) -> web.Response:
    """GET /_chancery/client/v1/classification (Chancery: levels ascending, caveats, default level, clearance).

    404 M_NOT_FOUND when the server has no scheme (clients then show room labels in a neutral colour)."""
    services = services_of(request)
    return json_response(await services.classification.scheme_for(requester_of(request).user_id))
