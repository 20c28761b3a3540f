"""Middleware: Matrix errors for every failure, CORS for browser clients, the access log with request IDs."""

from __future__ import annotations

import itertools
import logging
import secrets
import time

from aiohttp import web

from ..errors import MatrixError
from .access_log import log_request
from .context import ACCESS_LOG
from .json_body import json_response
from .routing import Handler

log = logging.getLogger("chancery.http")
# Request IDs: this process's tag and a counter (cheap, unique across the processes of one deployment).
_PROCESS_TAG = secrets.token_hex(3)
_request_numbers = itertools.count(1)

CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, HEAD, POST, PUT, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": "X-Requested-With, Content-Type, Authorization, Date",
    "Access-Control-Expose-Headers": "Content-Disposition, Content-Length, Content-Range",
}


def _error(exc: MatrixError) -> web.Response:
    response = json_response(exc.to_json(), status=exc.status)
    if exc.status == 429 and "retry_after_ms" in exc.extra:
        response.headers["Retry-After"] = str(max(1, int(exc.extra["retry_after_ms"]) // 1000))
    return response


@web.middleware
async def matrix_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    started = time.monotonic()
    number = next(_request_numbers)
    try:
        if request.method == "OPTIONS":
            response: web.StreamResponse = web.Response(status=204)
        else:
            response = await handler(request)
    except MatrixError as exc:
        response = _error(exc)
    except web.HTTPNotFound:
        response = _error(MatrixError(404, "M_UNRECOGNIZED", "Unrecognized request"))
    except web.HTTPMethodNotAllowed:
        response = _error(MatrixError(405, "M_UNRECOGNIZED", "Method not allowed for this endpoint"))
    except web.HTTPRequestEntityTooLarge:
        response = _error(MatrixError(413, "M_TOO_LARGE", "Request body is too large"))
    except web.HTTPException as exc:
        if exc.status >= 400:
            response = _error(MatrixError(exc.status, "M_UNKNOWN", exc.reason or "Request failed"))
        else:
            raise
    except Exception:
        # Never echo internals to the client; the request ID ties the log line to the report.
        request_id = f"{_PROCESS_TAG}-{number}"
        log.exception("request failed", extra={"request_id": request_id, "path": request.path})
        response = _error(MatrixError(500, "M_UNKNOWN", f"Internal server error (request {request_id})"))
    if not response.prepared:
        for name, value in CORS_HEADERS.items():
            response.headers.setdefault(name, value)
    if request.app[ACCESS_LOG]:
        # The path without its query string (which may carry a registration token).
        duration_ms = round((time.monotonic() - started) * 1000, 1)
        log_request(request.method, request.path, response.status, duration_ms, f"{_PROCESS_TAG}-{number}")
    return response
