"""Content repository endpoints (client-server API: content repository, v1.11 authenticated media).

Uploads stream from the request body to disk in chunks; downloads stream from disk (with Range
support) under the headers in media/headers.py.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from ...errors import missing_param, unrecognized
from ...http.context import REQUESTER_KEY, optional_requester_of, requester_of, services_of
from ...http.json_body import json_response, query_bool, query_int
from ...media.headers import SECURITY_HEADERS, content_disposition
from ...media.thumbnailer import ThumbnailSpec

_CHUNK = 64 * 1024
DEFAULT_TIMEOUT_MS = 20_000
MAX_THUMBNAIL_QUERY = 1_000_000


async def _body_chunks(request: web.Request) -> AsyncIterator[bytes]:
    # Never the whole body in memory: the service stops reading once the size limit is passed.
    async for chunk in request.content.iter_chunked(_CHUNK):
        yield chunk


def _serve(path: Path, content_type: str, disposition: str) -> web.FileResponse:
    response = web.FileResponse(path, chunk_size=256 * 1024)
    response.headers["Content-Type"] = content_type
    response.headers["Content-Disposition"] = disposition
    response.headers.update(SECURITY_HEADERS)
    return response


async def post_upload(request: web.Request) -> web.Response:
    """POST /_matrix/media/v3/upload (client-server API: content repository, upload)."""
    media = services_of(request).media
    mxc = await media.do_upload(
        requester_of(request).user_id,
        _body_chunks(request),
        request.headers.get("Content-Type"),
        request.query.get("filename"),
        request.content_length,
    )
    return json_response({"content_uri": mxc})


async def post_create(request: web.Request) -> web.Response:
    """POST /_matrix/media/v1/create (client-server API: content repository, asynchronous upload)."""
    mxc, expires = await services_of(request).media.do_create(requester_of(request).user_id)
    return json_response({"content_uri": mxc, "unused_expires_at": expires})


async def put_upload(request: web.Request) -> web.Response:
    """PUT /_matrix/media/v3/upload/{serverName}/{mediaId} (client-server API: content repository)."""
    await services_of(request).media.do_upload_to(
        requester_of(request).user_id,
        request.match_info["server_name"],
        request.match_info["media_id"],
        _body_chunks(request),
        request.headers.get("Content-Type"),
        request.query.get("filename"),
        request.content_length,
    )
    return json_response({})


async def get_download(request: web.Request) -> web.FileResponse:
    """GET /_matrix/client/v1/media/download/{serverName}/{mediaId}[/{fileName}] (authenticated media)."""
    found = await services_of(request).media.get_download(
        request.match_info["server_name"],
        request.match_info["media_id"],
        query_int(request, "timeout_ms", DEFAULT_TIMEOUT_MS),
        request.match_info.get("file_name") or None,
        optional_requester_of(request),
    )
    await _record_delivery(request)
    return _serve(found.path, found.content_type, content_disposition(found.content_type, found.filename))


async def _record_delivery(request: web.Request) -> None:
    """Who fetched which media, for spillage reports (issue 14); unauthenticated legacy fetches are not known."""
    requester = request.get(REQUESTER_KEY)
    if requester is not None:
        await services_of(request).retention.spillage.record_download(
            requester.user_id, requester.device_id, request.match_info["server_name"], request.match_info["media_id"]
        )


async def get_thumbnail(request: web.Request) -> web.FileResponse:
    """GET /_matrix/client/v1/media/thumbnail/{serverName}/{mediaId} (authenticated media, thumbnails)."""
    spec = ThumbnailSpec(
        width=query_int(request, "width", -1, minimum=1, maximum=MAX_THUMBNAIL_QUERY),
        height=query_int(request, "height", -1, minimum=1, maximum=MAX_THUMBNAIL_QUERY),
        method=request.query.get("method", "scale"),
        animated=query_bool(request, "animated", False),
    )
    if spec.width < 0 or spec.height < 0:
        raise missing_param("width and height are required")
    thumbnail = await services_of(request).media.get_thumbnail(
        request.match_info["server_name"],
        request.match_info["media_id"],
        spec,
        query_int(request, "timeout_ms", DEFAULT_TIMEOUT_MS),
        optional_requester_of(request),
    )
    await _record_delivery(request)
    extension = thumbnail.path.suffix
    return _serve(
        thumbnail.path, thumbnail.content_type, content_disposition(thumbnail.content_type, f"thumbnail{extension}")
    )


async def get_config(request: web.Request) -> web.Response:
    """GET /_matrix/client/v1/media/config (client-server API: content repository configuration)."""
    return json_response({"m.upload.size": services_of(request).media.max_upload_bytes})


async def get_legacy_download(request: web.Request) -> web.FileResponse:
    """GET /_matrix/media/v3/download/{serverName}/{mediaId}[/{fileName}] (deprecated, unauthenticated).

    Off unless `legacy_media_endpoints` is set: without it anyone holding an mxc:// URI could fetch the file.
    """
    if not services_of(request).media.legacy_endpoints:
        raise unrecognized()
    return await get_download(request)


async def get_legacy_thumbnail(request: web.Request) -> web.FileResponse:
    """GET /_matrix/media/v3/thumbnail/{serverName}/{mediaId} (deprecated, unauthenticated; off by default)."""
    if not services_of(request).media.legacy_endpoints:
        raise unrecognized()
    return await get_thumbnail(request)
