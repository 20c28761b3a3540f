"""Rooms of every room version, 1 to 12, used end to end through the client-server API (spec: rooms/v1..v12).

Each version gets the same flow: create (with an alias), invite and join, messages, a reply and a reaction,
power levels, kick, ban and unban, aliases, then redactions whose pruned form is the one that version's
redaction algorithm keeps, and the reads (/sync, /messages, /context, /event, /state, /relations).
"""

from __future__ import annotations

import re
import secrets
from typing import Any

import orjson
import pytest

from chancery.events.hashing import compute_content_hash, compute_event_id, reference_hash_base64
from chancery.events.redaction import prune_event
from chancery.events.room_versions import ROOM_VERSIONS
from chancery.events.signing import signing_key_from_text, verify_key_base64, verify_key_from_base64, verify_signature
from chancery.storage.database import Database, PostgresDatabase, SqliteDatabase
from tests.client import Api, C, User, q
from tests.serverproc import ServerProcess

V1 = "/_matrix/client/v1"
VERSIONS = [str(n) for n in range(1, 13)]
SERVER_NAME = "localhost"
# Event ID grammar per version: v1/v2 chosen by the server with its domain; v3 the reference hash in
# standard unpadded base64; v4+ URL-safe (rooms/v1 "event IDs", v3, v4-event-ids fragment).
SERVER_ASSIGNED_ID = re.compile(r"^\$[A-Za-z0-9]+:" + re.escape(SERVER_NAME) + "$")
STANDARD_BASE64_ID = re.compile(r"^\$[A-Za-z0-9+/]{43}$")
URL_SAFE_BASE64_ID = re.compile(r"^\$[A-Za-z0-9_-]{43}$")
SERVER_ONLY_KEYS = {"prev_events", "auth_events", "hashes", "signatures", "depth", "origin"}


def event_id_pattern(version: str) -> re.Pattern[str]:
    number = int(version)
    return SERVER_ASSIGNED_ID if number <= 2 else STANDARD_BASE64_ID if number == 3 else URL_SAFE_BASE64_ID


async def put_state(api: Api, user: User, room: str, event_type: str, content: dict[str, Any], key: str = "") -> Any:
    return await api.request("PUT", f"{C}/rooms/{q(room)}/state/{event_type}/{q(key)}", user, json=content)


async def state_id(api: Api, user: User, room: str, event_type: str, content: dict[str, Any], key: str = "") -> str:
    reply = await put_state(api, user, room, event_type, content, key)
    assert reply.status == 200, reply
    return str(reply.body["event_id"])


async def redact(api: Api, user: User, room: str, event_id: str) -> str:
    path = f"{C}/rooms/{q(room)}/redact/{q(event_id)}/{secrets.token_hex(6)}"
    return str((await api.ok("PUT", path, user, json={"reason": "test"}))["event_id"])


async def get_event(api: Api, user: User, room: str, event_id: str) -> dict[str, Any]:
    event: dict[str, Any] = await api.ok("GET", f"{C}/rooms/{q(room)}/event/{q(event_id)}", user)
    return event


async def membership(api: Api, user: User, room: str, target: User) -> str:
    path = f"{C}/rooms/{q(room)}/state/m.room.member/{q(target.user_id)}"
    return str((await api.ok("GET", path, user))["membership"])


def assert_client_format(event: dict[str, Any], version: str) -> None:
    """What every room version shows clients: the plain event ID, no server-server fields."""
    assert event_id_pattern(version).match(event["event_id"]), event["event_id"]
    assert not SERVER_ONLY_KEYS & set(event), event


def kept_content(version: str) -> dict[str, dict[str, Any]]:
    """For each state event redacted in the flow, the content the version's redaction algorithm keeps."""
    number = int(version)
    aliases = {"aliases": [f"#kept:{SERVER_NAME}"]} if number <= 5 else {}  # v6 dropped the aliases rule
    join_rules: dict[str, Any] = {"join_rule": "invite"}
    if number >= 8:  # v8 keeps `allow`
        join_rules["allow"] = [{"type": "m.room_membership", "room_id": "!space:" + SERVER_NAME}]
    power = {"ban", "events", "events_default", "kick", "redact", "state_default", "users", "users_default"}
    if number >= 11:  # v11 keeps `invite`
        power.add("invite")
    return {"m.room.aliases": aliases, "m.room.join_rules": join_rules, "m.room.power_levels": {k: True for k in power}}


