"""Classified rooms (issue 12) through the HTTP API: the scheme, clearances, refusals with their reason,
raising and lowering a room, clearance changes and expiry, accredited devices, classified files, external
accounts. One server per engine with a scheme of its own."""

from __future__ import annotations

import asyncio
import json
import secrets
import time
from typing import Any

import pytest

from tests.classified_server import (
    CLASSIFICATION,
    CLEARANCES,
    accreditation_of,
    capi,
    classified,
    classified_room,
    clear,
    cleared,
    membership,
    officer,
    officer_name,
    raise_to,
    refused,
)
from tests.client import Api, C, User, q
from tests.serverproc import ServerProcess

SLIDING_SYNC = "/_matrix/client/unstable/org.matrix.simplified_msc3575/sync"
__all__ = ["capi", "classified", "officer", "officer_name"]  # fixtures of tests/classified_server.py

# -- the scheme and clearances ------------------------------------------------------------------------


async def test_scheme_endpoint_shows_the_levels_and_the_viewers_clearance(capi: Api, officer: User) -> None:
    user = await capi.register()
    scheme = await capi.ok("GET", "/_chancery/client/v1/classification", user)
    assert [level["name"] for level in scheme["levels"]] == ["OFFICIAL", "RESTRICTED", "CONFIDENTIAL", "SECRET"]
    assert scheme["levels"][3] == {"name": "SECRET", "colour": "#c53030", "watermark": True, "allow_export": False}
    assert scheme["levels"][1] == {"name": "RESTRICTED", "colour": "#4a4f57", "watermark": False, "allow_export": True}
    assert scheme["caveats"] == ["NATO", "EU"] and scheme["default_level"] == "OFFICIAL"
    assert scheme["clearance"] is None
    expires = int(time.time() * 1000) + 86_400_000
    await clear(capi, officer, user, "CONFIDENTIAL", ["NATO"], expires_ts=expires)
    scheme = await capi.ok("GET", "/_chancery/client/v1/classification", user)
    assert scheme["clearance"] == {"level": "CONFIDENTIAL", "caveats": ["NATO"], "expires_ts": expires}
    shown = await capi.ok("GET", CLEARANCES + q(user.user_id), officer)
    assert shown["set_by"] == officer.user_id and shown["level"] == "CONFIDENTIAL"


async def test_only_security_officers_set_clearances_and_bad_input_is_refused(capi: Api, officer: User) -> None:
    user = await capi.register()
    reply = await capi.request("PUT", CLEARANCES + q(user.user_id), user, json={"level": "SECRET"})
    assert (reply.status, reply.errcode) == (403, "M_FORBIDDEN")
    reply = await capi.request("GET", CLEARANCES + q(user.user_id), user)
    assert reply.status == 403
    for body in ({"level": "TOP"}, {"level": "SECRET", "caveats": ["FVEY"]}, {"level": "SECRET", "expires_ts": "x"}):
        reply = await capi.request("PUT", CLEARANCES + q(user.user_id), officer, json=body)
        assert (reply.status, reply.errcode) == (400, "M_INVALID_PARAM"), body
    reply = await capi.request("PUT", CLEARANCES + q("@nobody-here:localhost"), officer, json={"level": "SECRET"})
    assert (reply.status, reply.errcode) == (404, "M_NOT_FOUND")
    reply = await capi.request("PUT", CLEARANCES + "not-a-user", officer, json={"level": "SECRET"})
    assert reply.status == 400
    reply = await capi.request("GET", CLEARANCES + q(user.user_id), officer)
    assert (reply.status, reply.errcode) == (404, "M_NOT_FOUND")


# -- admission ----------------------------------------------------------------------------------------


