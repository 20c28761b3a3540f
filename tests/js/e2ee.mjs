// End-to-end encryption against a Chancery server with matrix-js-sdk and its Rust crypto (vodozemac in WASM).
//
// Usage: node e2ee.mjs <server base URL>
// Two users exchange Megolm-encrypted messages and decrypt each other's, Alice bootstraps cross-signing
// (the first upload without user-interactive auth, a replacement with it), creates a server-side key
// backup that her client fills, and a new device of hers restores an old message's key from that backup.
// Prints "OK" and exits 0 when everything held; any failure exits non-zero with the reason.

import { PASSWORD, base, check, clientLogger, http, sdk, step, waitFor } from "./harness.mjs";

async function startClient(session, name) {
    const client = sdk.createClient({
        baseUrl: base,
        userId: session.user_id,
        accessToken: session.access_token,
        deviceId: session.device_id,
        logger: clientLogger,
    });
    await client.initRustCrypto({ cryptoDatabasePrefix: `chancery-test-${name}` });
    const prepared = new Promise((resolve) => {
        client.on(sdk.ClientEvent.Sync, (state) => {
            if (state === "PREPARED") resolve();
        });
    });
    await client.startClient({ initialSyncLimit: 20 });
    await prepared;
    return client;
}

async function newUser(name) {
    const session = await http("POST", "/register", null, {
        username: `${name}${Date.now()}${Math.floor(Math.random() * 1e6)}`,
        password: PASSWORD,
        auth: { type: "m.login.dummy" },
    });
    return { session, client: await startClient(session, `${name}-${session.device_id}`) };
}

function decryptedBodies(client, roomId) {
    const room = client.getRoom(roomId);
    if (!room) return [];
    return room
        .getLiveTimeline()
        .getEvents()
        .filter((e) => e.isEncrypted() && !e.isDecryptionFailure() && e.getType() === "m.room.message")
        .map((e) => e.getContent().body);
}

async function receives(client, roomId, body) {
    await waitFor(`${client.getUserId()} to decrypt "${body}"`, () => decryptedBodies(client, roomId).includes(body));
}

function passwordAuth(userId, session) {
    return { type: "m.login.password", identifier: { type: "m.id.user", user: userId }, password: PASSWORD, session };
}

async function bootstrapCrossSigning(client, userId, options = {}) {
    let neededAuth = false;
    await client.getCrypto().bootstrapCrossSigning({
        ...options,
        authUploadDeviceSigningKeys: async (makeRequest) => {
            try {
                await makeRequest(null);
            } catch (error) {
                if (error.httpStatus !== 401 || !error.data?.flows) throw error;
                neededAuth = true;
                await makeRequest(passwordAuth(userId, error.data.session));
            }
        },
    });
    return neededAuth;
}

