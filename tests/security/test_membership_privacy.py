"""Someone outside a room learns nothing about its members from the answers of membership endpoints."""

from __future__ import annotations

from tests.client import Api, C, q


async def test_kick_and_unban_by_an_outsider_do_not_reveal_who_is_in_the_room(api: Api) -> None:
    owner, member, banned, stranger, outsider = [await api.register() for _ in range(5)]
    room = await api.create_room(owner, preset="private_chat")
    for user in (member, banned):
        await api.ok("POST", f"{C}/rooms/{q(room)}/invite", owner, json={"user_id": user.user_id})
        await api.join(user, room)
    await api.ok("POST", f"{C}/rooms/{q(room)}/ban", owner, json={"user_id": banned.user_id})
    for action in ("kick", "unban"):
        answers = []
        for target in (member, banned, stranger):
            reply = await api.request(
                "POST", f"{C}/rooms/{q(room)}/{action}", outsider, json={"user_id": target.user_id}
            )
            answers.append((reply.status, reply.body))
        assert answers[0][0] == 403 and answers[0][1]["errcode"] == "M_FORBIDDEN", answers
        assert answers[0] == answers[1] == answers[2], (action, answers)
    # Members still kick and unban as before.
    await api.ok("POST", f"{C}/rooms/{q(room)}/unban", owner, json={"user_id": banned.user_id})
    await api.ok("POST", f"{C}/rooms/{q(room)}/kick", owner, json={"user_id": member.user_id})
    not_in = await api.request("POST", f"{C}/rooms/{q(room)}/kick", owner, json={"user_id": stranger.user_id})
    assert (not_in.status, not_in.errcode) == (403, "M_FORBIDDEN")