async def test_rooms_get_the_default_level_and_the_uncleared_cannot_create_them(capi: Api, officer: User) -> None:
    owner = await cleared(capi, officer, "OFFICIAL")
    room = await capi.create_room(owner)
    state = await capi.ok("GET", f"{C}/rooms/{q(room)}/state/{CLASSIFICATION}/", owner)
    assert state == {"level": "OFFICIAL"}
    stranger = await capi.register()
    refused(await capi.request("POST", C + "/createRoom", stranger, json={}), "clearance")
    reply = await capi.request(
        "POST",
        C + "/createRoom",
        owner,
        json={"initial_state": [{"type": CLASSIFICATION, "content": {"level": "SECRET"}}]},
    )
    refused(reply, "clearance")  # nobody labels a room above their own clearance


async def test_uncleared_invite_join_knock_and_create_invite_are_refused_with_the_reason(
    capi: Api, officer: User
) -> None:
    owner = await cleared(capi, officer, "SECRET", ["NATO"])
    low = await cleared(capi, officer, "RESTRICTED")
    no_nato = await cleared(capi, officer, "SECRET")
    room = await classified_room(capi, owner, "SECRET", ["NATO"], preset="public_chat")
    refused(
        await capi.request("POST", f"{C}/rooms/{q(room)}/invite", owner, json={"user_id": low.user_id}), "clearance"
    )
    refused(
        await capi.request("POST", f"{C}/rooms/{q(room)}/invite", owner, json={"user_id": no_nato.user_id}), "caveat"
    )
    refused(await capi.request("POST", f"{C}/join/{q(room)}", low, json={}), "clearance")
    await capi.ok("PUT", f"{C}/rooms/{q(room)}/state/m.room.join_rules/", owner, json={"join_rule": "knock"})
    refused(await capi.request("POST", f"{C}/knock/{q(room)}", low, json={}), "clearance")
    reply = await capi.request(
        "POST",
        C + "/createRoom",
        owner,
        json={
            "invite": [low.user_id],
            "initial_state": [{"type": CLASSIFICATION, "content": {"level": "CONFIDENTIAL"}}],
        },
    )
    refused(reply, "clearance")
    joined = await capi.ok("GET", C + "/joined_rooms", owner)
    assert len(joined["joined_rooms"]) == 1  # the refused createRoom left no room behind
    nato = await cleared(capi, officer, "SECRET", ["NATO", "EU"])
    await capi.ok("POST", f"{C}/rooms/{q(room)}/invite", owner, json={"user_id": nato.user_id})


async def test_classification_content_is_validated(capi: Api, officer: User) -> None:
    owner = await cleared(capi, officer, "SECRET")
    room = await capi.create_room(owner)
    for content in ({"level": "TOP"}, {"level": "SECRET", "caveats": ["FVEY"]}, {"level": "SECRET", "handling": 1}):
        reply = await capi.request("PUT", f"{C}/rooms/{q(room)}/state/{CLASSIFICATION}/", owner, json=content)
        assert (reply.status, reply.errcode) == (400, "M_BAD_JSON"), content


# -- raising and lowering -----------------------------------------------------------------------------


async def test_raising_removes_the_uncleared_member_in_the_same_step(capi: Api, officer: User) -> None:
    owner = await cleared(capi, officer, "SECRET")
    low = await cleared(capi, officer, "RESTRICTED")
    invited = await cleared(capi, officer, "OFFICIAL")
    room = await classified_room(capi, owner, "OFFICIAL", preset="public_chat")
    await capi.join(low, room)
    await capi.ok("POST", f"{C}/rooms/{q(room)}/invite", owner, json={"user_id": invited.user_id})
    reply = await raise_to(capi, owner, room, "CONFIDENTIAL")
    assert reply.status == 200, reply
    raise_id = reply.body["event_id"]
    for user in (low, invited):
        member = await membership(capi, owner, room, user)
        assert member["membership"] == "leave"
        assert member["org.chancery.removed"] == "clearance" and "CONFIDENTIAL" in member["reason"]
    # The removals follow the raise at once, in one step: nothing else between them.
    messages = await capi.ok("GET", f"{C}/rooms/{q(room)}/messages", owner, params={"dir": "b", "limit": "3"})
    kinds = [(e["type"], e.get("state_key")) for e in reversed(messages["chunk"])]
    assert kinds[0] == (CLASSIFICATION, "") and messages["chunk"][-1]["event_id"] == raise_id
    assert {k for k in kinds[1:]} == {("m.room.member", low.user_id), ("m.room.member", invited.user_id)}
    refused(await capi.request("POST", f"{C}/join/{q(room)}", low, json={}), "clearance")


