"""Chancery's own administration of the institution's directory: people, their history, organisations."""

from __future__ import annotations

from dataclasses import asdict

from aiohttp import web

from ...errors import invalid_param, not_found
from ...events.identifiers import is_valid_user_id
from ...http.context import services_of
from ...http.json_body import json_response, query_int


async def get_person(request: web.Request) -> web.Response:
    """GET /_chancery/admin/v1/directory/people/{userId}: what the directory holds, who provisioned it, and the
    latest changes (`limit`, default 100)."""
    user_id = request.match_info["user_id"]
    if not is_valid_user_id(user_id):
        raise invalid_param("Invalid user ID")
    storage = services_of(request).storage
    managed = await storage.people.person(user_id)
    if managed is None:
        raise not_found("The directory has no such person")
    history = await storage.people.history(user_id, query_int(request, "limit", 100, minimum=1, maximum=1000))
    return json_response(
        {
            **asdict(managed.person),
            "source": managed.source,
            "deactivated": managed.deactivated,
            "history": [asdict(change) for change in history],
        }
    )


async def get_organisations(request: web.Request) -> web.Response:
    """GET /_chancery/admin/v1/directory/organisations: {"organisations": [{"path", "name", "parent"}]}."""
    rows = await services_of(request).storage.people.organisations()
    return json_response({"organisations": [{"path": p, "name": n, "parent": parent} for p, n, parent in rows]})
