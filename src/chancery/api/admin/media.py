"""Administration of the media repository."""

from __future__ import annotations

from aiohttp import web

from ...http.context import requester_of, services_of
from ...http.json_body import json_response


async def post_quarantine(request: web.Request) -> web.Response:
    """POST /_chancery/admin/v1/media/quarantine/{serverName}/{mediaId}: never serve this media again."""
    await services_of(request).media.do_quarantine(
        requester_of(request).user_id, request.match_info["server_name"], request.match_info["media_id"]
    )
    return json_response({})