@pytest.mark.parametrize("version", VERSIONS)
async def test_room_version_flow(api: Api, version: str) -> None:
    alice, bob, carol = await api.register(), await api.register(), await api.register()
    alias_name = "v" + version + "x" + secrets.token_hex(4)
    room = await api.create_room(
        alice, room_version=version, preset="private_chat", name=f"Room v{version}", room_alias_name=alias_name
    )
    if version == "12":
        assert ":" not in room
    else:
        assert room.endswith(":" + SERVER_NAME)
    create = await api.ok("GET", f"{C}/rooms/{q(room)}/state/m.room.create/", alice)
    assert create["room_version"] == version
    assert ("creator" in create) == (int(version) <= 10)  # v11 removed `creator`
    alias = f"#{alias_name}:{SERVER_NAME}"
    assert (await api.ok("GET", f"{C}/directory/room/{q(alias)}", bob))["room_id"] == room
    canonical = await api.ok("GET", f"{C}/rooms/{q(room)}/state/m.room.canonical_alias/", alice)
    assert canonical["alias"] == alias

    # Membership: invite and join, then messages, a reply and a reaction.
    await api.ok("POST", f"{C}/rooms/{q(room)}/invite", alice, json={"user_id": bob.user_id})
    invited = await api.sync(bob)
    assert room in invited["rooms"]["invite"]
    await api.join(bob, room)
    first = await api.send(alice, room, "first message")
    reply_content = {
        "msgtype": "m.text",
        "body": "a reply",
        "m.relates_to": {"m.in_reply_to": {"event_id": first}},
    }
    reply = await api.send(bob, room, content=reply_content)
    reaction_content = {"m.relates_to": {"rel_type": "m.annotation", "event_id": first, "key": "+1"}}
    reaction = await api.send(bob, room, event_type="m.reaction", content=reaction_content)
    for event_id in (first, reply, reaction):
        assert event_id_pattern(version).match(event_id), event_id
    relations = await api.ok("GET", f"{V1}/rooms/{q(room)}/relations/{q(first)}", alice)
    assert [e["event_id"] for e in relations["chunk"]] == [reaction]

    # m.room.aliases: special auth rules in v1-v5 (only the sender's server as state key, no power level
    # needed); an ordinary state event from v6. Outsiders never may set it here.
    other_domain = await put_state(api, alice, room, "m.room.aliases", {"aliases": []}, "other.example")
    assert (other_domain.status == 200) == (int(version) >= 6), other_domain
    low_power = await put_state(api, bob, room, "m.room.aliases", {"aliases": []}, SERVER_NAME)
    assert (low_power.status == 200) == (int(version) <= 5), low_power
    outsider = await put_state(api, carol, room, "m.room.aliases", {"aliases": []}, SERVER_NAME)
    assert (outsider.status, outsider.errcode) == (403, "M_FORBIDDEN")

    # Power levels: Bob becomes a moderator, kicks Carol; Alice bans and unbans her.
    power = await api.ok("GET", f"{C}/rooms/{q(room)}/state/m.room.power_levels/", alice)
    power["users"][bob.user_id] = 50
    await state_id(api, alice, room, "m.room.power_levels", power)
    await api.ok("POST", f"{C}/rooms/{q(room)}/invite", alice, json={"user_id": carol.user_id})
    await api.join(carol, room)
    await api.ok("POST", f"{C}/rooms/{q(room)}/kick", bob, json={"user_id": carol.user_id, "reason": "test"})
    assert await membership(api, alice, room, carol) == "leave"
    await api.ok("POST", f"{C}/rooms/{q(room)}/ban", alice, json={"user_id": carol.user_id})
    assert (await api.request("POST", f"{C}/join/{q(room)}", carol, json={})).status == 403
    await api.ok("POST", f"{C}/rooms/{q(room)}/unban", alice, json={"user_id": carol.user_id})
    assert await membership(api, alice, room, carol) == "leave"
    kick_up = await api.request("POST", f"{C}/rooms/{q(room)}/kick", bob, json={"user_id": alice.user_id})
    assert (kick_up.status, kick_up.errcode) == (403, "M_FORBIDDEN")

    # A second alias through the directory.
    second = f"#second{secrets.token_hex(4)}:{SERVER_NAME}"
    await api.ok("PUT", f"{C}/directory/room/{q(second)}", alice, json={"room_id": room})
    assert (await api.ok("GET", f"{C}/directory/room/{q(second)}", bob))["room_id"] == room

    # Redactions: a message loses its content in every version; state keeps what the version says.
    redaction = await redact(api, alice, room, first)
    redacted = await get_event(api, bob, room, first)
    assert redacted["content"] == {}
    assert redacted["unsigned"]["redacted_because"]["event_id"] == redaction
    redaction_event = await get_event(api, bob, room, redaction)
    assert redaction_event["redacts"] == first and redaction_event["content"]["redacts"] == first
    kept = kept_content(version)
    aliases_id = await state_id(
        api, alice, room, "m.room.aliases", {"aliases": [f"#kept:{SERVER_NAME}"], "extra": 1}, SERVER_NAME
    )
    rules_content = {
        "join_rule": "invite",
        "allow": [{"type": "m.room_membership", "room_id": "!space:" + SERVER_NAME}],
        "extra": 1,
    }
    rules_id = await state_id(api, alice, room, "m.room.join_rules", rules_content)
    power_id = await state_id(api, alice, room, "m.room.power_levels", {**power, "notifications": {"room": 20}})
    for event_id in (aliases_id, rules_id, power_id):
        await redact(api, alice, room, event_id)
    assert (await get_event(api, bob, room, aliases_id))["content"] == kept["m.room.aliases"]
    assert (await get_event(api, bob, room, rules_id))["content"] == kept["m.room.join_rules"]
    power_after = await get_event(api, bob, room, power_id)
    assert set(power_after["content"]) == set(kept["m.room.power_levels"])
    # The redacted form is the room's state from then on.
    current_rules = await api.ok("GET", f"{C}/rooms/{q(room)}/state/m.room.join_rules/", bob)
    assert current_rules == kept["m.room.join_rules"]

    # Reads: every event the client sees is in client format, with the version's event IDs.
    synced = await api.sync(bob)
    timeline = synced["rooms"]["join"][room]["timeline"]["events"]
    for event in timeline + synced["rooms"]["join"][room]["state"]["events"]:
        assert_client_format(event, version)
    messages = await api.ok("GET", f"{C}/rooms/{q(room)}/messages", bob, params={"dir": "b", "limit": "100"})
    chunk_ids = [e["event_id"] for e in messages["chunk"]]
    assert chunk_ids.index(reaction) < chunk_ids.index(reply) < chunk_ids.index(first)
    assert next(e for e in messages["chunk"] if e["event_id"] == first)["content"] == {}
    for event in messages["chunk"]:
        assert_client_format(event, version)
    context = await api.ok("GET", f"{C}/rooms/{q(room)}/context/{q(reply)}", bob, params={"limit": "2"})
    assert context["event"]["event_id"] == reply
    assert [e["event_id"] for e in context["events_before"]] == [first]
    assert [e["event_id"] for e in context["events_after"]] == [reaction]
    for event in [context["event"], *context["events_before"], *context["events_after"], *context["state"]]:
        assert_client_format(event, version)
    state = await api.ok("GET", f"{C}/rooms/{q(room)}/state", bob)
    by_key = {(e["type"], e["state_key"]): e for e in state}
    assert by_key[("m.room.create", "")]["content"]["room_version"] == version
    assert by_key[("m.room.member", carol.user_id)]["content"]["membership"] == "leave"
    for event in state:
        assert_client_format(event, version)
    assert len({e["event_id"] for e in state}) == len(state)

    # Leaving works too.
    await api.ok("POST", f"{C}/rooms/{q(room)}/leave", bob, json={})
    assert await membership(api, alice, room, bob) == "leave"


