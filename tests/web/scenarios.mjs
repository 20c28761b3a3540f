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
const SECRET_NATO = { level: "SECRET", caveats: ["NATO"] };

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

    /** Replies, edits, reactions, threads, deletion, typing and unread counts, between two browsers. */
    async message_actions(run) {
        const api = run.api;
        const lenaUser = await api.register("lena", "Lena Lind");
        const mikeUser = await api.register("mike", "Mike Moss");
        await api.roomWith(lenaUser, [mikeUser], {
            name: "Drafting",
            initial_state: [{ type: "m.room.encryption", state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } }],
        });
        const lena = await run.person("lena");
        const mike = await run.person("mike");
        await lena.signIn(lenaUser);
        await mike.signIn(mikeUser);
        await openRoom(lena, "Drafting");

        // An unread count in Mike's room list while he looks elsewhere; then the typing notice while Lena types.
        await sendText(lena, "first draft");
        await mike.page.locator(".room-entry", { hasText: "Drafting" }).locator(".badge", { hasText: "1" }).waitFor({ timeout: 30000 });
        await openRoom(mike, "Drafting");
        await tileWithText(mike, "first draft").waitFor({ timeout: 30000 });
        await lena.page.locator("#composer-main").fill("thinking");
        await mike.page.locator(".typing", { hasText: "Lena Lind is typing" }).waitFor({ timeout: 15000 });
        await lena.page.locator("#composer-main").fill("");

        const actionsOf = async (person, text) => {
            const tile = person.page.locator(".tile", { has: person.page.locator(".body", { hasText: text }) });
            await tile.getByRole("button", { name: "Message actions" }).click();
            return tile;
        };
        // Mike replies; Lena sees the quote.
        await (await actionsOf(mike, "first draft")).getByRole("button", { name: "Reply" }).click();
        await sendText(mike, "see my comments");
        await lena.page.locator(".tile", { hasText: "see my comments" }).locator(".reply-quote", { hasText: "first draft" }).waitFor({ timeout: 30000 });
        // Lena edits her message; Mike sees the new text marked as edited.
        await (await actionsOf(lena, "first draft")).getByRole("button", { name: "Edit" }).click();
        // The composer takes the message's text after the click's render; typing before that would be overwritten.
        await eventually("the composer to hold the text being edited", async () => (await lena.page.locator("#composer-main").inputValue()) === "first draft");
        await sendText(lena, "second draft");
        await mike.page.locator(".tile", { hasText: "second draft" }).locator("text=(edited)").waitFor({ timeout: 30000 });
        // Mike reacts; Lena sees the reaction count.
        await (await actionsOf(mike, "second draft")).getByRole("button", { name: "React 👍" }).click();
        await lena.page.locator(".tile", { hasText: "second draft" }).locator(".reaction", { hasText: "1" }).waitFor({ timeout: 30000 });
        // Lena answers in a thread; Mike sees the thread summary and opens it.
        await (await actionsOf(lena, "second draft")).getByRole("button", { name: "Thread" }).click();
        await lena.page.locator(".thread-panel").waitFor();
        const threadComposer = lena.page.locator(".thread-panel textarea");
        await threadComposer.fill("thread reply");
        await threadComposer.press("Enter");
        await mike.page.locator(".thread-summary", { hasText: "1 reply" }).waitFor({ timeout: 30000 });
        await mike.page.locator(".thread-summary").click();
        await mike.page.locator(".thread-panel .tile .body", { hasText: "thread reply" }).waitFor({ timeout: 30000 });
        check((await mike.page.locator(".room-main .timeline .body", { hasText: "thread reply" }).count()) === 0, "thread reply shown in the main timeline");
        // Mike deletes his reply; Lena sees it deleted.
        await (await actionsOf(mike, "see my comments")).getByRole("button", { name: "Delete" }).click();
        await lena.page.locator(".tile .body", { hasText: "Message deleted" }).waitFor({ timeout: 30000 });
        await lena.screenshot("actions");
        await mike.screenshot("actions");
    },

    /** Key backup with a recovery key restores history on a new device; emoji verification between two sessions. */
    async recovery_and_verification(run) {
        const api = run.api;
        const noraUser = await api.register("nora", "Nora Nyberg");
        const first = await run.person("nora-first");
        await first.signIn(noraUser);
        // The first session created the cross-signing identity; recovery adds secret storage and key backup.
        await first.page.getByRole("button", { name: "Settings" }).click();
        await first.page.locator(".settings-section", { hasText: "Cross-signing" }).locator("dd", { hasText: "ready" }).waitFor({ timeout: 30000 });
        await first.page.getByRole("button", { name: "Set up recovery" }).click();
        const recoveryKey = (await first.page.getByTestId("recovery-key").textContent({ timeout: 30000 })).trim();
        check(/^(\S{4} ){11}\S{4}$/.test(recoveryKey), `recovery key looks wrong: ${recoveryKey}`);
        await first.page.locator("dd", { hasText: "active (version" }).waitFor({ timeout: 30000 });

        run.step("recovery set up");
        // A message in an encrypted room, its key backed up by the first session.
        await first.page.getByRole("button", { name: "New room" }).click();
        await first.page.locator("dialog input[name=name]").fill("Archive");
        await first.page.getByRole("button", { name: "Create room" }).click();
        await first.page.locator(".room-header h2", { hasText: "Archive" }).waitFor();
        await sendText(first, "minutes of the 3 March meeting");
        await first.page.locator(".tile", { hasText: "minutes of the 3 March meeting" }).waitFor();
        run.step("message sent");
        await eventually("the room key in the server-side backup (the SDK uploads after a random delay)", async () => {
            const { json: backup } = await api.call("GET", "/_matrix/client/v3/room_keys/version", noraUser.token);
            const { json } = await api.call("GET", `/_matrix/client/v3/room_keys/keys?version=${backup.version}`, noraUser.token);
            return Object.keys(json.rooms ?? {}).length > 0;
        });

        run.step("message backed up");
        // A new session cannot read it until the recovery key restores the backup.
        const second = await run.person("nora-second");
        await second.signIn(noraUser);
        await openRoom(second, "Archive");
        await second.page.locator(".tile .body", { hasText: "Unable to decrypt" }).waitFor({ timeout: 30000 });
        run.step("second session cannot decrypt");
        await second.page.getByRole("button", { name: "Settings" }).click();
        await second.page.locator(".settings-section input").last().waitFor();
        await second.page.getByLabel("Recovery key").fill(recoveryKey);
        await second.page.getByRole("button", { name: "Restore" }).click();
        await second.page.locator("[role=status]", { hasText: /Restored \d+ message keys/ }).waitFor({ timeout: 30000 });
        run.step("keys restored");
        await openRoom(second, "Archive");
        await tileWithText(second, "minutes of the 3 March meeting").waitFor({ timeout: 30000 });

        run.step("history restored");
        // Emoji verification: a third session asks to be verified by the first; both compare the same emoji.
        const third = await run.person("nora-third");
        await third.signIn(noraUser);
        await third.page.getByRole("button", { name: "Settings" }).click();
        await third.page.getByRole("button", { name: "Verify with another session" }).click();
        await first.page.getByRole("dialog").getByRole("button", { name: "Accept" }).click({ timeout: 30000 });
        const emojiOf = (person) => person.page.locator("dialog .emoji-list .small").allTextContents();
        await third.page.locator("dialog .emoji-list").waitFor({ timeout: 30000 });
        await first.page.locator("dialog .emoji-list").waitFor({ timeout: 30000 });
        const [a, b] = [await emojiOf(first), await emojiOf(third)];
        check(a.length === 7 && JSON.stringify(a) === JSON.stringify(b), `emoji differ: ${a} / ${b}`);
        run.step("emoji shown");
        await third.screenshot("verification");
        await first.page.getByRole("button", { name: "They match" }).click();
        await third.page.getByRole("button", { name: "They match" }).click();
        await first.page.locator("dialog", { hasText: "Verified" }).waitFor({ timeout: 30000 });
        await third.page.locator("dialog", { hasText: "Verified" }).waitFor({ timeout: 30000 });
    },

    /** Organisation and position from the directory in the member list, the person's details and people search.
     * The profile and directory answers are the real server's, with the two directory fields added in the page
     * (the server's directory provisioning is another task). */
    async directory_fields(run) {
        const api = run.api;
        const olgaUser = await api.register("olga", "Olga Olsen");
        const paulUser = await api.register("paul", "Paul Petersen");
        await api.roomWith(olgaUser, [paulUser], { name: "Budget committee" });
        const directory = {
            [paulUser.userId]: { "org.chancery.organisation": "Ministry of Finance", "org.chancery.position": "Head of Unit" },
        };
        const olga = await run.person("olga");
        await olga.page.route("**/_matrix/client/v3/profile/*", async (route) => {
            const response = await route.fetch();
            const userId = decodeURIComponent(new URL(route.request().url()).pathname.split("/").pop());
            await route.fulfill({ response, json: { ...(await response.json()), ...(directory[userId] ?? {}) } });
        });
        await olga.page.route("**/_matrix/client/v3/user_directory/search", async (route) => {
            const response = await route.fetch();
            const body = await response.json();
            body.results = body.results.map((r) => ({ ...r, ...(directory[r.user_id] ?? {}) }));
            await route.fulfill({ response, json: body });
        });
        await olga.signIn(olgaUser);
        await openRoom(olga, "Budget committee");
        const page = olga.page;
        await page.getByRole("button", { name: "Members" }).click();
        const paulRow = page.locator(`.member[data-user-id="${paulUser.userId}"]`);
        await paulRow.locator(".member-role", { hasText: "Head of Unit, Ministry of Finance" }).waitFor();
        await paulRow.click();
        await page.locator(".user-info [data-field=position]", { hasText: "Head of Unit" }).waitFor();
        await page.locator(".user-info [data-field=organisation]", { hasText: "Ministry of Finance" }).waitFor();
        await olga.screenshot("user-info");

        await page.getByRole("button", { name: "Find people" }).click();
        await page.locator("dialog input[name=people]").fill("Petersen");
        const result = page.locator(`dialog .person[data-user-id="${paulUser.userId}"]`);
        await result.locator(".person-role", { hasText: "Head of Unit, Ministry of Finance" }).waitFor({ timeout: 15000 });
        await olga.screenshot("people-search");
        // Messaging from the search opens an encrypted direct-message room listed under direct messages.
        await result.getByRole("button", { name: "Message" }).click();
        await page.locator(".room-header h2", { hasText: "Paul Petersen" }).waitFor({ timeout: 30000 });
        await page.locator("section[aria-label='Direct messages'] .room-entry", { hasText: "Paul Petersen" }).waitFor({ timeout: 30000 });
    },

    /** A classified room: banners top and bottom in the level's colour, the watermark with the viewer's name,
     * the label on attachments, export disabled; the room-creation picker limited to the viewer's clearance.
     * All from the server: its scheme (SECRET is #c53030, watermarked, no export), Carol's clearance (SECRET
     * with NATO) and the room's state event. SECRET is above the accreditation level, so the officer accredits
     * Carol's browser before the room exists (the server never lists it to an unaccredited device). */
    async classified_room(run) {
        const api = run.api;
        const carolUser = await api.register("carol", "Carol Clerk", { clearance: SECRET_NATO, accredited: true });
        const carol = await run.person("carol");
        await carol.signIn(carolUser);
        await carol.accredit(carolUser);
        const roomId = await api.createRoom(carolUser, {
            name: "Operation Northwind",
            initial_state: [
                { type: "org.chancery.classification", state_key: "", content: { level: "SECRET", caveats: ["NATO"], handling: "Registry copies only" } },
            ],
        });
        const image = png(40, 40, [200, 60, 60]);
        const mxc = await api.upload(carolUser, image, "image/png", "map.png");
        await api.send(carolUser, roomId, "m.room.message", { msgtype: "m.image", body: "map.png", url: mxc, info: { mimetype: "image/png", size: image.length, w: 40, h: 40 } });
        await api.send(carolUser, roomId, "m.room.message", { msgtype: "m.text", body: "Briefing at 0900" });
        await openRoom(carol, "Operation Northwind");
        const page = carol.page;
        for (const position of ["top", "bottom"]) {
            const banner = page.locator(`.banner-${position}`);
            await banner.waitFor();
            const text = await banner.locator(".banner-label").textContent();
            check(text === "SECRET // NATO", `${position} banner reads ${text}`);
            const colour = await banner.evaluate((el) => getComputedStyle(el).backgroundColor);
            check(colour === "rgb(197, 48, 48)", `${position} banner colour ${colour}`);
        }
        check((await page.locator(".banner-top .banner-handling").textContent()) === "Registry copies only", "handling text missing");
        // The banners frame the room: top above the timeline, bottom below the composer.
        const top = await page.locator(".banner-top").boundingBox();
        const bottom = await page.locator(".banner-bottom").boundingBox();
        const timeline = await page.locator(".room-main .timeline").boundingBox();
        check(top.y < timeline.y && bottom.y > timeline.y + timeline.height, "banners are not above and below the timeline");

        const watermark = page.locator(".room-body > .watermark");
        await watermark.waitFor();
        const text = await watermark.getAttribute("data-watermark");
        check(text.includes("Carol Clerk") && text.includes(carolUser.userId), `watermark reads ${text}`);
        const box = await watermark.boundingBox();
        check(box.width >= timeline.width - 1 && box.height >= timeline.height - 1, "watermark does not cover the timeline");
        check((await watermark.evaluate((el) => getComputedStyle(el).backgroundImage)).startsWith('url("data:image/png'), "watermark has no tile");

        // The attachment carries the label, its preview the watermark; download and forward are disabled.
        const attachment = page.locator(".attachment");
        await attachment.locator(".label", { hasText: "SECRET // NATO" }).waitFor();
        await attachment.locator(".preview .watermark").waitFor();
        await attachment.locator("[data-export=blocked]").waitFor();
        check((await attachment.getByRole("button", { name: /Download/ }).count()) === 0, "download offered in a no-export room");
        await page.locator(".tile", { hasText: "Briefing at 0900" }).getByRole("button", { name: "Message actions" }).click();
        const menu = page.locator(".tile", { hasText: "Briefing at 0900" }).locator(".menu");
        await menu.waitFor();
        check((await menu.getByRole("button", { name: "Forward" }).count()) === 0, "forward offered in a no-export room");
        check((await menu.getByRole("button", { name: "Copy" }).count()) === 0, "copy offered in a no-export room");
        check((await page.locator(".room-main .timeline").evaluate((el) => getComputedStyle(el).userSelect)) === "none", "text selectable");
        await carol.screenshot("classified-room");

        // The picker offers levels up to the clearance (SECRET; not "Unclassified", as the scheme has a default
        // level) and only caveats the clearance holds (NATO, not EU).
        await page.getByRole("button", { name: "New room" }).click();
        const options = await page.locator("dialog select[name=level] option").allTextContents();
        check(JSON.stringify(options) === JSON.stringify(["OFFICIAL", "RESTRICTED", "CONFIDENTIAL", "SECRET"]), `levels offered: ${options}`);
        await page.locator("dialog select[name=level]").selectOption("SECRET");
        const caveats = await page.locator("dialog .caveats label").allTextContents();
        check(JSON.stringify(caveats) === JSON.stringify(["NATO"]), `caveats offered: ${caveats}`);
        await page.locator("dialog input[name=name]").fill("Northwind follow-up");
        await page.locator("dialog .caveats input").check();
        await page.getByRole("button", { name: "Create room" }).click();
        await page.locator(".room-header h2", { hasText: "Northwind follow-up" }).waitFor();
        await page.locator(".banner-top .banner-label", { hasText: "SECRET // NATO" }).waitFor();
        await carol.screenshot("picker-created");

        // A second server, without a classification scheme (its scheme endpoint answers 404): the same label is
        // only a label there, and the banner comes from the state event alone, in the neutral colour.
        const schemelessBase = process.env.CHANCERY_WEB_TEST_SCHEMELESS;
        check(schemelessBase, "CHANCERY_WEB_TEST_SCHEMELESS (a server without a scheme) is not set");
        const schemeless = new Api(schemelessBase);
        const carolThere = await schemeless.register("carol", "Carol Clerk", { clearance: null });
        await schemeless.createRoom(carolThere, {
            name: "Operation Northwind",
            initial_state: [{ type: "org.chancery.classification", state_key: "", content: { level: "SECRET", caveats: ["NATO"], handling: "" } }],
        });
        const plain = await run.person("carol-no-scheme");
        plain.allowFailure(CLASSIFICATION_API);
        await plain.signIn(carolThere, schemelessBase);
        await openRoom(plain, "Operation Northwind");
        const neutral = await plain.page.locator(".banner-top").evaluate((el) => [el.textContent, getComputedStyle(el).backgroundColor]);
        check(neutral[0].includes("SECRET // NATO") && neutral[1] === "rgb(74, 79, 87)", `banner without a scheme: ${neutral}`);
        check((await plain.page.locator(".room-body > .watermark").count()) === 0, "watermark without a scheme saying so");
    },

    /** Refusals show the server's words where the action was attempted. */
    async refused_invite(run) {
        const api = run.api;
        const daveUser = await api.register("dave", "Dave Director");
        const frank = await api.register("frank", "Frank Former");
        const roomId = await api.roomWith(daveUser, [frank], { name: "Cabinet" });
        await api.call("POST", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/ban`, daveUser.token, { user_id: frank.userId, reason: "left the ministry" });

        const dave = await run.person("dave");
        await dave.signIn(daveUser);
        await openRoom(dave, "Cabinet");
        const page = dave.page;
        await page.getByRole("button", { name: "Members" }).click();

        // A real refusal by the server: the invitee is banned.
        const inviteUrl = `/rooms/${encodeURIComponent(roomId)}/invite`;
        dave.allowFailure(inviteUrl);
        await page.locator("input[name=invitee]").fill(frank.userId);
        await page.getByRole("button", { name: "Invite", exact: true }).click();
        const alert = page.locator(".side-panel .alert");
        await alert.waitFor();
        const shown = await alert.textContent();
        const direct = await api.call("POST", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/invite`, daveUser.token, { user_id: frank.userId }, { expect: 403 });
        check(shown.includes("Invitation failed") && shown.includes(direct.json.error), `alert reads ${shown}, server said ${direct.json.error}`);

        // A real refusal for clearance: the room has the scheme's default level (OFFICIAL) and Gustav holds no
        // clearance, so the server answers 403 with org.chancery.reason "clearance"; the error text and the
        // reason are both shown.
        const uncleared = await api.register("gustav", "Gustav Guest", { clearance: null });
        await page.locator("input[name=invitee]").fill(uncleared.userId);
        await page.getByRole("button", { name: "Invite", exact: true }).click();
        const reason = page.locator(".side-panel .alert.refusal");
        await reason.waitFor();
        const reasonText = await reason.textContent();
        const { json: refusal } = await api.call("POST", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/invite`, daveUser.token, { user_id: uncleared.userId }, { expect: 403 });
        check(refusal["org.chancery.reason"] === "clearance", `the server refused for ${refusal["org.chancery.reason"]}`);
        check(reasonText.includes(refusal.error), `clearance refusal reads ${reasonText}, server said ${refusal.error}`);
        check((await reason.locator("[data-reason=clearance]").count()) === 1 && reasonText.includes("clearance"), "clearance reason not shown");
        await dave.screenshot("refused-invite");
    },

    /** A remote wipe ordered by a server administrator (made by the pytest driver with the CLI) through the
     * admin API: its org.chancery.wipe to-device message erases the browser's data and signs the device out. */
    async remote_wipe(run) {
        const api = run.api;
        const hannaUser = await api.register("hanna", "Hanna Holm");
        check(process.env.CHANCERY_WEB_TEST_ADMIN, "CHANCERY_WEB_TEST_ADMIN (an administrator's user ID) is not set");
        const admin = await api.login(process.env.CHANCERY_WEB_TEST_ADMIN);
        const hanna = await run.person("hanna");
        await hanna.signIn(hannaUser);
        const session = await hanna.session();
        check(session?.deviceId, "no stored session after sign-in");
        const before = await hanna.indexedDbNames();
        check(before.length >= 2, `expected the sync and crypto stores, found ${before}`);

        const device = `/_chancery/admin/v1/users/${encodeURIComponent(hannaUser.userId)}/devices/${encodeURIComponent(session.deviceId)}`;
        await api.call("POST", `${device}/wipe`, admin.token, { reason: "Device reported lost" });
        const wiped = hanna.page.locator("[data-screen=wiped]");
        await wiped.waitFor({ timeout: 30000 });
        check((await wiped.textContent()).includes("Device reported lost"), "wipe reason not shown");
        await eventually("IndexedDB to be empty", async () => (await hanna.indexedDbNames()).length === 0, 10000);
        const storage = await hanna.page.evaluate(() => [localStorage.length, sessionStorage.length]);
        check(storage[0] === 0 && storage[1] === 0, `web storage left: ${storage}`);
        await hanna.screenshot("wiped");
        // The device is signed out on the server, and the browser starts at the sign-in screen.
        const whoami = await api.call("GET", "/_matrix/client/v3/account/whoami", session.accessToken, undefined, { expect: null });
        check(whoami.status === 401, `the wiped device's token still works (${whoami.status})`);
        await hanna.page.reload();
        await hanna.page.locator("input[name=username]").waitFor();
    },

    /** At 375x667 nothing sticks out sideways: sign-in, room list, a classified room with long content, settings. */
    async phone_layout(run) {
        const api = run.api;
        const ivoUser = await api.register("ivo", "Ivo Ivanov-Longname-Of-The-Ministry", { clearance: { level: "SECRET", caveats: ["NATO", "EU"] }, accredited: true });
        const ivo = await run.person("ivo", PHONE);
        const results = {};
        await ivo.page.goto(run.base + "/");
        await ivo.page.locator("input[name=username]").waitFor();
        results.signin = await ivo.horizontalOverflow();
        await ivo.screenshot("signin");
        await ivo.signIn(ivoUser);
        // A SECRET room reaches accredited devices only: the officer accredits the phone before it is made.
        await ivo.accredit(ivoUser);
        const roomName = "Interdepartmental coordination group on long-term infrastructure planning";
        const roomId = await api.createRoom(ivoUser, {
            name: roomName,
            topic: "A topic long enough to be cut rather than to push the layout sideways on a phone",
            initial_state: [
                { type: "org.chancery.classification", state_key: "", content: { level: "SECRET", caveats: ["NATO", "EU"], handling: "Handle via the registry; no copies outside the ministry network" } },
            ],
        });
        await api.send(ivoUser, roomId, "m.room.message", { msgtype: "m.text", body: `A very long word: ${"x".repeat(300)} and a link https://example.invalid/${"path/".repeat(40)}` });
        await ivo.page.locator(".room-entry", { hasText: roomName }).waitFor({ timeout: 30000 });
        results.room_list = await ivo.horizontalOverflow();
        await ivo.screenshot("room-list");
        await ivo.page.locator(".room-entry").first().click();
        await ivo.page.locator(".banner-top").waitFor();
        await ivo.page.locator(".tile .body", { hasText: "A very long word" }).waitFor();
        results.room = await ivo.horizontalOverflow();
        await ivo.screenshot("room");
        await ivo.page.getByRole("button", { name: "Members" }).click();
        await ivo.page.locator(".members .member").first().waitFor();
        results.members = await ivo.horizontalOverflow();
        await ivo.screenshot("members");
        await ivo.page.getByRole("button", { name: "Close panel" }).click();
        await ivo.page.getByRole("button", { name: "Back to rooms" }).click();
        await ivo.page.getByRole("button", { name: "Settings" }).click();
        await ivo.page.locator(".settings .device").first().waitFor();
        results.settings = await ivo.horizontalOverflow();
        await ivo.screenshot("settings");
        run.metrics.overflow = results;
        for (const [screen, result] of Object.entries(results)) {
            check(result.scrollWidth <= result.clientWidth && result.bodyScrollWidth <= result.clientWidth, `${screen} scrolls sideways: ${JSON.stringify(result)}`);
            check(result.offenders.length === 0, `${screen} has elements outside the viewport: ${result.offenders.join(", ")}`);
        }
    },

    /** axe-core finds no serious or critical violation on the main screens. */
    async accessibility(run) {
        const api = run.api;
        const juliaUser = await api.register("julia", "Julia Jansen");
        const other = await api.register("karl", "Karl Keller");
        const roomId = await api.roomWith(juliaUser, [other], {
            name: "Press office",
            initial_state: [{ type: "org.chancery.classification", state_key: "", content: { level: "OFFICIAL", caveats: [], handling: "" } }],
        });
        const first = await api.send(other, roomId, "m.room.message", { msgtype: "m.text", body: "Statement draft attached below" });
        await api.send(juliaUser, roomId, "m.room.message", { msgtype: "m.text", body: "Looks good", "m.relates_to": { "m.in_reply_to": { event_id: first } } });
        await api.send(other, roomId, "m.reaction", { "m.relates_to": { rel_type: "m.annotation", event_id: first, key: "👍" } });
        await api.createRoom(other, { name: "Invitation for Julia", invite: [juliaUser.userId] });

        const julia = await run.person("julia");
        await julia.page.goto(run.base + "/");
        await julia.page.locator("input[name=username]").waitFor();
        await julia.accessibility("sign-in");
        await julia.signIn(juliaUser);
        await julia.page.locator(".invite").waitFor();
        await julia.accessibility("room list");
        await openRoom(julia, "Press office");
        await julia.page.locator(".reaction").waitFor();
        await julia.accessibility("timeline");
        await julia.page.getByRole("button", { name: "Members" }).click();
        await julia.page.locator(".members .member").first().waitFor();
        await julia.accessibility("members");
        await julia.page.getByRole("button", { name: "Settings" }).click();
        await julia.page.locator(".settings .device").first().waitFor();
        await julia.accessibility("settings");
        await julia.screenshot("settings");
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
            JSON.stringify({ scenario: name, ok, error, seconds: (Date.now() - started) / 1000, steps: run.steps, metrics: run.metrics, screenshots: run.screenshots, a11y: run.a11y, console: consoleErrors }),
        );
    }
} finally {
    await browser.close();
}
process.exit(failures ? 1 : 0);
