// What every matrix-js-sdk scenario against a Chancery server needs: the SDK loaded the way Node 20 can run
// it, the server's URL from the command line, quiet SDK logging, and small step/check/wait/HTTP helpers.

// matrix-js-sdk uses Promise.withResolvers (Node >= 22); Node 20 needs it provided before the SDK loads.
if (typeof Promise.withResolvers !== "function") {
    Promise.withResolvers = function withResolvers() {
        let resolve;
        let reject;
        const promise = new Promise((res, rej) => {
            resolve = res;
            reject = rej;
        });
        return { promise, resolve, reject };
    };
}
// The Rust crypto stores its keys in IndexedDB, which Node lacks.
await import("fake-indexeddb/auto");
export const sdk = await import("matrix-js-sdk");
// The SDK logs every request at debug level; keep the output to our steps unless JS_SDK_DEBUG is set.
const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, getChild: () => quiet };
export const clientLogger = process.env.JS_SDK_DEBUG ? undefined : quiet;

export const base = process.argv[2];
if (!base) throw new Error(`usage: node ${process.argv[1]} <server base URL>`);
export const PASSWORD = "correct horse battery";
export const C = `${base}/_matrix/client/v3`;
const started = Date.now();

export function step(text) {
    console.log(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${text}`);
}

export function check(condition, message) {
    if (!condition) throw new Error(`check failed: ${message}`);
}

export async function http(method, path, token, body) {
    const response = await fetch(`${C}${path}`, {
        method,
        headers: { "content-type": "application/json", ...(token ? { authorization: `Bearer ${token}` } : {}) },
        body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await response.json();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${JSON.stringify(json)}`);
    return json;
}

export async function waitFor(what, condition, timeoutMs = 30000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const value = await condition();
        if (value) return value;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
    }
}

// A new account with the dummy registration flow (the test server has open registration).
export async function register(name) {
    return http("POST", "/register", null, {
        username: `${name}${Date.now()}${Math.floor(Math.random() * 1e6)}`,
        password: PASSWORD,
        auth: { type: "m.login.dummy" },
    });
}

// The bodies of the text messages in a room's live timeline, oldest first.
export function messageBodies(room) {
    return room
        .getLiveTimeline()
        .getEvents()
        .filter((e) => e.getType() === "m.room.message")
        .map((e) => e.getContent().body);
}