async def test_lowering_takes_a_security_officer(capi: Api, officer: User) -> None:
    await clear(capi, officer, officer, "SECRET", ["NATO", "EU"])
    owner = await cleared(capi, officer, "SECRET", ["EU"])
    room = await classified_room(capi, owner, "SECRET", ["EU"])
    refused(await raise_to(capi, owner, room, "CONFIDENTIAL", ["EU"]), "lower")
    refused(await raise_to(capi, owner, room, "SECRET"), "lower")  # dropping a caveat lowers too
    refused(await capi.request("PUT", f"{C}/rooms/{q(room)}/state/{CLASSIFICATION}/", owner, json={}), "lower")
    reply = await raise_to(capi, owner, room, "SECRET", ["EU"])  # the same, or only its handling text: allowed
    assert reply.status == 200
    redact = f"{C}/rooms/{q(room)}/redact/{q(reply.body['event_id'])}/{secrets.token_hex(4)}"
    refused(await capi.request("PUT", redact, owner, json={}), "lower")  # redacting it would declassify
    await capi.ok("POST", f"{C}/rooms/{q(room)}/invite", owner, json={"user_id": officer.user_id})
    await capi.join(officer, room)
    power = await capi.ok("GET", f"{C}/rooms/{q(room)}/state/m.room.power_levels/", owner)
    power["users"][officer.user_id] = 100
    await capi.ok("PUT", f"{C}/rooms/{q(room)}/state/m.room.power_levels/", owner, json=power)
    assert (await raise_to(capi, officer, room, "RESTRICTED")).status == 200
    state = await capi.ok("GET", f"{C}/rooms/{q(room)}/state/{CLASSIFICATION}/", owner)
    assert state["level"] == "RESTRICTED"


async def test_an_upgraded_room_keeps_its_classification_and_access_rule(capi: Api, officer: User) -> None:
    owner = await cleared(capi, officer, "SECRET", ["EU"])
    room = await classified_room(capi, owner, "SECRET", ["EU"])
    await capi.ok("PUT", f"{C}/rooms/{q(room)}/state/org.chancery.access_rule/", owner, json={"rule": "unrestricted"})
    upgraded = await capi.ok("POST", f"{C}/rooms/{q(room)}/upgrade", owner, json={"new_version": "11"})
    new_room = upgraded["replacement_room"]
    marking = await capi.ok("GET", f"{C}/rooms/{q(new_room)}/state/{CLASSIFICATION}/", owner)
    assert (marking["level"], marking["caveats"]) == ("SECRET", ["EU"])
    rule = await capi.ok("GET", f"{C}/rooms/{q(new_room)}/state/org.chancery.access_rule/", owner)
    assert rule == {"rule": "unrestricted"}
    low = await cleared(capi, officer, "SECRET")
    invite = {"user_id": low.user_id}
    refused(await capi.request("POST", f"{C}/rooms/{q(new_room)}/invite", owner, json=invite), "caveat")


# -- clearance changes --------------------------------------------------------------------------------


