// Room previews ("peeking") with matrix-js-sdk, the way Element Web previews a room before "Join the discussion".
//
// Usage: node peek.mjs <server base URL>
// Alice runs a public, world-readable room with an alias. Bob, signed in but not a member, looks the alias up
// in the room directory and peeks into the room (client.peekInRoom: GET /rooms/{id}/initialSync, then long-polls
// GET /events?room_id=...): he sees its name and timeline, and a message Alice sends while he watches. Then he
// joins through the alias and stops peeking, and the room arrives through /sync as a joined room. A room that is
// not world-readable refuses the preview with 403 M_FORBIDDEN (Element's "You can't preview" screen).
// Prints "OK" and exits 0 when everything held; any failure exits non-zero with the reason.

import { base, check, clientLogger, http, messageBodies as bodies, register, sdk, step, waitFor } from "./harness.mjs";

let bob;
try {
    step("Alice creates a public, world-readable room with an alias");
    const alice = await register("alice");
    const aliasName = `lobby${Date.now()}`;
    const alias = `#${aliasName}:localhost`;
    const { room_id: roomId } = await http("POST", "/createRoom", alice.access_token, {
        preset: "public_chat",
        visibility: "public",
        name: "Ministry lobby",
        room_alias_name: aliasName,
        initial_state: [{ type: "m.room.history_visibility", state_key: "", content: { history_visibility: "world_readable" } }],
    });
    const send = (body) =>
        http("PUT", `/rooms/${encodeURIComponent(roomId)}/send/m.room.message/${Math.random()}`, alice.access_token, {
            msgtype: "m.text",
            body,
        });
    await send("Welcome to the lobby");
    await send("Office hours are 9 to 5");

    step("Bob signs in and starts his client");
    const bobSession = await register("bob");
    bob = sdk.createClient({
        baseUrl: base,
        userId: bobSession.user_id,
        accessToken: bobSession.access_token,
        deviceId: bobSession.device_id,
        logger: clientLogger,
    });
    const prepared = new Promise((resolve) => {
        bob.on(sdk.ClientEvent.Sync, (state) => {
            if (state === "PREPARED") resolve();
        });
    });
    await bob.startClient({ initialSyncLimit: 20 });
    await prepared;

    step("Bob previews the room by its alias");
    const { room_id: resolved } = await bob.getRoomIdForAlias(alias);
    check(resolved === roomId, "the alias resolves to the room");
    const peeked = await bob.peekInRoom(resolved);
    check(peeked.roomId === roomId, "the peeked room");
    check(peeked.name === "Ministry lobby", `the preview shows the room's name (${peeked.name})`);
    const seen = bodies(peeked);
    check(seen.includes("Welcome to the lobby") && seen.includes("Office hours are 9 to 5"), `timeline ${seen}`);
    check(peeked.getMyMembership() !== "join", "Bob is not a member while previewing");

    step("a message sent while Bob watches reaches the preview");
    // "While Bob watches": once matrix-js-sdk's /events long-poll for the peeked room is running. The SDK's
    // first peek poll carries no `from` token (SyncApi.peek calls peekPoll(room) without the initialSync's
    // end), so the server rightly answers from "now": a message sent before that poll arrives is not in it.
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await send("New: the budget draft is out");
    await waitFor("the live message in the preview", () => bodies(peeked).includes("New: the budget draft is out"));

    step("Bob joins through the alias and stops peeking");
    const joined = await bob.joinRoom(alias);
    check(joined.roomId === roomId, "joined the previewed room");
    bob.stopPeeking();
    check(bob.peekSync === null, "the peek stopped");
    await waitFor("the room as joined through /sync", () => bob.getRoom(roomId)?.getMyMembership() === "join");
    await send("Glad you joined");
    await waitFor("a message after joining", () => bodies(bob.getRoom(roomId)).includes("Glad you joined"));

    step("a room that is not world-readable refuses the preview");
    const { room_id: closedRoom } = await http("POST", "/createRoom", alice.access_token, {
        preset: "public_chat",
        name: "Closed",
    });
    let refusal = null;
    try {
        await bob.peekInRoom(closedRoom);
    } catch (error) {
        refusal = error;
    }
    check(refusal !== null, "the preview was refused");
    check(refusal.httpStatus === 403 && refusal.errcode === "M_FORBIDDEN", `403 M_FORBIDDEN (${refusal})`);
    bob.stopPeeking();
    console.log("OK");
} finally {
    bob?.stopClient();
}
process.exit(0);