@pytest.mark.parametrize("requested", ["13", "1.0", "", "v1", None])
async def test_unknown_room_version_is_refused(api: Api, requested: Any) -> None:
    alice = await api.register()
    reply = await api.request("POST", f"{C}/createRoom", alice, json={"room_version": requested})
    assert (reply.status, reply.errcode) == (400, "M_UNSUPPORTED_ROOM_VERSION"), reply


@pytest.mark.parametrize("requested", [1, 12, ["1"], {"v": "1"}])
async def test_a_room_version_that_is_not_a_string_is_malformed(api: Api, requested: Any) -> None:
    alice = await api.register()
    reply = await api.request("POST", f"{C}/createRoom", alice, json={"room_version": requested})
    assert (reply.status, reply.errcode) == (400, "M_BAD_JSON"), reply


async def test_capabilities_list_every_stable_version(api: Api) -> None:
    alice = await api.register()
    versions = (await api.ok("GET", f"{C}/capabilities", alice))["capabilities"]["m.room_versions"]
    assert versions == {"default": "12", "available": {version: "stable" for version in VERSIONS}}


async def stored_room_events(server: ServerProcess, room: str) -> list[tuple[dict[str, Any], bool]]:
    """The room's events as the server stored them (its PDUs, with `unsigned`), and whether each was redacted.
    There is no federation API yet to fetch them through."""
    if server.engine == "sqlite":
        db: Database = SqliteDatabase(server.data_dir / "chancery.db")
    else:
        db = await PostgresDatabase.connect(server.database)
    try:
        rows = await db.fetchall("SELECT json, redacted FROM events WHERE room_id = ? ORDER BY stream_pos", room)
    finally:
        await db.close()
    return [(orjson.loads(row[0]), bool(row[1])) for row in rows]


