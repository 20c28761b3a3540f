// Remote wipe: an `org.chancery.wipe` to-device event from this homeserver erases everything this browser
// holds for the account (crypto store, sync store, local and session storage) and signs out.
import type { MatrixClient, MatrixEvent } from "matrix-js-sdk";
import { CRYPTO_DB_PREFIX } from "./matrix";

export const WIPE_EVENT = "org.chancery.wipe";

export function isWipeOrder(event: MatrixEvent, serverName: string): boolean {
    // Only this institution's server (or a person on it, e.g. an administrator) may order a wipe; a to-device
    // event relayed from another server never does.
    const sender = event.getSender() ?? "";
    return event.getType() === WIPE_EVENT && sender.endsWith(`:${serverName}`);
}

/** The server's refusal of a wiped device's token (401 with "org.chancery.wiped": true): a device that missed
 * the wipe order (closed, or the order arrived before the client listened) erases its data all the same. */
export function isWipedRefusal(error: unknown): boolean {
    if (!error || typeof error !== "object" || !("data" in error)) return false;
    const data = (error as { data?: unknown }).data;
    return !!data && typeof data === "object" && (data as Record<string, unknown>)["org.chancery.wiped"] === true;
}

async function deleteDatabase(name: string): Promise<void> {
    await new Promise<void>((resolve) => {
        const request = indexedDB.deleteDatabase(name);
        request.onsuccess = () => resolve();
        request.onerror = () => resolve();
        // Another tab holding it open: the deletion completes when it closes; do not wait here.
        request.onblocked = () => resolve();
    });
}

/** Erases every IndexedDB database and web storage of this origin. */
export async function eraseLocalData(): Promise<void> {
    const databases = await indexedDB.databases();
    await Promise.all(databases.map((db) => (db.name ? deleteDatabase(db.name) : Promise.resolve())));
    localStorage.clear();
    sessionStorage.clear();
    if ("caches" in window) {
        for (const key of await caches.keys()) await caches.delete(key);
    }
}

/** Stops the client and erases local data. No logout: the server deleted the device and its tokens in the
 * same step as it queued the order (a logout would only meet 401, which the SDK logs as an error). */
export async function wipe(client: MatrixClient): Promise<void> {
    client.stopClient();
    client.http.abort();
    try {
        // The SDK's own stores first: it knows their names (including the crypto store's prefix).
        await client.clearStores({ cryptoDatabasePrefix: CRYPTO_DB_PREFIX });
    } finally {
        await eraseLocalData();
    }
}
