"""Media in the Synapse-compatible admin API (/_synapse/admin/v1/media..., users/{userId}/media)."""

from __future__ import annotations

from aiohttp import web

from ...errors import invalid_param, missing_param
from ...http.context import requester_of, services_of
from ...http.json_body import json_response, query_bool, query_int
from ...storage.admin_media import MEDIA_ORDER_COLUMNS, USAGE_ORDER_COLUMNS
from .params import descending, order_by, paging, path, text_filter


async def get_user_media(request: web.Request) -> web.Response:
    """GET /_synapse/admin/v1/users/{userId}/media (Synapse admin API: list media uploaded by a user)."""
    services = services_of(request)
    user_id = path(request, "user_id")
    await services.admin.users.existing(user_id)
    offset, limit = paging(request)
    order = order_by(request, MEDIA_ORDER_COLUMNS, "created_ts")
    return json_response(await services.admin.media.of_user(user_id, order, descending(request), offset, limit))


async def delete_user_media(request: web.Request) -> web.Response:
    """DELETE /_synapse/admin/v1/users/{userId}/media (Synapse admin API: delete media uploaded by a user)."""
    services = services_of(request)
    user_id = path(request, "user_id")
    await services.admin.users.existing(user_id)
    return json_response(await services.admin.media.delete_of_user(requester_of(request), user_id))


async def delete_media(request: web.Request) -> web.Response:
    """DELETE /_synapse/admin/v1/media/{serverName}/{mediaId} (Synapse admin API: delete a specific media)."""
    media = services_of(request).admin.media
    deleted = await media.delete_one(requester_of(request), path(request, "server_name"), path(request, "media_id"))
    return json_response(deleted)


async def post_delete_media_before(request: web.Request) -> web.Response:
    """POST /_synapse/admin/v1/media/{serverName}/delete (Synapse admin API: delete local media by date or size)."""
    before_ts = query_int(request, "before_ts", -1)
    if before_ts < 0:
        raise missing_param("before_ts is required")
    size_gt = query_int(request, "size_gt", 0)
    keep_profiles = query_bool(request, "keep_profiles", True)
    media = services_of(request).admin.media
    deleted = await media.delete_before(
        requester_of(request), path(request, "server_name"), before_ts, size_gt, keep_profiles
    )
    return json_response(deleted)


async def post_quarantine(request: web.Request) -> web.Response:
    """POST /_synapse/admin/v1/media/quarantine/{serverName}/{mediaId} (Synapse admin API: quarantine media)."""
    return await _quarantine(request, True)


async def post_unquarantine(request: web.Request) -> web.Response:
    """POST /_synapse/admin/v1/media/unquarantine/{serverName}/{mediaId} (Synapse admin API: remove from quarantine)."""
    return await _quarantine(request, False)


async def _quarantine(request: web.Request, quarantined: bool) -> web.Response:
    media = services_of(request).admin.media
    await media.set_quarantined(
        requester_of(request), path(request, "server_name"), path(request, "media_id"), quarantined
    )
    return json_response({})


async def post_protect(request: web.Request) -> web.Response:
    """POST /_synapse/admin/v1/media/protect/{mediaId} (Synapse admin API: protect media from quarantine)."""
    await services_of(request).admin.media.set_protected(requester_of(request), path(request, "media_id"), True)
    return json_response({})


async def post_unprotect(request: web.Request) -> web.Response:
    """POST /_synapse/admin/v1/media/unprotect/{mediaId} (Synapse admin API: unprotect media)."""
    await services_of(request).admin.media.set_protected(requester_of(request), path(request, "media_id"), False)
    return json_response({})


async def get_media_statistics(request: web.Request) -> web.Response:
    """GET /_synapse/admin/v1/statistics/users/media (Synapse admin API: users' media usage statistics)."""
    offset, limit = paging(request)
    order = order_by(request, USAGE_ORDER_COLUMNS, "user_id")
    from_ts = query_int(request, "from_ts", 0)
    until_ts = query_int(request, "until_ts", 2**53)
    if until_ts < from_ts:
        raise invalid_param("until_ts must not be before from_ts")
    media = services_of(request).admin.media
    search = text_filter(request, "search_term")
    return json_response(
        await media.usage_by_user(search, from_ts, until_ts, order, descending(request), offset, limit)
    )