const clients = [];
try {
    step("registering Alice and Bob");
    const alice = await newUser("alice");
    const bob = await newUser("bob");
    clients.push(alice.client, bob.client);
    const aliceId = alice.session.user_id;
    const bobId = bob.session.user_id;

    step("creating an encrypted room");
    const { room_id: roomId } = await alice.client.createRoom({
        name: "Ministry",
        invite: [bobId],
        initial_state: [{ type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } }],
    });
    await waitFor("Bob's invite", () => bob.client.getRoom(roomId));
    await bob.client.joinRoom(roomId);
    await waitFor("Alice to see Bob join", () => alice.client.getRoom(roomId)?.getMember(bobId)?.membership === "join");
    check(alice.client.getCrypto().isEncryptionEnabledInRoom, "crypto API available");
    check(await alice.client.getCrypto().isEncryptionEnabledInRoom(roomId), "the room is encrypted for Alice");

    step("exchanging Megolm messages");
    await alice.client.sendTextMessage(roomId, "Budget approved");
    await receives(bob.client, roomId, "Budget approved");
    await bob.client.sendTextMessage(roomId, "Acknowledged");
    await receives(alice.client, roomId, "Acknowledged");
    const stored = await http("GET", `/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=20`, bob.session.access_token);
    const sentTypes = stored.chunk.filter((e) => e.sender !== bobId || e.type !== "m.room.member").map((e) => e.type);
    check(sentTypes.includes("m.room.encrypted") && !sentTypes.includes("m.room.message"), "the server holds ciphertext only");
    check(!JSON.stringify(stored).includes("Budget"), "no plaintext on the server");

    step("bootstrapping cross-signing");
    const firstNeededAuth = await bootstrapCrossSigning(alice.client, aliceId);
    check(!firstNeededAuth, "the first cross-signing upload needs no user-interactive auth");
    check(await alice.client.getCrypto().isCrossSigningReady(), "Alice's cross-signing is ready");
    await waitFor("Alice's client to see her device signed by her self-signing key", async () => {
        const status = await alice.client.getCrypto().getDeviceVerificationStatus(aliceId, alice.session.device_id);
        return status?.crossSigningVerified;
    });
    const query = await http("POST", "/keys/query", bob.session.access_token, { device_keys: { [aliceId]: [] } });
    check(query.master_keys[aliceId] && query.self_signing_keys[aliceId], "Bob can fetch Alice's cross-signing keys");
    check(!query.user_signing_keys[aliceId], "Alice's user-signing key is not shown to Bob");
    const ssk = Object.keys(query.self_signing_keys[aliceId].keys)[0];
    check(query.device_keys[aliceId][alice.session.device_id].signatures[aliceId][ssk], "the SSK signature is visible");
    await waitFor("Bob to see Alice's cross-signing identity", async () => {
        const identity = await bob.client.getCrypto().getUserVerificationStatus(aliceId);
        return identity && !identity.isVerified();
    });
    const replacementNeededAuth = await bootstrapCrossSigning(alice.client, aliceId, { setupNewCrossSigning: true });
    check(replacementNeededAuth, "replacing cross-signing keys requires user-interactive auth");
    check(await alice.client.getCrypto().isCrossSigningReady(), "still ready after replacing the keys");

    step("creating a server-side key backup");
    await alice.client.getCrypto().resetKeyBackup();
    const version = await alice.client.getCrypto().getActiveSessionBackupVersion();
    check(version, "Alice's client has an active backup");
    const backedUp = await waitFor(
        "Alice's client to upload her room keys",
        async () => {
            const info = await http("GET", "/room_keys/version", alice.session.access_token);
            return info.count >= 2 ? info : null; // her outbound session and Bob's inbound one
        },
        45000,
    );
    check(backedUp.version === version && backedUp.algorithm === "m.megolm_backup.v1.curve25519-aes-sha2", "backup info");
    const trust = await alice.client.getCrypto().isKeyBackupTrusted(await alice.client.getCrypto().getKeyBackupInfo());
    check(trust.trusted, "the backup's auth_data signature is trusted by Alice's client");

    step("restoring keys from the backup on a new device");
    const login = await http("POST", "/login", null, {
        type: "m.login.password",
        identifier: { type: "m.id.user", user: aliceId },
        password: PASSWORD,
    });
    const laptop = await startClient(login, `alice-laptop-${login.device_id}`);
    clients.push(laptop);
    const backupKey = await alice.client.getCrypto().getSessionBackupPrivateKey();
    check(backupKey, "Alice's first device knows the backup decryption key");
    await laptop.getCrypto().storeSessionBackupPrivateKey(backupKey, version);
    const restored = await laptop.getCrypto().restoreKeyBackup();
    check(restored.imported >= 2, `keys imported from the backup (${JSON.stringify(restored)})`);
    await waitFor("the laptop to see the room", () => laptop.getRoom(roomId));
    await waitFor("the laptop to decrypt history from the backup", async () => {
        for (const event of laptop.getRoom(roomId).getLiveTimeline().getEvents()) {
            if (event.isDecryptionFailure()) await event.attemptDecryption(laptop.getCrypto(), { isRetry: true });
        }
        const bodies = decryptedBodies(laptop, roomId);
        return bodies.includes("Budget approved") && bodies.includes("Acknowledged");
    });

    step("new messages reach the new device too");
    await bob.client.sendTextMessage(roomId, "Welcome, laptop");
    await receives(laptop, roomId, "Welcome, laptop");
    console.log("OK");
} finally {
    for (const client of clients) client.stopClient();
}
process.exit(0);
