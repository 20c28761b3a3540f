"""Invite permission (client-server API v1.18): a person who blocks invites gets none, by any path."""

from __future__ import annotations

from tests.client import Api, C, User, q

CONFIG = "m.invite_permission_config"


async def set_config(api: Api, user: User, content: dict[str, str]) -> None:
    await api.ok("PUT", f"{C}/user/{q(user.user_id)}/account_data/{CONFIG}", user, json=content)


async def test_blocked_invites_are_refused_on_every_path_and_hidden_from_sync(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    early = await api.create_room(alice)
    await api.ok("POST", f"{C}/rooms/{q(early)}/invite", alice, json={"user_id": bob.user_id})
    await set_config(api, bob, {"default_action": "block"})
    room = await api.create_room(alice)
    for method, path, body in (
        ("POST", f"{C}/rooms/{q(room)}/invite", {"user_id": bob.user_id}),
        ("POST", C + "/createRoom", {"invite": [bob.user_id]}),
    ):
        reply = await api.request(method, path, alice, json=body)
        assert (reply.status, reply.errcode) == (403, "M_INVITE_BLOCKED"), (path, reply)
    # The invite made before blocking is not shown either.
    assert early not in (await api.sync(bob)).get("rooms", {}).get("invite", {})
    await set_config(api, bob, {})
    await api.ok("POST", f"{C}/rooms/{q(room)}/invite", alice, json={"user_id": bob.user_id})
    invited = (await api.sync(bob))["rooms"]["invite"]
    assert room in invited and early in invited
