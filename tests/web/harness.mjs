// Browser-test harness for Chancery Web: Debian's Chromium driven by playwright-core, users made through
// the client-server API (cleared, and their devices accredited, by the server's security officer), console
// errors collected, axe-core injected, screenshots saved.
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

export const PASSWORD = "correct horse battery";
export const CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-quic",
    "--no-first-run",
    "--disable-component-update",
    "--disable-sync",
];
export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 375, height: 667 };
/** What register() gives everyone by default: the scheme's default level, without which nobody may create a room. */
export const DEFAULT_CLEARANCE = { level: "OFFICIAL", caveats: [] };

export class Failure extends Error {}

export function check(condition, message) {
    if (!condition) throw new Failure(message);
}

export function launch() {
    return chromium.launch({ executablePath: process.env.CHROMIUM ?? "/usr/bin/chromium", args: CHROMIUM_ARGS, headless: true });
}

/** The client-server API as a test user (no browser). */
export class Api {
    constructor(base) {
        this.base = base;
        this.officerSession = null;
    }

    /** The security officer the pytest driver made (CHANCERY_WEB_TEST_OFFICER), signed in once. */
    officer() {
        const userId = process.env.CHANCERY_WEB_TEST_OFFICER;
        check(userId, "CHANCERY_WEB_TEST_OFFICER (a security officer's user ID) is not set");
        this.officerSession ??= this.login(userId, process.env.CHANCERY_WEB_TEST_OFFICER_PASSWORD);
        return this.officerSession;
    }

    /** The officer sets `user`'s clearance, e.g. { level: "SECRET", caveats: ["NATO"] }. */
    async clear(user, clearance) {
        await this.call("PUT", `/_chancery/admin/v1/clearances/${encodeURIComponent(user.userId)}`, (await this.officer()).token, clearance);
    }

    /** The officer accredits one of `user`'s devices (needed for rooms above RESTRICTED). */
    async accredit(user, deviceId) {
        const path = `/_chancery/admin/v1/users/${encodeURIComponent(user.userId)}/devices/${encodeURIComponent(deviceId)}/accreditation`;
        await this.call("PUT", path, (await this.officer()).token);
    }

    async call(method, path, token, body, { expect = 200 } = {}) {
        const response = await fetch(`${this.base}${path}`, {
            method,
            headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
            body: body === undefined ? undefined : typeof body === "string" || body instanceof Uint8Array ? body : JSON.stringify(body),
        });
        const text = await response.text();
        const json = text ? JSON.parse(text) : {};
        if (expect !== null && response.status !== expect) throw new Error(`${method} ${path}: ${response.status} ${text}`);
        return { status: response.status, json };
    }

    /** A new person with `clearance` (null: none) whose API device is accredited if `accredited`. */
    async register(prefix, displayName, { clearance = DEFAULT_CLEARANCE, accredited = false } = {}) {
        const username = `${prefix}${Math.random().toString(36).slice(2, 8)}`;
        const { json } = await this.call("POST", "/_matrix/client/v3/register", null, {
            username,
            password: PASSWORD,
            auth: { type: "m.login.dummy" },
            initial_device_display_name: "test API",
        });
        const user = { userId: json.user_id, token: json.access_token, deviceId: json.device_id, displayName };
        if (displayName) {
            await this.call("PUT", `/_matrix/client/v3/profile/${encodeURIComponent(user.userId)}/displayname`, user.token, { displayname: displayName });
        }
        if (clearance) await this.clear(user, clearance);
        if (accredited) await this.accredit(user, user.deviceId);
        return user;
    }

    /** Signs in an existing account (made with the CLI, e.g. an administrator). */
    async login(userId, password = PASSWORD) {
        const { json } = await this.call("POST", "/_matrix/client/v3/login", null, {
            type: "m.login.password",
            identifier: { type: "m.id.user", user: userId },
            password,
        });
        return { userId: json.user_id, token: json.access_token, deviceId: json.device_id };
    }

    async createRoom(user, body) {
        return (await this.call("POST", "/_matrix/client/v3/createRoom", user.token, body)).json.room_id;
    }

