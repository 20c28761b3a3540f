// Chancery Web in a real browser against a real Chancery: the acceptance scenarios of issue 15.
//
// Usage: node scenarios.mjs <server base URL> <artifacts dir> [scenario ...]
// Prints one JSON line per scenario: {"scenario", "ok", "error", "metrics", "screenshots", "a11y", "console"}.
// A scenario fails on any check, any console error it did not cause on purpose, and (where it runs axe)
// any serious or critical accessibility violation.
import { deflateSync } from "node:zlib";
import { Api, check, DESKTOP, eventually, launch, PHONE, Run } from "./harness.mjs";

const [base, artifacts, ...only] = process.argv.slice(2);
if (!base || !artifacts) throw new Error("usage: node scenarios.mjs <base URL> <artifacts dir> [scenario ...]");

const CLASSIFICATION_API = "/_chancery/client/v1/classification";

/** A small valid PNG (solid colour), made here so that no fixture file is needed. */
function png(width, height, [r, g, b]) {
    const crcTable = Array.from({ length: 256 }, (_, n) => {
        let c = n;
        for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
        return c >>> 0;
    });
    const crc = (bytes) => {
        let c = 0xffffffff;
        for (const byte of bytes) c = crcTable[(c ^ byte) & 0xff] ^ (c >>> 8);
        return (c ^ 0xffffffff) >>> 0;
    };
    const chunk = (type, data) => {
        const out = Buffer.alloc(12 + data.length);
        out.writeUInt32BE(data.length, 0);
        out.write(type, 4, "ascii");
        data.copy(out, 8);
        out.writeUInt32BE(crc(out.subarray(4, 8 + data.length)), 8 + data.length);
        return out;
    };
    const header = Buffer.alloc(13);
    header.writeUInt32BE(width, 0);
    header.writeUInt32BE(height, 4);
    header.set([8, 2, 0, 0, 0], 8);
    const row = Buffer.concat([Buffer.from([0]), Buffer.from(Array.from({ length: width }, () => [r, g, b]).flat())]);
    const pixels = deflateSync(Buffer.concat(Array.from({ length: height }, () => row)));
    return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), chunk("IHDR", header), chunk("IDAT", pixels), chunk("IEND", Buffer.alloc(0))]);
}

/** The test-only classification scheme (until the server's endpoint exists, it is injected into the page). */
function scheme({ clearance = { level: "SECRET", caveats: ["NATO"], expires_ts: null } } = {}) {
    return {
        levels: [
            { name: "OFFICIAL", colour: "#2e7d32", watermark: false, allow_export: true },
            { name: "SECRET", colour: "#c62828", watermark: true, allow_export: false },
            { name: "TOP SECRET", colour: "#6a1b9a", watermark: true, allow_export: false },
        ],
        caveats: ["NATO", "EU"],
        default_level: null,
        clearance,
    };
}

async function injectScheme(person, body) {
    await person.page.route(`**${CLASSIFICATION_API}`, (route) =>
        route.fulfill({ status: 200, contentType: "application/json", body: JSON.stringify(body) }),
    );
}

async function openRoom(person, name) {
    await person.page.locator(".room-entry", { hasText: name }).first().click();
    await person.page.locator(".room-header h2", { hasText: name }).waitFor();
}

async function sendText(person, text) {
    const composer = person.page.locator("#composer-main");
    await composer.fill(text);
    await composer.press("Enter");
}

function tileWithText(person, text) {
    return person.page.locator(".tile .body", { hasText: text });
}

