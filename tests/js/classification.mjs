// A classified room with matrix-js-sdk: the classification state reaches the client through /sync, and a
// refused invite arrives as a MatrixError carrying the institution's reason.
//
// Usage: OFFICER_TOKEN=... node classification.mjs <server base URL>
// (a server with a [classification] scheme; OFFICER_TOKEN is a security officer's access token).
// Alice is cleared for SECRET//NATO and her device accredited; she creates a SECRET//NATO room through the SDK
// and sees its classification in the room's state; inviting Bob, who holds no clearance, is refused with
// 403 M_FORBIDDEN and "org.chancery.reason": "clearance". Prints "OK" and exits 0 when everything held.

import { PASSWORD, base, check, clientLogger, http, sdk, step, waitFor } from "./harness.mjs";

const CLASSIFICATION = "org.chancery.classification";
const officer = process.env.OFFICER_TOKEN;
if (!officer) throw new Error("OFFICER_TOKEN is required");

async function admin(method, path, body) {
    const response = await fetch(`${base}/_chancery/admin/v1${path}`, {
        method,
        headers: { "content-type": "application/json", authorization: `Bearer ${officer}` },
        body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`);
}

async function register(name) {
    return http("POST", "/register", null, {
        username: `${name}${Date.now()}${Math.floor(Math.random() * 1e6)}`,
        password: PASSWORD,
        auth: { type: "m.login.dummy" },
    });
}

let alice;
try {
    step("Alice is cleared for SECRET//NATO on an accredited device");
    const session = await register("alice");
    const user = encodeURIComponent(session.user_id);
    await admin("PUT", `/clearances/${user}`, { level: "SECRET", caveats: ["NATO"] });
    await admin("PUT", `/users/${user}/devices/${encodeURIComponent(session.device_id)}/accreditation`);
    alice = sdk.createClient({
        baseUrl: base,
        userId: session.user_id,
        accessToken: session.access_token,
        deviceId: session.device_id,
        logger: clientLogger,
    });
    await alice.startClient({ initialSyncLimit: 10 });

    step("she creates a classified room and sees its classification in the room's state");
    const marking = { level: "SECRET", caveats: ["NATO"], handling: "Eyes only" };
    const { room_id: roomId } = await alice.createRoom({
        name: "Operations",
        initial_state: [{ type: CLASSIFICATION, state_key: "", content: marking }],
    });
    const room = await waitFor("the room through /sync", () => alice.getRoom(roomId));
    const event = await waitFor("the classification state", () => room.currentState.getStateEvents(CLASSIFICATION, ""));
    const content = event.getContent();
    check(content.level === "SECRET" && content.caveats.join() === "NATO", `classification ${JSON.stringify(content)}`);

    step("inviting someone without a clearance is refused with the reason");
    const bob = await register("bob");
    let refusal = null;
    try {
        await alice.invite(roomId, bob.user_id);
    } catch (error) {
        refusal = error;
    }
    check(refusal instanceof sdk.MatrixError, `a MatrixError (${refusal})`);
    check(refusal.httpStatus === 403 && refusal.errcode === "M_FORBIDDEN", `403 M_FORBIDDEN (${refusal})`);
    check(refusal.data["org.chancery.reason"] === "clearance", `the reason (${JSON.stringify(refusal.data)})`);
    check(refusal.data.error === "Not cleared for SECRET", `a readable message (${refusal.data.error})`);
    console.log("OK");
} finally {
    alice?.stopClient();
}
process.exit(0);