async def test_lowering_or_revoking_a_clearance_removes_the_person_from_every_room_above_it(
    capi: Api, officer: User
) -> None:
    owner = await cleared(capi, officer, "SECRET")
    member = await cleared(capi, officer, "SECRET")
    secret = await classified_room(capi, owner, "SECRET", preset="public_chat")
    confidential = await classified_room(capi, owner, "CONFIDENTIAL", preset="public_chat")
    official = await classified_room(capi, owner, "OFFICIAL", preset="public_chat")
    for room in (secret, confidential, official):
        await capi.join(member, room)
    body = await clear(capi, officer, member, "CONFIDENTIAL")
    assert body["removed_from"] == [secret]
    assert (await membership(capi, owner, secret, member))["membership"] == "leave"
    assert (await membership(capi, owner, confidential, member))["membership"] == "join"
    body = await capi.ok("DELETE", CLEARANCES + q(member.user_id), officer)
    assert sorted(body["removed_from"]) == sorted([confidential, official])
    joined = await capi.ok("GET", C + "/joined_rooms", member)
    assert joined["joined_rooms"] == []


async def test_an_expired_clearance_removes_its_holder_within_a_second(capi: Api, officer: User) -> None:
    owner = await cleared(capi, officer, "SECRET")
    member = await capi.register()
    await clear(capi, officer, member, "SECRET", expires_ts=int(time.time() * 1000) + 1500)
    room = await classified_room(capi, owner, "CONFIDENTIAL", preset="public_chat")
    await capi.join(member, room)
    await asyncio.sleep(1.5)
    deadline = time.monotonic() + 1.5
    while (await membership(capi, owner, room, member))["membership"] == "join":
        assert time.monotonic() < deadline, "the expired clearance's holder is still in the room"
        await asyncio.sleep(0.1)
    assert (await membership(capi, owner, room, member))["org.chancery.removed"] == "expired"


# -- accredited devices -------------------------------------------------------------------------------


async def test_an_unaccredited_device_gets_nothing_of_a_room_above_the_accreditation_level(
    capi: Api, officer: User
) -> None:
    owner = await cleared(capi, officer, "SECRET", accredited=False)
    room = await classified_room(capi, owner, "CONFIDENTIAL")
    low_room = await classified_room(capi, owner, "RESTRICTED")
    colleague = await cleared(capi, officer, "SECRET")
    for each in (room, low_room):
        await capi.ok("POST", f"{C}/rooms/{q(each)}/invite", owner, json={"user_id": colleague.user_id})
        await capi.join(colleague, each)
        await capi.send(colleague, each, "ping")  # notifies the owner (a room of two)
    await capi.send(owner, low_room, "the other plan")
    event_id = await capi.send(owner, room, "the plan")
    await capi.send(
        owner,
        room,
        "a reply",
        content={
            "msgtype": "m.text",
            "body": "👍",
            "m.relates_to": {"rel_type": "m.thread", "event_id": event_id},
        },
    )
    reads = [
        f"{C}/rooms/{q(room)}/messages?dir=b",
        f"{C}/rooms/{q(room)}/context/{q(event_id)}",
        f"{C}/rooms/{q(room)}/event/{q(event_id)}",
        f"/_matrix/client/v1/rooms/{q(room)}/relations/{q(event_id)}",
        f"{C}/rooms/{q(room)}/state",
        f"{C}/rooms/{q(room)}/members",
        f"{C}/rooms/{q(room)}/joined_members",
    ]
    reads += [f"{C}/rooms/{q(room)}/initialSync", f"{C}/events/{q(event_id)}"]
    # Not even its name and member count: the room summary and the space hierarchy rooted at it.
    reads += [f"/_matrix/client/v1/room_summary/{q(room)}", f"/_matrix/client/v1/rooms/{q(room)}/hierarchy"]
    for path in reads:
        refused(await capi.request("GET", path, owner), "accreditation")
    body = await capi.sync(owner)
    assert room not in body["rooms"]["join"] and low_room in body["rooms"]["join"]
    assert await rooms_listed(capi, owner) == {low_room}
    accreditation = accreditation_of(owner)
    refused_put = await capi.request("PUT", accreditation, owner)
    assert (refused_put.status, refused_put.errcode) == (403, "M_FORBIDDEN")
    await capi.ok("PUT", accreditation, officer)
    for path in reads:
        await capi.ok("GET", path, owner)
    body = await capi.sync(owner)
    assert room in body["rooms"]["join"]
    assert await rooms_listed(capi, owner) == {low_room, room}
    other_device = await capi.login(owner)
    refused(await capi.request("GET", reads[0], other_device), "accreditation")
    # Signing in again under the accredited device's ID (a password is all it takes) is not accredited.
    again = await capi.login(owner, device_id=owner.device_id)
    refused(await capi.request("GET", reads[0], again), "accreditation")
    owner = again
    await capi.ok("PUT", accreditation, officer)
    await capi.ok("GET", reads[0], owner)
    await capi.ok("DELETE", accreditation, officer)
    refused(await capi.request("GET", reads[0], owner), "accreditation")
    reply = await capi.request(
        "PUT", f"/_chancery/admin/v1/users/{q(owner.user_id)}/devices/NOPE/accreditation", officer
    )
    assert (reply.status, reply.errcode) == (404, "M_NOT_FOUND")


