"""Chancery's own administration of the institution's directory: people, their history, organisations."""

from __future__ import annotations

from dataclasses import asdict

from aiohttp import web

from ...errors import invalid_param, not_found
from ...events.identifiers import is_valid_user_id
from ...http.context import services_of
from ...http.json_body import json_response, query_int
from ...storage.directory import Person


async def get_person(request: web.Request) -> web.Response:
    """GET /_chancery/admin/v1/directory/people/{userId}: what the directory holds, who provisioned it (null:
    nobody), and the latest changes to the person and the account's lifecycle (`limit`, default 100)."""
    user_id = request.match_info["user_id"]
    if not is_valid_user_id(user_id):
        raise invalid_param("Invalid user ID")
    storage = services_of(request).storage
    user = await storage.users.get_user(user_id)
    if user is None:
        raise not_found("Unknown user")
    managed = await storage.people.person(user_id)
    history = await storage.people.history(user_id, query_int(request, "limit", 100, minimum=1, maximum=1000))
    return json_response(
        {
            # An account no source provisioned has no directory fields, but may have a history (expiry ...).
            **asdict(managed.person if managed else Person(user_id)),
            "source": managed.source if managed else None,
            "deactivated": user.deactivated,
            "history": [asdict(change) for change in history],
        }
    )


async def get_organisations(request: web.Request) -> web.Response:
    """GET /_chancery/admin/v1/directory/organisations: {"organisations": [{"path", "name", "parent"}]}."""
    rows = await services_of(request).storage.people.organisations()
    return json_response({"organisations": [{"path": p, "name": n, "parent": parent} for p, n, parent in rows]})
