"""Route declarations: every endpoint with its auth kind and rate-limit bucket, wrapped uniformly."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import Any, Literal
from urllib.parse import unquote

from aiohttp import web

from ..errors import MatrixError, forbidden, invalid_param
from ..policy.decision import PolicyDenied
from ..policy.roles import SECURITY_OFFICER
from ..services.accounts.requester import Requester
from ..services.audit.actor import Actor, Via, acting_as
from ..services.devices.standing import needs_check
from .context import CLIENT_ADDRESSES, REQUESTER_KEY, optional_requester_of, requester_of, services_of
from .json_body import json_response

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
# "optional": a token is checked when sent (and refused when invalid); without one the handler decides.
AuthKind = Literal["none", "optional", "user", "admin", "security_officer"]


@dataclass(frozen=True)
class Route:
    method: str
    path: str
    handler: Handler
    auth: AuthKind = "user"
    bucket: str | None = None
    # Whether guest accounts may call it (client-server API: guest access lists what they may).
    guest: bool = False
    # Callable by an account on hold (expired, or terms of use not accepted): logout, terms, renewal.
    while_held: bool = False


def _access_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or "\x00" in token:
        return None
    return token.strip()


def _reject_nul(request: web.Request) -> None:
    """NUL characters are never meaningful in Matrix identifiers and PostgreSQL cannot store them in TEXT."""
    values = [unquote(v) for v in request.match_info.values()] + list(request.query.values())
    if any("\x00" in value for value in values):
        raise invalid_param("NUL characters are not allowed in paths or query parameters")


def client_address(request: web.Request) -> str:
    """The client's address (behind a trusted reverse proxy, the one it forwarded)."""
    return request.app[CLIENT_ADDRESSES].of(request)


def _missing_token(request: web.Request) -> MatrixError:
    if "access_token" in request.query:
        return MatrixError(401, "M_MISSING_TOKEN", "Access tokens are only accepted in the Authorization header")
    return MatrixError(401, "M_MISSING_TOKEN", "Missing access token")


class _DirectAnswer(Exception):
    """The request is answered before its handler runs (a wiped device's /sync gets only the wipe order)."""

    def __init__(self, body: dict[str, Any]) -> None:
        super().__init__("answered directly")
        self.body = body


async def _check_access(route: Route, request: web.Request, ip: str) -> Requester | None:
    """The requester (None without a token where that is allowed), after the auth kind and rate limit checks."""
    services = services_of(request)
    token = _access_token(request) if route.auth != "none" else None
    if token is None and route.auth != "none" and (route.auth != "optional" or "access_token" in request.query):
        raise _missing_token(request)
    if token is None:
        if route.bucket is not None:
            services.rate_limiter.check(route.bucket, ip)
        return None
    found = await services.auth.requester_for_token(token)
    if found is None:
        raise MatrixError(401, "M_UNKNOWN_TOKEN", "Unknown or revoked access token", soft_logout=False)
    if needs_check(found):
        # Expired token, device awaiting approval, or wiped device (whose /sync gets the wipe order).
        answer = await services.devices.standing.check(found, route.path, request.query.get("since"))
        if answer is not None:
            raise _DirectAnswer(answer)
    services.devices.activity.seen(found.user_id, found.device_id, ip)
    requester = replace(found, ip=ip)
    request[REQUESTER_KEY] = requester  # known from here on, also to the audit of a refusal below
    if route.auth == "admin" and not requester.is_admin:
        raise forbidden("You are not a server administrator")
    if route.auth == "security_officer" and SECURITY_OFFICER not in await services.storage.roles.roles_of(
        requester.user_id
    ):
        raise forbidden("You are not a security officer")
    if requester.is_guest and not (route.guest and services.config.access.guest_access):
        # Turning guest access off ends existing guest sessions too.
        raise MatrixError(403, "M_GUEST_ACCESS_FORBIDDEN", "Guest accounts may not use this endpoint")
    if not route.while_held and route.auth != "admin":
        services.lifecycle.check_usable(requester)  # expired, or the terms of use not accepted
    if route.bucket is not None:
        services.rate_limiter.check(route.bucket, requester.user_id)
    return requester


def wrap(route: Route) -> Handler:
    # Every call of an administrator or security-officer endpoint is audited, allowed or not (issue 13).
    audited = route.auth in ("admin", "security_officer")
    via: Via = "admin" if audited else "client"

    async def handle(request: web.Request) -> web.StreamResponse:
        services = services_of(request)
        ip = client_address(request)
        try:
            _reject_nul(request)
            requester = await _check_access(route, request, ip)
            actor = Actor(None, ip=ip, via=via) if requester is None else Actor.of(requester, via)
            with acting_as(actor):
                response = await route.handler(request)
        except _DirectAnswer as direct:
            return json_response(direct.body)
        except MatrixError as exc:
            actor = _actor_of(request, ip, via)
            if exc.errcode == "M_LIMIT_EXCEEDED":
                await services.request_auditor.rate_limited(actor, request.method, route.path)
            if isinstance(exc, PolicyDenied):  # recorded here, after the refused change rolled back
                await services.audit.record_denial(actor, exc.action, exc.target, exc.decision, exc.details)
            if audited:
                await services.request_auditor.admin_request(actor, request.method, route.path, exc.status, exc.errcode)
            raise
        except Exception:
            if audited:
                actor = _actor_of(request, ip, via)
                await services.request_auditor.admin_request(actor, request.method, route.path, 500, "error")
            raise
        if audited:
            await services.request_auditor.admin_request(
                Actor.of(requester_of(request), via), request.method, route.path, response.status, None
            )
        return response

    handle.__name__ = getattr(route.handler, "__name__", "handler")
    return handle


def _actor_of(request: web.Request, ip: str, via: Via) -> Actor:
    requester = optional_requester_of(request)
    return Actor(None, ip=ip, via=via) if requester is None else Actor.of(requester, via)