async def rooms_listed(api: Api, user: User) -> set[str]:
    """The rooms whose events sliding sync, search, /notifications, the legacy /events stream and /initialSync
    show the user's device."""
    sliding = {"lists": {"all": {"ranges": [[0, 99]], "timeline_limit": 1}}}
    slid = await api.ok("POST", SLIDING_SYNC, user, json=sliding, params={"timeout": "0"})
    search = {"search_categories": {"room_events": {"search_term": "plan"}}}
    found = await api.ok("POST", C + "/search", user, json=search)
    searched = {r["result"]["room_id"] for r in found["search_categories"]["room_events"]["results"]}
    stream = await api.ok("GET", C + "/events", user, params={"timeout": "0", "from": "s0"})
    streamed = {e["room_id"] for e in stream["chunk"] if "room_id" in e and "event_id" in e}
    notified = await api.ok("GET", C + "/notifications", user)
    initial = await api.ok("GET", C + "/initialSync", user)
    listed = {r["room_id"] for r in initial["rooms"]}
    assert streamed == listed == searched == set(slid["rooms"]), (searched, streamed, listed, slid["rooms"])
    assert slid["lists"]["all"]["count"] == len(listed)
    assert {n["room_id"] for n in notified["notifications"]} == listed
    return listed


# -- classified files ---------------------------------------------------------------------------------


async def upload(api: Api, user: User) -> str:
    body = await api.ok(
        "POST", "/_matrix/media/v3/upload", user, data=b"secret plans", headers={"Content-Type": "text/plain"}
    )
    return str(body["content_uri"])


def file_content(mxc: str) -> dict[str, Any]:
    return {"msgtype": "m.file", "body": "plans.txt", "url": mxc, "info": {"mimetype": "text/plain"}}


async def test_a_classified_file_cannot_be_reposted_into_a_lower_room_nor_fetched_by_the_uncleared(
    capi: Api, officer: User
) -> None:
    owner = await cleared(capi, officer, "SECRET")
    secret = await classified_room(capi, owner, "SECRET")
    lower = await classified_room(capi, owner, "CONFIDENTIAL")
    unclassified_owner = await cleared(capi, officer, "OFFICIAL")
    mxc = await upload(capi, owner)
    await capi.send(owner, secret, content=file_content(mxc))
    path = f"{C}/rooms/{q(lower)}/send/m.room.message/{secrets.token_hex(4)}"
    refused(await capi.request("PUT", path, owner, json=file_content(mxc)), "export")
    thumb = {"msgtype": "m.image", "body": "x", "url": "mxc://localhost/other", "info": {"thumbnail_url": mxc}}
    refused(await capi.request("PUT", path, owner, json=thumb), "export")
    download = "/_matrix/client/v1/media/download/" + mxc.removeprefix("mxc://")
    assert (await capi.request("GET", download, owner)).status == 200
    refused(await capi.request("GET", download, unclassified_owner), "clearance")
    other_device = await capi.login(owner)
    refused(await capi.request("GET", download, other_device), "accreditation")
    # Into a room at least as high it may go; posting it inherits that room's level too.
    moved = await upload(capi, owner)
    await capi.send(owner, lower, content=file_content(moved))
    await capi.send(owner, secret, content=file_content(moved))
    moved_download = "/_matrix/client/v1/media/download/" + moved.removeprefix("mxc://")
    refused(await capi.request("GET", moved_download, unclassified_owner), "clearance")
    assert (await capi.request("GET", moved_download, owner)).status == 200


