"""Server-side search (client-server API: server side search): POST /search over message bodies, room names
and topics, ordered by rank or recency, with context, groups, state and paging, limited to what the user may
see in rooms they are or were in."""

from __future__ import annotations

import secrets
from typing import Any

from tests.client import Api, C, User, q


def word() -> str:
    """A word no other test uses, so results are this test's alone on the shared server."""
    return "w" + secrets.token_hex(5)


async def search(api: Api, user: User, criteria: dict[str, Any], next_batch: str | None = None) -> dict[str, Any]:
    params = {"next_batch": next_batch} if next_batch else None
    body = await api.ok(
        "POST", C + "/search", user, json={"search_categories": {"room_events": criteria}}, params=params
    )
    return dict(body["search_categories"]["room_events"])


def ids(found: dict[str, Any]) -> list[str]:
    return [r["result"]["event_id"] for r in found["results"]]


async def test_search_finds_message_bodies_names_and_topics(api: Api) -> None:
    alice = await api.register()
    key = word()
    room = await api.create_room(alice, name=f"Room {key}", topic=f"About {key} things")
    hit = await api.send(alice, room, f"the {key} report is ready")
    await api.send(alice, room, "unrelated words")
    found = await search(api, alice, {"search_term": key})
    assert found["count"] == 3
    assert {r["result"]["type"] for r in found["results"]} == {"m.room.message", "m.room.name", "m.room.topic"}
    assert found["highlights"] == [key]
    assert all(isinstance(r["rank"], float) for r in found["results"])
    only_bodies = await search(api, alice, {"search_term": key, "keys": ["content.body"]})
    assert ids(only_bodies) == [hit]
    result = only_bodies["results"][0]["result"]
    assert result["room_id"] == room and result["content"]["body"] == f"the {key} report is ready"
    assert result["user_id"] == result["sender"] == alice.user_id, "the legacy user_id too"
    # Every word must match; each may be the start of a longer word; case does not matter.
    assert ids(await search(api, alice, {"search_term": f"{key.upper()} REP", "keys": ["content.body"]})) == [hit]
    assert ids(await search(api, alice, {"search_term": f"{key} absent", "keys": ["content.body"]})) == []


async def test_search_orders_by_rank_or_recency_and_pages(api: Api) -> None:
    alice = await api.register()
    key = word()
    room = await api.create_room(alice)
    sent = [await api.send(alice, room, f"{key} number {i}" + f" {key}" * (i % 3)) for i in range(7)]
    recent = await search(api, alice, {"search_term": key, "order_by": "recent", "filter": {"limit": 3}})
    assert recent["count"] == 7
    pages = [ids(recent)]
    while "next_batch" in recent:
        recent = await search(
            api, alice, {"search_term": key, "order_by": "recent", "filter": {"limit": 3}}, recent["next_batch"]
        )
        assert recent["count"] == 7, "the count is of all results, on every page"
        pages.append(ids(recent))
    assert [event_id for page in pages for event_id in page] == list(reversed(sent))
    assert [len(p) for p in pages] == [3, 3, 1]
    # A full last page still offers a next batch, which is then empty and offers none (as Synapse does).
    sizes: list[int] = []
    token = None
    for _ in range(4):
        page = await search(api, alice, {"search_term": key, "order_by": "recent", "filter": {"limit": 7}}, token)
        sizes.append(len(page["results"]))
        token = page.get("next_batch")
        if token is None:
            break
    assert sizes == [7, 0]

    ranked = await search(api, alice, {"search_term": key, "order_by": "rank", "filter": {"limit": 4}})
    ranks = [r["rank"] for r in ranked["results"]]
    assert ranks == sorted(ranks, reverse=True)
    rest = await search(
        api, alice, {"search_term": key, "order_by": "rank", "filter": {"limit": 4}}, ranked["next_batch"]
    )
    assert "next_batch" not in rest
    assert sorted(ids(ranked) + ids(rest)) == sorted(sent)
    # The most repeated word ranks a message first.
    assert ranked["results"][0]["result"]["event_id"] in {sent[2], sent[5]}


async def test_search_respects_membership_and_history_visibility(api: Api) -> None:
    alice, bob, carol = await api.register(), await api.register(), await api.register()
    key = word()
    room = await api.create_room(alice, preset="public_chat")
    await api.join(bob, room)
    before_leaving = await api.send(alice, room, f"{key} early")
    await api.ok("POST", f"{C}/rooms/{q(room)}/leave", bob, json={})
    await api.send(alice, room, f"{key} late")
    assert ids(await search(api, bob, {"search_term": key})) == [before_leaving]
    assert ids(await search(api, carol, {"search_term": key})) == [], "never a member"

    joined_late = await api.create_room(alice, preset="public_chat")
    await api.ok(
        "PUT",
        f"{C}/rooms/{q(joined_late)}/state/m.room.history_visibility/",
        alice,
        json={"history_visibility": "joined"},
    )
    await api.send(alice, joined_late, f"{key} before carol")
    await api.join(carol, joined_late)
    after = await api.send(alice, joined_late, f"{key} after carol")
    assert ids(await search(api, carol, {"search_term": key})) == [after]


