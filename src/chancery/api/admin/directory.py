"""Chancery's own administration of the institution's directory: people, their history, organisations."""

from __future__ import annotations

from dataclasses import asdict

from aiohttp import web

from ...errors import bad_json, invalid_param, not_found
from ...events.identifiers import is_valid_user_id
from ...http.context import requester_of, services_of
from ...http.json_body import json_response, query_int, read_json
from ...services.audit import Actor
from ...services.directory.sources import person_from
from ...storage.directory import PERSON_FIELDS, Person


def _user_id(request: web.Request) -> str:
    user_id = request.match_info["user_id"]
    if not is_valid_user_id(user_id):
        raise invalid_param("Invalid user ID")
    return user_id


async def get_person(request: web.Request) -> web.Response:
    """GET /_chancery/admin/v1/directory/people/{userId}: what the directory holds, who provisioned it (null:
    nobody), and the latest changes to the person and the account's lifecycle (`limit`, default 100)."""
    user_id = _user_id(request)
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


# What an administrator sets here; clearances are a security officer's (PUT /_chancery/admin/v1/clearances/...).
RECORD_FIELDS = tuple(name for name in PERSON_FIELDS if not name.startswith("clearance_"))


async def put_person(request: web.Request) -> web.Response:
    """PUT /_chancery/admin/v1/directory/people/{userId} {"display_name", "organisation", "position", "email",
    "phone": str|null, "external": bool}: set the directory's record of an account (omitted fields are cleared).
    Returns {"changed": [field ...]}."""
    user_id = _user_id(request)
    body = await read_json(request, allow_empty=True)
    unknown = sorted(set(body) - set(RECORD_FIELDS))
    if unknown:
        raise bad_json(f"Unknown fields: {', '.join(unknown)}")
    raw = {"user_id": user_id}
    for name in RECORD_FIELDS:
        if name == "external":
            continue
        value = body.get(name)
        if value is not None and not isinstance(value, str):
            raise bad_json(f"{name} must be a string or null")
        raw[name] = value or ""
    external = body.get("external", False)
    if not isinstance(external, bool):
        raise bad_json("external must be true or false")
    raw["external"] = "yes" if external else "no"
    services = services_of(request)
    try:
        person = person_from(raw, lambda _: user_id)  # already checked
    except ValueError as exc:
        raise invalid_param(str(exc)) from exc
    changes = await services.provisioning.set_person(person, Actor.of(requester_of(request), "admin"))
    return json_response({"changed": [name for name, _, _ in changes]})


async def get_organisations(request: web.Request) -> web.Response:
    """GET /_chancery/admin/v1/directory/organisations: {"organisations": [{"path", "name", "parent"}]}."""
    rows = await services_of(request).storage.people.organisations()
    return json_response({"organisations": [{"path": p, "name": n, "parent": parent} for p, n, parent in rows]})
