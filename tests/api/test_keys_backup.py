"""Server-side key backup through raw HTTP: versions, keys at three levels, replacement rules, etags."""

from __future__ import annotations

from typing import Any

from tests.client import Api, C, User, q

ALGORITHM = "m.megolm_backup.v1.curve25519-aes-sha2"


def session(first_index: int, forwarded: int, verified: bool, tag: str) -> dict[str, Any]:
    return {
        "first_message_index": first_index,
        "forwarded_count": forwarded,
        "is_verified": verified,
        "session_data": {"ephemeral": tag, "ciphertext": tag, "mac": tag},
    }


async def new_backup(api: Api, user: User) -> str:
    body = await api.ok(
        "POST", C + "/room_keys/version", user, json={"algorithm": ALGORITHM, "auth_data": {"public_key": "abc"}}
    )
    return str(body["version"])


async def test_versions_lifecycle(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    missing = await api.request("GET", C + "/room_keys/version", alice)
    assert missing.status == 404 and missing.errcode == "M_NOT_FOUND"
    first = await new_backup(api, alice)
    second = await new_backup(api, alice)
    current = await api.ok("GET", C + "/room_keys/version", alice)
    assert current == {
        "algorithm": ALGORITHM,
        "auth_data": {"public_key": "abc"},
        "count": 0,
        "etag": current["etag"],
        "version": second,
    }
    assert (await api.ok("GET", f"{C}/room_keys/version/{first}", alice))["version"] == first
    assert (await api.request("GET", f"{C}/room_keys/version/{first}", bob)).status == 404  # not Bob's

    url = f"{C}/room_keys/version/{second}"
    await api.ok("PUT", url, alice, json={"algorithm": ALGORITHM, "auth_data": {"public_key": "def"}})
    assert (await api.ok("GET", url, alice))["auth_data"] == {"public_key": "def"}
    other_algorithm = await api.request("PUT", url, alice, json={"algorithm": "m.other", "auth_data": {}})
    assert other_algorithm.status == 400 and other_algorithm.errcode == "M_INVALID_PARAM"
    other_version = await api.request(
        "PUT", url, alice, json={"algorithm": ALGORITHM, "auth_data": {}, "version": first}
    )
    assert other_version.status == 400 and other_version.errcode == "M_INVALID_PARAM"
    bad = await api.request("POST", C + "/room_keys/version", alice, json={"algorithm": ALGORITHM})
    assert bad.status == 400 and bad.errcode == "M_MISSING_PARAM"

    await api.ok("DELETE", url, alice)
    await api.ok("DELETE", url, alice)  # deleting again succeeds
    assert (await api.request("GET", url, alice)).status == 404
    assert (await api.ok("GET", C + "/room_keys/version", alice))["version"] == first
    assert (await api.request("DELETE", f"{C}/room_keys/version/999", alice)).status == 404
    assert (await api.request("GET", f"{C}/room_keys/version/nonsense", alice)).status == 404
    assert await new_backup(api, alice) not in (first, second)  # versions are never reused


async def test_keys_replaced_only_by_better_ones(api: Api) -> None:
    alice = await api.register()
    old_version = await new_backup(api, alice)
    version = await new_backup(api, alice)
    room = "!room:localhost"
    one = f"{C}/room_keys/keys/{q(room)}/s1"
    params = {"version": version}
    stored = await api.ok("PUT", one, alice, params=params, json=session(5, 1, False, "a"))
    assert stored["count"] == 1

    async def current() -> str:
        return str((await api.ok("GET", one, alice, params=params))["session_data"]["ciphertext"])

    for candidate, wins in (
        (session(0, 0, False, "worse-unverified-lower-index"), True),
        (session(0, 0, False, "equal"), False),
        (session(3, 0, True, "verified"), True),
        (session(0, 0, False, "unverified"), False),
        (session(1, 5, True, "lower-index"), True),
        (session(1, 2, True, "fewer-forwards"), True),
        (session(1, 3, True, "more-forwards"), False),
    ):
        before = await current()
        etag_before = (await api.ok("GET", C + "/room_keys/version", alice))["etag"]
        reply = await api.ok("PUT", one, alice, params=params, json=candidate)
        assert (await current() == candidate["session_data"]["ciphertext"]) is wins, (candidate, before)
        assert (reply["etag"] != etag_before) is wins

    wrong = await api.request("PUT", one, alice, params={"version": old_version}, json=session(0, 0, True, "x"))
    assert wrong.status == 403 and wrong.errcode == "M_WRONG_ROOM_KEYS_VERSION"
    assert wrong.body["current_version"] == version
    assert (await api.request("PUT", one, alice, json=session(0, 0, True, "x"))).errcode == "M_MISSING_PARAM"
    bad = await api.request("PUT", one, alice, params=params, json={"first_message_index": "0"})
    assert bad.status == 400 and bad.errcode == "M_BAD_JSON"


async def test_keys_at_all_three_levels(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    version = await new_backup(api, alice)
    params = {"version": version}
    everything = {
        "rooms": {
            "!a:localhost": {"sessions": {"s1": session(0, 0, True, "a1"), "s2": session(0, 0, True, "a2")}},
            "!b:localhost": {"sessions": {"s1": session(0, 0, True, "b1")}},
        }
    }
    assert (await api.ok("PUT", C + "/room_keys/keys", alice, params=params, json=everything))["count"] == 3
    room_b = f"{C}/room_keys/keys/{q('!b:localhost')}"
    await api.ok("PUT", room_b, alice, params=params, json={"sessions": {"s9": session(0, 0, True, "b9")}})
    assert (await api.ok("GET", C + "/room_keys/version", alice))["count"] == 4

    got = await api.ok("GET", C + "/room_keys/keys", alice, params=params)
    assert set(got["rooms"]) == {"!a:localhost", "!b:localhost"}
    assert set((await api.ok("GET", room_b, alice, params=params))["sessions"]) == {"s1", "s9"}
    empty_room = await api.ok("GET", f"{C}/room_keys/keys/{q('!c:localhost')}", alice, params=params)
    assert empty_room == {"sessions": {}}
    missing = await api.request("GET", f"{room_b}/nosuch", alice, params=params)
    assert missing.status == 404 and missing.errcode == "M_NOT_FOUND"
    assert (await api.request("GET", C + "/room_keys/keys", bob, params=params)).status == 404  # Bob has none

    deleted = await api.ok("DELETE", f"{room_b}/s9", alice, params=params)
    assert deleted["count"] == 3
    assert (await api.ok("DELETE", room_b, alice, params=params))["count"] == 2
    assert (await api.ok("DELETE", C + "/room_keys/keys", alice, params=params))["count"] == 0
