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


async def test_every_supported_room_version_can_be_created_and_used(api: Api) -> None:
    alice = await api.register()
    for version in ("10", "11", "12"):
        room = await api.create_room(alice, room_version=version, name=f"v{version}")
        await api.send(alice, room, f"hello in v{version}")
        create = await api.ok("GET", f"{C}/rooms/{room}/state/m.room.create/", alice)
        assert create["room_version"] == version
        assert ("creator" in create) == (version == "10")
        if version == "12":
            assert ":" not in room
        else:
            assert room.endswith(":localhost")


async def test_identical_rooms_created_at_once_get_distinct_ids(api: Api) -> None:
    import asyncio

    alice = await api.register()
    rooms = await asyncio.gather(*(api.create_room(alice, preset="private_chat") for _ in range(10)))
    assert len(set(rooms)) == 10
