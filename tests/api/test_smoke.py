from tests.client import Api, C


async def test_versions_and_unknown_endpoint(api: Api) -> None:
    body = await api.ok("GET", "/_matrix/client/versions")
    assert "v1.11" in body["versions"]
    reply = await api.request("GET", "/_matrix/client/v3/nonexistent")
    assert reply.status == 404 and reply.errcode == "M_UNRECOGNIZED"


async def test_message_reaches_other_member(api: Api) -> None:
    alice, bob = await api.register(), await api.register()
    room = await api.create_room(alice, invite=[bob.user_id])
    await api.join(bob, room)
    first = await api.sync(bob)
    event_id = await api.send(alice, room, "hello bob")
    later = await api.sync(bob, first["next_batch"], timeout=5000)
    events = later["rooms"]["join"][room]["timeline"]["events"]
    assert [e["event_id"] for e in events] == [event_id]
    assert (await api.request("GET", C + "/sync")).errcode == "M_MISSING_TOKEN"
