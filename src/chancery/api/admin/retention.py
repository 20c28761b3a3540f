"""Retention, legal hold and spillage for administrators and security officers (issue 14)."""

from __future__ import annotations

from dataclasses import asdict

from aiohttp import web

from ...errors import invalid_param
from ...http.context import requester_of, services_of
from ...http.json_body import get_str, json_response, read_json
from ...services.retention.holds import HoldKind

_KINDS: dict[str, HoldKind] = {"rooms": "room", "users": "user"}
MAX_SPILLED_MEDIA = 100


def _hold_target(request: web.Request) -> tuple[HoldKind, str]:
    return _KINDS[request.match_info["kind"]], request.match_info["target"]


async def put_legal_hold(request: web.Request) -> web.Response:
    """PUT /_chancery/admin/v1/legal_holds/{rooms|users}/{id} (administrator): nothing of it is purged."""
    services = services_of(request)
    body = await read_json(request, allow_empty=True)
    reason = get_str(body, "reason", max_length=1000)
    kind, target = _hold_target(request)
    placed = await services.retention.holds.place(kind, target, requester_of(request).user_id, reason)
    return json_response({"placed": placed})


async def delete_legal_hold(request: web.Request) -> web.Response:
    """DELETE /_chancery/admin/v1/legal_holds/{rooms|users}/{id} (administrator): lift the hold."""
    kind, target = _hold_target(request)
    await services_of(request).retention.holds.lift(kind, target)
    return json_response({})


async def get_legal_holds(request: web.Request) -> web.Response:
    """GET /_chancery/admin/v1/legal_holds (administrator)."""
    return json_response({"holds": await services_of(request).retention.holds.list_holds()})


async def post_purge(request: web.Request) -> web.Response:
    """POST /_chancery/admin/v1/retention/purge (administrator): run the retention purge now."""
    return json_response(asdict(await services_of(request).retention.purge.run()))


async def post_spillage(request: web.Request) -> web.Response:
    """POST /_chancery/admin/v1/spillage/{roomId}/{eventId} (security officer): redact the event, remove its
    content and media from disk, and list the users and devices it reached. Body (optional): {"media":
    [mxc URIs]} the server cannot see in the event (an encrypted attachment)."""
    info = request.match_info
    body = await read_json(request, allow_empty=True)
    media = body.get("media", [])
    if not isinstance(media, list) or len(media) > MAX_SPILLED_MEDIA:
        raise invalid_param(f"media must be a list of at most {MAX_SPILLED_MEDIA} mxc:// URIs")
    report = await services_of(request).retention.spillage.mark(
        requester_of(request).user_id, info["room_id"], info["event_id"], media
    )
    return json_response(report)


def _policy_level(request: web.Request) -> str | None:
    """The level named by the path; None for /policy/unclassified."""
    return request.match_info.get("level")


async def get_retention_policy(request: web.Request) -> web.Response:
    """GET /_chancery/admin/v1/retention/policy (administrator): the default and maximum per level in force."""
    return json_response(await services_of(request).retention.policies.describe())


async def put_retention_policy(request: web.Request) -> web.Response:
    """PUT /_chancery/admin/v1/retention/policy/{unclassified | levels/{level}} (administrator):
    {"default_days": N, "max_days": N}, in force from the next purge run, over chancery.toml's."""
    body = await read_json(request)
    await services_of(request).retention.policies.set_policy(
        _policy_level(request), body.get("default_days"), body.get("max_days", 0), requester_of(request).user_id
    )
    return json_response({})


async def delete_retention_policy(request: web.Request) -> web.Response:
    """DELETE /_chancery/admin/v1/retention/policy/{unclassified | levels/{level}}: back to chancery.toml's."""
    await services_of(request).retention.policies.reset_policy(_policy_level(request))
    return json_response({})
