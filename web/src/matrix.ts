// Building and starting the Matrix client: sync store in IndexedDB, Rust crypto (E2EE) in IndexedDB.
import { ClientEvent, createClient, HttpApiEvent, IndexedDBStore, type MatrixClient, type MatrixError, SyncState } from "matrix-js-sdk";
import type { Logger } from "matrix-js-sdk/lib/logger";
import type { Session } from "./session";
import { secretStorageCallbacks } from "./recovery";

export const SYNC_DB = "chancery-sync";
export const CRYPTO_DB_PREFIX = "chancery-crypto";

// The SDK narrates every request at debug level; the client shows failures in its own UI, so only the SDK's
// warnings and errors reach the console.
function quietLogger(): Logger {
    const logger: Logger = {
        trace() {},
        debug() {},
        info() {},
        warn: (...msg: unknown[]) => console.warn("[matrix]", ...msg),
        error: (...msg: unknown[]) => console.error("[matrix]", ...msg),
        getChild: () => logger,
    };
    return logger;
}

export async function startMatrix(session: Session): Promise<MatrixClient> {
    const store = new IndexedDBStore({ indexedDB: window.indexedDB, localStorage: window.localStorage, dbName: SYNC_DB });
    const client = createClient({
        baseUrl: session.baseUrl,
        userId: session.userId,
        deviceId: session.deviceId,
        accessToken: session.accessToken,
        store,
        timelineSupport: true,
        // No calls in this client: do not poll for TURN servers.
        disableVoip: true,
        cryptoCallbacks: secretStorageCallbacks,
        logger: quietLogger(),
    });
    await store.startup();
    await client.initRustCrypto({ cryptoDatabasePrefix: CRYPTO_DB_PREFIX });
    await client.startClient({ initialSyncLimit: 30, threadSupport: true, lazyLoadMembers: true });
    return client;
}

/** Resolves once the first sync has been processed (the room list can be shown); rejects with the server's
 * error when the stored session has been revoked. */
export function firstSync(client: MatrixClient): Promise<void> {
    return new Promise((resolve, reject) => {
        const state = client.getSyncState();
        if (state === SyncState.Prepared || state === SyncState.Syncing) {
            resolve();
            return;
        }
        const done = () => {
            client.off(ClientEvent.Sync, onSync);
            client.off(HttpApiEvent.SessionLoggedOut, onLoggedOut);
        };
        const onSync = (next: SyncState) => {
            if (next === SyncState.Prepared || next === SyncState.Syncing) {
                done();
                resolve();
            }
        };
        const onLoggedOut = (error: MatrixError) => {
            done();
            reject(error);
        };
        client.on(ClientEvent.Sync, onSync);
        client.on(HttpApiEvent.SessionLoggedOut, onLoggedOut);
    });
}
