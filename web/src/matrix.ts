// Building and starting the Matrix client: sync store in IndexedDB, Rust crypto (E2EE) in IndexedDB.
import { ClientEvent, createClient, IndexedDBStore, type MatrixClient, SyncState } from "matrix-js-sdk";
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

/** Resolves once the first sync has been processed (the room list can be shown). */
export function firstSync(client: MatrixClient): Promise<void> {
    return new Promise((resolve, reject) => {
        const state = client.getSyncState();
        if (state === SyncState.Prepared || state === SyncState.Syncing) {
            resolve();
            return;
        }
        const onSync = (next: SyncState, _prev: SyncState | null, data?: { error?: Error }) => {
            if (next === SyncState.Prepared || next === SyncState.Syncing) {
                client.off(ClientEvent.Sync, onSync);
                resolve();
            } else if (next === SyncState.Error && data?.error && "errcode" in data.error && data.error.errcode === "M_UNKNOWN_TOKEN") {
                client.off(ClientEvent.Sync, onSync);
                reject(data.error);
            }
        };
        client.on(ClientEvent.Sync, onSync);
    });
}
