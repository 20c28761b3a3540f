// matrix-js-sdk's sliding sync client (SlidingSync + SlidingSyncSdk) against Chancery's simplified sliding sync.
//
// Usage: node sliding_sync.mjs <server base URL>
// Alice is in three named rooms; Bob shares one of them. Alice's client starts with a sliding sync list of
// her 20 most recent rooms and builds its rooms from the responses (names, timelines, member counts). Bob
// then writes in the shared room: the long-poll wakes, the message lands in Alice's timeline and counts as
// unread. Prints "OK" and exits 0 when everything held; any failure exits non-zero with the reason.

import { base, check, clientLogger, http, messageBodies as bodies, register, sdk, step, waitFor } from "./harness.mjs";

const { SlidingSync } = await import("matrix-js-sdk/lib/sliding-sync.js");

let client;
try {
    step("Alice creates three rooms; Bob joins the second");
    const alice = await register("alice");
    const bob = await register("bob");
    const rooms = [];
    for (const name of ["Budget", "Procurement", "Archive"]) {
        const { room_id: roomId } = await http("POST", "/createRoom", alice.access_token, { preset: "public_chat", name });
        rooms.push(roomId);
    }
    const shared = rooms[1];
    await http("POST", `/join/${encodeURIComponent(shared)}`, bob.access_token, {});

    step("Alice's client starts sliding sync with a list of her 20 most recent rooms");
    client = sdk.createClient({
        baseUrl: base,
        userId: alice.user_id,
        accessToken: alice.access_token,
        deviceId: alice.device_id,
        logger: clientLogger,
    });
    const lists = new Map([
        [
            "all_rooms",
            {
                ranges: [[0, 19]],
                timeline_limit: 5,
                required_state: [
                    ["m.room.name", ""],
                    ["m.room.create", ""],
                    ["m.room.member", "$LAZY"],
                ],
            },
        ],
    ]);
    const slidingSync = new SlidingSync(base, lists, { timeline_limit: 5, required_state: [["*", "*"]] }, client, 10000);
    await client.startClient({ slidingSync });
    await waitFor("the three rooms", () => rooms.every((id) => client.getRoom(id)?.name));
    const names = rooms.map((id) => client.getRoom(id).name);
    check(JSON.stringify(names) === JSON.stringify(["Budget", "Procurement", "Archive"]), `room names ${names}`);
    check(client.getRoom(shared).getJoinedMemberCount() === 2, "two members in the shared room");

    step("Bob writes in the shared room; Alice's long-poll brings it");
    await http("PUT", `/rooms/${encodeURIComponent(shared)}/send/m.room.message/t1`, bob.access_token, {
        msgtype: "m.text",
        body: "Tender documents are ready",
    });
    await waitFor("Bob's message", () => bodies(client.getRoom(shared)).includes("Tender documents are ready"));
    await waitFor("the unread count", () => client.getRoom(shared).getUnreadNotificationCount() === 1);
    console.log("OK");
    client.stopClient();
    slidingSync.stop();
    process.exit(0);
} catch (error) {
    console.error(error);
    client?.stopClient();
    process.exit(1);
}