# -- external accounts --------------------------------------------------------------------------------


async def test_external_accounts(classified: ServerProcess, capi: Api, officer: User) -> None:
    external = await cleared(capi, officer, "SECRET")
    classified.run_cli("user", "role", external.user_id, "--external", "yes")
    refused(await capi.request("POST", C + "/createRoom", external, json={}), "external")
    owner = await cleared(capi, officer, "SECRET")
    room = await capi.create_room(owner)
    invite = f"{C}/rooms/{q(room)}/invite"
    refused(await capi.request("POST", invite, owner, json={"user_id": external.user_id}), "external")
    rule = f"{C}/rooms/{q(room)}/state/org.chancery.access_rule/"
    await capi.ok("PUT", rule, owner, json={"rule": "unrestricted"})
    refused(await capi.request("PUT", rule, owner, json={"rule": "restricted"}), "access_rule")
    refused(await capi.request("PUT", rule, owner, json={"rule": "direct"}), "access_rule")
    await capi.ok("POST", invite, owner, json={"user_id": external.user_id})
    await capi.join(external, room)
    # Others find the room's members in the user directory; the external account finds nobody.
    search = {"search_term": owner.user_id.split(":")[0][1:]}
    found = await capi.ok("POST", C + "/user_directory/search", external, json=search)
    assert found == {"results": [], "limited": False}
    colleague = await cleared(capi, officer, "SECRET")
    await capi.ok("POST", invite, owner, json={"user_id": colleague.user_id})
    await capi.join(colleague, room)
    found = await capi.ok("POST", C + "/user_directory/search", colleague, json=search)
    assert [r["user_id"] for r in found["results"]] == [owner.user_id]
    power = await capi.ok("GET", f"{C}/rooms/{q(room)}/state/m.room.power_levels/", owner)
    power["users"][external.user_id] = 50
    reply = await capi.request("PUT", f"{C}/rooms/{q(room)}/state/m.room.power_levels/", owner, json=power)
    refused(reply, "external")


# -- the directory import -----------------------------------------------------------------------------


def directory_import(server: ServerProcess, rows: list[str]) -> str:
    csv = server.data_dir.parent / f"people-{secrets.token_hex(4)}.csv"
    csv.write_text("user_id,display_name,clearance_level,clearance_caveats,clearance_expires\n" + "\n".join(rows))
    return server.run_cli("directory", "import", str(csv))