const scenarios = {
    /** Two people sign in, talk in an encrypted room, and send each other an image. */
    async encrypted_chat(run) {
        const api = run.api;
        const aliceUser = await api.register("alice", "Alice Archer");
        const bobUser = await api.register("bob", "Bob Baker");
        const alice = await run.person("alice");
        const bob = await run.person("bob");
        run.metrics.sign_in_to_room_list_ms = await alice.signIn(aliceUser);
        await bob.signIn(bobUser);

        // Alice creates an (encrypted by default) room through the UI and invites Bob.
        await alice.page.getByRole("button", { name: "New room" }).click();
        await alice.page.locator("dialog input[name=name]").fill("Budget 2027");
        await alice.page.locator("dialog input[name=invite]").fill(bobUser.userId);
        await alice.page.getByRole("button", { name: "Create room" }).click();
        await alice.page.locator(".room-header h2", { hasText: "Budget 2027" }).waitFor();
        await alice.page.locator(".notice-tile", { hasText: "end-to-end encrypted" }).waitFor();

        // Bob accepts the invitation from his room list.
        await bob.page.locator(".invite", { hasText: "Budget 2027" }).getByRole("button", { name: "Accept" }).click();
        await bob.page.locator(".room-header h2", { hasText: "Budget 2027" }).waitFor();

        await sendText(alice, "Draft figures are ready 🔒");
        await tileWithText(bob, "Draft figures are ready 🔒").waitFor({ timeout: 30000 });
        await sendText(bob, "Thanks, reading now");
        await tileWithText(alice, "Thanks, reading now").waitFor({ timeout: 30000 });

        // The server only ever saw ciphertext.
        const roomId = await alice.page.locator(".room").getAttribute("data-room-id");
        const { json } = await api.call("GET", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/messages?dir=b&limit=20`, aliceUser.token);
        const types = json.chunk.filter((e) => e.sender === aliceUser.userId || e.sender === bobUser.userId).map((e) => e.type);
        check(types.includes("m.room.encrypted"), `no encrypted events on the server: ${types}`);
        check(!JSON.stringify(json).includes("Draft figures"), "plaintext reached the server");

        // Read receipts: Alice sees that Bob has read her message.
        await alice.page.locator(".read-by", { hasText: "Bob Baker" }).first().waitFor({ timeout: 30000 });

        // An attachment round-trips: encrypted upload, decrypted preview, download of the same bytes.
        const image = png(48, 32, [30, 90, 200]);
        await alice.page.getByTestId("attach-input").setInputFiles({ name: "chart.png", mimeType: "image/png", buffer: image });
        const preview = bob.page.locator(".attachment .preview img[alt='chart.png']");
        await preview.waitFor({ timeout: 30000 });
        await eventually("the preview to be decoded", () => preview.evaluate((img) => img.complete && img.naturalWidth === 48));
        const downloading = bob.page.waitForEvent("download");
        await bob.page.getByRole("button", { name: "Download chart.png" }).click();
        const download = await downloading;
        const chunks = [];
        for await (const part of await download.createReadStream()) chunks.push(part);
        check(Buffer.concat(chunks).equals(image), "the downloaded file differs from the uploaded one");
        check(download.suggestedFilename() === "chart.png", `download named ${download.suggestedFilename()}`);
        await alice.screenshot("room");
        await bob.screenshot("room");

        // Reloading with a stored session: time until the room list shows again.
        const started = Date.now();
        await alice.page.reload();
        await alice.page.getByTestId("room-list").waitFor({ timeout: 60000 });
        run.metrics.reload_to_room_list_ms = Date.now() - started;
        await alice.page.locator(".room-entry", { hasText: "Budget 2027" }).waitFor();
    },
};

const browser = await launch();
let failures = 0;
try {
    for (const [name, scenario] of Object.entries(scenarios)) {
        if (only.length && !only.includes(name)) continue;
        const run = new Run(base, browser, name, artifacts);
        const started = Date.now();
        let error = null;
        try {
            await scenario(run);
        } catch (e) {
            error = e instanceof Error ? `${e.message}\n${e.stack ?? ""}` : String(e);
            for (const person of run.people) await person.screenshot("failure").catch(() => undefined);
        }
        const consoleErrors = run.consoleErrors();
        const a11yViolations = Object.values(run.a11y).flat();
        const ok = error === null && consoleErrors.length === 0 && a11yViolations.length === 0;
        if (!ok) failures++;
        await run.close();
        console.log(
            JSON.stringify({ scenario: name, ok, error, seconds: (Date.now() - started) / 1000, metrics: run.metrics, screenshots: run.screenshots, a11y: run.a11y, console: consoleErrors }),
        );
    }
} finally {
    await browser.close();
}
process.exit(failures ? 1 : 0);