    /** A room made by `owner` that each of `members` has joined. */
    async roomWith(owner, members, body) {
        const roomId = await this.createRoom(owner, { ...body, invite: members.map((m) => m.userId) });
        for (const member of members) await this.call("POST", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/join`, member.token, {});
        return roomId;
    }

    async send(user, roomId, type, content) {
        const txn = Math.random().toString(36).slice(2);
        return (await this.call("PUT", `/_matrix/client/v3/rooms/${encodeURIComponent(roomId)}/send/${type}/${txn}`, user.token, content)).json.event_id;
    }

    async upload(user, bytes, contentType, name) {
        const response = await fetch(`${this.base}/_matrix/media/v3/upload?filename=${encodeURIComponent(name)}`, {
            method: "POST",
            headers: { "content-type": contentType, authorization: `Bearer ${user.token}` },
            body: bytes,
        });
        check(response.ok, `upload failed: ${response.status}`);
        return (await response.json()).content_uri;
    }
}

/** One browser context (a person's browser) with its console watched. */
export class Person {
    constructor(name, context, page, run) {
        this.name = name;
        this.context = context;
        this.page = page;
        this.run = run;
        this.consoleErrors = [];
        // Probes the SDK makes on start whose 404 is the protocol's answer, not a fault: no key backup yet,
        // and no MatrixRTC transports (MSC4143).
        this.allowedFailures = ["/_matrix/client/v3/room_keys/version", "/org.matrix.msc4143/rtc/transports"];
        page.on("console", (message) => {
            if (message.type() !== "error") return;
            const url = message.location()?.url ?? "";
            if (message.text().startsWith("Failed to load resource") && this.allowedFailures.some((allowed) => url.includes(allowed))) return;
            this.consoleErrors.push(`${message.text()} (${url})`);
        });
        page.on("pageerror", (error) => this.consoleErrors.push(`page error: ${error.message}`));
    }

    /** A failed request the test causes on purpose (the browser logs every 4xx as a console error). */
    allowFailure(urlPart) {
        this.allowedFailures.push(urlPart);
    }

    /** Signs in through the sign-in screen of the server at `base` (the run's server unless given). */
    async signIn(user, base = this.run.base) {
        const { page } = this;
        await page.goto(base + "/");
        await page.locator("input[name=username]").fill(user.userId);
        await page.locator("input[name=password]").fill(PASSWORD);
        const started = Date.now();
        await page.getByRole("button", { name: "Sign in" }).click();
        await page.getByTestId("room-list").waitFor({ timeout: 60000 });
        return Date.now() - started;
    }

    async session() {
        return this.page.evaluate(() => JSON.parse(localStorage.getItem("chancery.session") ?? "null"));
    }

    /** The officer accredits this browser's device (signed in as `user`), as after checking it in person. */
    async accredit(user) {
        const session = await this.session();
        check(session?.deviceId, "no stored session to accredit");
        await this.run.api.accredit(user, session.deviceId);
    }

    async screenshot(label) {
        const path = join(this.run.artifacts, `${this.run.scenario}-${this.name}-${label}.png`);
        await this.page.screenshot({ path, fullPage: false });
        this.run.screenshots.push(path);
        return path;
    }

    /** axe-core's serious and critical violations on the current screen. */
    async accessibility(screen) {
        // Evaluated through the DevTools protocol, which the page's Content-Security-Policy does not govern.
        await this.page.evaluate(`${AXE_SOURCE};0`);
        const result = await this.page.evaluate(async () => {
            const report = await window.axe.run(document, { resultTypes: ["violations"] });
            if (report.passes.length + report.incomplete.length + report.violations.length === 0) return [{ id: "axe-did-not-run" }];
            return report.violations
                .filter((v) => v.impact === "serious" || v.impact === "critical")
                .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(" ")) }));
        });
        this.run.a11y[`${this.name}:${screen}`] = result;
        return result;
    }

    /** Elements sticking out of the viewport sideways, and whether the page itself scrolls sideways. */
    async horizontalOverflow() {
        return this.page.evaluate(() => {
            const root = document.documentElement;
            const offenders = [];
            for (const element of document.body.querySelectorAll("*")) {
                if (element.closest(".visually-hidden")) continue;
                const rect = element.getBoundingClientRect();
                if (rect.width === 0 || rect.height === 0) continue;
                if (rect.right > window.innerWidth + 1 || rect.left < -1) {
                    offenders.push(`${element.tagName.toLowerCase()}.${[...element.classList].join(".")} [${Math.round(rect.left)}, ${Math.round(rect.right)}]`);
                }
            }
            return { scrollWidth: root.scrollWidth, clientWidth: root.clientWidth, bodyScrollWidth: document.body.scrollWidth, offenders: offenders.slice(0, 10) };
        });
    }

    async indexedDbNames() {
        return this.page.evaluate(async () => (await indexedDB.databases()).map((db) => db.name));
    }
}

/** State shared by one scenario run. */
export class Run {
    constructor(base, browser, scenario, artifacts) {
        this.base = base;
        this.browser = browser;
        this.scenario = scenario;
        this.artifacts = artifacts;
        this.api = new Api(base);
        this.people = [];
        this.screenshots = [];
        this.metrics = {};
        this.a11y = {};
        this.started = Date.now();
        this.steps = [];
        mkdirSync(artifacts, { recursive: true });
    }

    /** Records how far into the scenario a step ended (printed with the result, to see where time goes). */
    step(label) {
        this.steps.push(`${((Date.now() - this.started) / 1000).toFixed(1)}s ${label}`);
    }

    async person(name, viewport = DESKTOP) {
        const context = await this.browser.newContext({ viewport, acceptDownloads: true });
        const page = await context.newPage();
        const person = new Person(name, context, page, this);
        this.people.push(person);
        return person;
    }

    consoleErrors() {
        return this.people.flatMap((p) => p.consoleErrors.map((e) => `${p.name}: ${e}`));
    }

    async close() {
        for (const person of this.people) await person.context.close().catch(() => undefined);
    }
}

/** Polls `condition` (which may throw) until it returns a truthy value. */
export async function eventually(what, condition, timeoutMs = 30000) {
    const deadline = Date.now() + timeoutMs;
    let last;
    for (;;) {
        try {
            const value = await condition();
            if (value) return value;
        } catch (error) {
            last = error;
        }
        if (Date.now() > deadline) throw new Failure(`timed out waiting for ${what}${last ? `: ${last.message}` : ""}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
    }
}
