"""Terms of use ([directory] terms_url/terms_version): what they are, and accepting them."""

from __future__ import annotations

from aiohttp import web

from ...errors import not_found
from ...http.context import requester_of, services_of
from ...http.json_body import get_str, json_response, read_json
from ...services.audit import Actor


async def get_terms(request: web.Request) -> web.Response:
    """GET /_chancery/client/v1/terms: {"url", "version", "accepted"} (404 when none are published)."""
    services = services_of(request)
    terms = services.lifecycle.terms()
    if terms is None:
        raise not_found("This server publishes no terms of use")
    return json_response({**terms, "accepted": requester_of(request).terms_version == terms["version"]})


async def post_terms(request: web.Request) -> web.Response:
    """POST /_chancery/client/v1/terms {"version"}: accept the current terms of use (callable while held)."""
    requester = requester_of(request)
    body = await read_json(request)
    version = get_str(body, "version", required=True, max_length=255)
    assert version is not None
    actor = Actor.of(requester)
    await services_of(request).lifecycle.accept_terms(requester, version, actor)
    return json_response({})
