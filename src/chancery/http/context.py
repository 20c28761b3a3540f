"""Typed keys for what the HTTP layer stores on the app and on each request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from .client_address import ClientAddresses

if TYPE_CHECKING:
    from ..services.accounts.requester import Requester
    from ..services.container import Services

SERVICES: web.AppKey[Services] = web.AppKey("services")
CLIENT_ADDRESSES: web.AppKey[ClientAddresses] = web.AppKey("client_addresses")
ACCESS_LOG: web.AppKey[bool] = web.AppKey("access_log")
REQUESTER_KEY = "chancery.requester"


def services_of(request: web.Request) -> Services:
    return request.app[SERVICES]


def requester_of(request: web.Request) -> Requester:
    requester: Requester = request[REQUESTER_KEY]
    return requester


def optional_requester_of(request: web.Request) -> Requester | None:
    """The caller of an endpoint with optional authentication, None when no token was sent."""
    requester: Requester | None = request.get(REQUESTER_KEY)
    return requester