@pytest.mark.parametrize("version", VERSIONS)
async def test_stored_events_have_the_versions_server_format(api: Api, server: ServerProcess, version: str) -> None:
    """What other servers would be sent: each version's event IDs, prev/auth event format, content hash,
    reference hashes and signatures (server-server API: PDUs, signing events; rooms v1 and v3 event format)."""
    room_version = ROOM_VERSIONS[version]
    alice, bob, carol = await api.register(), await api.register(), await api.register()
    room = await api.create_room(alice, room_version=version, preset="public_chat", name="Format")
    await api.join(bob, room)
    message = await api.send(bob, room, "to be redacted")
    await api.send(alice, room, "kept")  # cites the message before it is redacted
    await state_id(api, alice, room, "m.room.topic", {"topic": "format"})
    await redact(api, alice, room, message)
    await api.send(bob, room, "after the redaction")
    rules = await state_id(api, alice, room, "m.room.join_rules", {"join_rule": "public", "extra": 1})
    await redact(api, alice, room, rules)
    await api.join(carol, room)  # cites the redacted join rules among its auth events

    key_text = (server.data_dir / "signing.key").read_text(encoding="utf-8")
    signing_key = signing_key_from_text(key_text)
    key_id = f"{signing_key.alg}:{signing_key.version}"
    verify_key = verify_key_from_base64(key_id, verify_key_base64(signing_key))
    events = await stored_room_events(server, room)
    assert len(events) >= 15
    by_id = {event["event_id"]: event for event, _ in events}
    server_assigned = int(version) <= 2
    for index, (event, redacted) in enumerate(events):
        pdu = {k: v for k, v in event.items() if k != "unsigned"}
        if not server_assigned:
            pdu.pop("event_id")  # computed from the event, never part of it
            if version == "12" and event["type"] == "m.room.create":
                pdu.pop("room_id")  # v12 derives the room ID from the create event
        assert event_id_pattern(version).match(event["event_id"]), event["event_id"]
        assert ("redacts" in event) == (event["type"] == "m.room.redaction" and int(version) <= 10)
        if not server_assigned:
            assert compute_event_id(pdu, room_version) == event["event_id"]
        if not redacted:  # a redacted copy keeps what the signature and reference hash cover, not the content
            assert event["hashes"]["sha256"] == compute_content_hash(pdu)
        assert verify_signature(prune_event(pdu, room_version), SERVER_NAME, verify_key), event["event_id"]
        previous = [events[index - 1][0]["event_id"]] if index else []
        cited_prev, cited_auth = event["prev_events"], event["auth_events"]
        if server_assigned:
            # [event ID, {"sha256": reference hash}] pairs; the hash of a redacted event is unchanged.
            assert [ref[0] for ref in cited_prev] == previous
            for ref_id, hashes in cited_prev + cited_auth:
                assert hashes == {"sha256": reference_hash_base64(by_id[ref_id], room_version)}
            auth_ids = [ref[0] for ref in cited_auth]
        else:
            assert cited_prev == previous
            auth_ids = cited_auth
        cited_types = {by_id[auth_id]["type"] for auth_id in auth_ids}
        if event["type"] != "m.room.create":
            assert ("m.room.create" in cited_types) == (version != "12"), event