async def test_search_skips_encrypted_rooms_and_redacted_events(api: Api) -> None:
    alice = await api.register()
    key = word()
    plain = await api.create_room(alice)
    kept = await api.send(alice, plain, f"{key} kept")
    redacted = await api.send(alice, plain, f"{key} removed")
    await api.ok("PUT", f"{C}/rooms/{q(plain)}/redact/{q(redacted)}/r1", alice, json={})
    secret = await api.create_room(alice, name=f"{key} vault")
    await api.send(alice, secret, f"{key} before encryption")
    await api.ok(
        "PUT", f"{C}/rooms/{q(secret)}/state/m.room.encryption/", alice, json={"algorithm": "m.megolm.v1.aes-sha2"}
    )
    await api.send(alice, secret, event_type="m.room.encrypted", content={"algorithm": "m.megolm.v1.aes-sha2"})
    assert ids(await search(api, alice, {"search_term": key})) == [kept]


async def test_search_filter_groups_state_and_context(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    key = word()
    first = await api.create_room(alice, preset="public_chat")
    second = await api.create_room(alice, preset="public_chat")
    await api.join(bob, first)
    await api.ok("PUT", f"{C}/profile/{q(bob.user_id)}/displayname", bob, json={"displayname": "Bob then"})
    await api.send(alice, first, "just before")
    from_bob = await api.send(bob, first, f"{key} from bob")
    await api.send(alice, first, "just after")
    await api.ok("PUT", f"{C}/profile/{q(bob.user_id)}/displayname", bob, json={"displayname": "Bob now"})
    from_alice = await api.send(alice, second, f"{key} from alice")

    by_sender = await search(api, alice, {"search_term": key, "filter": {"senders": [bob.user_id]}})
    assert ids(by_sender) == [from_bob]
    in_room = await search(api, alice, {"search_term": key, "filter": {"rooms": [second]}})
    assert ids(in_room) == [from_alice]

    grouped = await search(
        api,
        alice,
        {
            "search_term": key,
            "order_by": "recent",
            "groupings": {"group_by": [{"key": "room_id"}, {"key": "sender"}]},
            "include_state": True,
            "event_context": {"before_limit": 1, "after_limit": 1, "include_profile": True},
        },
    )
    assert grouped["groups"]["room_id"][first]["results"] == [from_bob]
    assert grouped["groups"]["room_id"][second]["results"] == [from_alice]
    assert {g["order"] for g in grouped["groups"]["room_id"].values()} == {1, 2}
    assert grouped["groups"]["sender"][bob.user_id]["results"] == [from_bob]
    assert set(grouped["state"]) == {first, second}
    assert any(e["type"] == "m.room.create" for e in grouped["state"][first])
    bob_result = next(r for r in grouped["results"] if r["result"]["event_id"] == from_bob)
    context = bob_result["context"]
    assert [e["content"]["body"] for e in context["events_before"]] == ["just before"]
    assert [e["content"].get("body") for e in context["events_after"]] == ["just after"]
    assert context["profile_info"][bob.user_id]["displayname"] == "Bob then"
    assert context["start"].startswith("s") and context["end"].startswith("s")


async def test_bad_search_requests(api: Api) -> None:
    alice = await api.register()
    bad: list[Any] = [
        {},
        {"search_categories": {"room_events": {}}},
        {"search_categories": {"room_events": {"search_term": 5}}},
        {"search_categories": {"room_events": {"search_term": "x", "keys": ["content.secret"]}}},
        {"search_categories": {"room_events": {"search_term": "x", "order_by": "oldest"}}},
        {"search_categories": {"room_events": {"search_term": "x", "groupings": {"group_by": [{"key": "type"}]}}}},
        {"search_categories": {"room_events": {"search_term": "x", "filter": {"limit": "many"}}}},
        {"search_categories": {"room_events": {"search_term": "x", "event_context": {"before_limit": -1}}}},
    ]
    for body in bad:
        reply = await api.request("POST", C + "/search", alice, json=body)
        assert reply.status == 400, (body, reply)
    reply = await api.request(
        "POST",
        C + "/search",
        alice,
        json={"search_categories": {"room_events": {"search_term": "x"}}},
        params={"next_batch": "garbage"},
    )
    assert (reply.status, reply.errcode) == (400, "M_INVALID_PARAM")
    # Query syntax in the term is just words.
    for term in ('" OR * NEAR(', "a:* & !b | c", "'; DROP TABLE events; --", "NOT"):
        found = await search(api, alice, {"search_term": term})
        assert found["results"] == []
    empty = await api.ok("POST", C + "/search", alice, json={"search_categories": {}})
    assert empty == {"search_categories": {}}