async def test_clearances_come_from_the_directory_import(classified: ServerProcess, capi: Api, officer: User) -> None:
    owner = await cleared(capi, officer, "SECRET", ["NATO"])
    imported, manual = await capi.register(), await capi.register()
    await clear(capi, officer, manual, "CONFIDENTIAL")
    directory_import(
        classified,
        [f"{imported.user_id},Ines,SECRET,NATO;EU,2099-01-31", f"{manual.user_id},Manu,,,"],
    )
    shown = await capi.ok("GET", CLEARANCES + q(imported.user_id), officer)
    assert (shown["level"], shown["caveats"], shown["set_by"]) == ("SECRET", ["EU", "NATO"], "directory:csv")
    assert shown["expires_ts"] == 4073500800000
    # An empty cell leaves a clearance a security officer set alone.
    assert (await capi.ok("GET", CLEARANCES + q(manual.user_id), officer))["level"] == "CONFIDENTIAL"
    room = await classified_room(capi, owner, "SECRET", ["NATO"], preset="public_chat")
    await capi.join(imported, room)
    # The directory revokes what it set; the person leaves the classified room with it.
    directory_import(classified, [f"{imported.user_id},Ines,,,", f"{manual.user_id},Manu,,,"])
    reply = await capi.request("GET", CLEARANCES + q(imported.user_id), officer)
    assert reply.status == 404
    assert (await membership(capi, owner, room, imported))["membership"] == "leave"
    with pytest.raises(RuntimeError, match="is not a level"):
        directory_import(classified, [f"{imported.user_id},Ines,TOP,,"])


# -- the command line ---------------------------------------------------------------------------------


async def test_clearance_cli(classified: ServerProcess, capi: Api, officer: User) -> None:
    owner = await cleared(capi, officer, "SECRET")
    member = await capi.register()
    out = classified.run_cli("clearance", "set", member.user_id, "--level", "SECRET", "--caveat", "EU")
    assert out.startswith(f"{member.user_id}: SECRET; caveats EU; no expiry; set by system:cli")
    room = await classified_room(capi, owner, "SECRET", preset="public_chat")
    await capi.join(member, room)
    out = classified.run_cli("clearance", "set", member.user_id, "--level", "OFFICIAL", "--expires", "2099-01-31")
    assert "OFFICIAL; caveats (none); 2099-01-31T00:00:00+00:00" in out and f"Removed from 1 room(s): {room}" in out
    assert (await membership(capi, owner, room, member))["membership"] == "leave"
    assert "OFFICIAL" in classified.run_cli("clearance", "show", member.user_id)
    assert "clearance revoked" in classified.run_cli("clearance", "revoke", member.user_id)
    with pytest.raises(RuntimeError, match="holds no clearance"):
        classified.run_cli("clearance", "show", member.user_id)


# -- the audit log ------------------------------------------------------------------------------------


def audit_entries(server: ServerProcess, target: str) -> list[dict[str, Any]]:
    lines = server.run_cli("audit", "export").splitlines()
    records = [json.loads(line) for line in lines if line.strip()]
    entries = [r["entry"] for r in records if r.get("kind") == "entry"]
    return [e for e in entries if e.get("target") == target or (e.get("details") or {}).get("user_id") == target]


async def test_clearances_refusals_raises_and_removals_are_audited(
    classified: ServerProcess, capi: Api, officer: User
) -> None:
    owner = await cleared(capi, officer, "SECRET")
    member = await cleared(capi, officer, "SECRET")
    room = await classified_room(capi, owner, "OFFICIAL", preset="public_chat")
    await capi.join(member, room)
    await clear(capi, officer, member, "RESTRICTED")
    assert (await raise_to(capi, owner, room, "CONFIDENTIAL")).status == 200
    refused(await capi.request("POST", f"{C}/join/{q(room)}", member, json={}), "clearance")
    by_member = audit_entries(classified, member.user_id)
    actions = [(e["action"], e["outcome"], e.get("reason")) for e in by_member]
    assert ("clearance.set", "allowed", None) in actions
    assert ("device.accreditation", "allowed", None) in actions
    assert ("membership.join", "denied", "clearance") in actions
    removal = [e for e in by_member if e["action"] == "membership.leave"]
    assert removal and removal[-1]["user_id"] == owner.user_id  # the raiser's request removed them
    room_entries = audit_entries(classified, room)
    change = [e for e in room_entries if e["action"] == "classification.change"]
    assert [c["details"]["classification"]["level"] for c in change] == ["OFFICIAL", "CONFIDENTIAL"]
    assert change[-1]["details"]["previous"] == {"level": "OFFICIAL", "caveats": []}
