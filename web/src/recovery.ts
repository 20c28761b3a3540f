// Cross-signing, secret storage and key backup with a recovery key (the person writes it down once).
import type { MatrixClient } from "matrix-js-sdk";
import { type CryptoCallbacks, decodeRecoveryKey, type GeneratedSecretStorageKey } from "matrix-js-sdk/lib/crypto-api";
import type { SecretStorageKeyDescription } from "matrix-js-sdk/lib/secret-storage";
import { ask } from "./prompts";
import { withPassword } from "./uia";

// Secret-storage keys this session knows (created here or entered by the person), by key ID.
const knownKeys = new Map<string, Uint8Array<ArrayBuffer>>();
let pendingKey: Uint8Array<ArrayBuffer> | null = null;

export const secretStorageCallbacks: CryptoCallbacks = {
    async getSecretStorageKey({ keys }) {
        for (const keyId of Object.keys(keys)) {
            const known = knownKeys.get(keyId);
            if (known) return [keyId, known];
        }
        const [keyId] = Object.keys(keys);
        if (keyId === undefined) return null;
        let key = pendingKey;
        pendingKey = null;
        if (key === null) {
            const text = await ask("recovery-key", "Enter your recovery key", "Needed to unlock your message history on this device.");
            if (text === null) return null;
            key = decodeRecoveryKey(text.trim());
        }
        knownKeys.set(keyId, key);
        return [keyId, key];
    },
    cacheSecretStorageKey(keyId: string, _info: SecretStorageKeyDescription, key: Uint8Array<ArrayBuffer>) {
        knownKeys.set(keyId, key);
    },
};

function cryptoOf(client: MatrixClient) {
    const crypto = client.getCrypto();
    if (!crypto) throw new Error("Encryption is not available in this browser");
    return crypto;
}

/** Creates this account's cross-signing identity (right after sign-in, with the password known). */
export async function bootstrapCrossSigning(client: MatrixClient, password?: string): Promise<void> {
    const userId = client.getSafeUserId();
    await cryptoOf(client).bootstrapCrossSigning({
        authUploadDeviceSigningKeys: (makeRequest) => withPassword(userId, makeRequest, password).then(() => undefined),
    });
}

/** A new account's first session creates the cross-signing identity; later sessions never replace it (they are
 * verified from another session or unlock it with the recovery key). */
export async function bootstrapNewAccount(client: MatrixClient, password: string): Promise<void> {
    if (await cryptoOf(client).userHasCrossSigningKeys(client.getSafeUserId(), true)) return;
    await bootstrapCrossSigning(client, password);
}

/** New secret storage and key backup; returns the recovery key to show once. */
export async function setUpRecovery(client: MatrixClient): Promise<string> {
    const crypto = cryptoOf(client);
    await bootstrapCrossSigning(client);
    let generated: GeneratedSecretStorageKey | undefined;
    await crypto.bootstrapSecretStorage({
        createSecretStorageKey: async () => {
            generated = await crypto.createRecoveryKeyFromPassphrase();
            return generated;
        },
        setupNewSecretStorage: true,
        setupNewKeyBackup: true,
    });
    if (!generated?.encodedPrivateKey) throw new Error("No recovery key was created");
    return generated.encodedPrivateKey;
}

/** Unlocks secret storage with the recovery key and restores the message keys from the backup. */
export async function restoreWithRecoveryKey(client: MatrixClient, recoveryKey: string): Promise<number> {
    const crypto = cryptoOf(client);
    pendingKey = decodeRecoveryKey(recoveryKey.trim());
    await crypto.loadSessionBackupPrivateKeyFromSecretStorage();
    await crypto.bootstrapCrossSigning({});
    await crypto.checkKeyBackupAndEnable();
    const result = await crypto.restoreKeyBackup();
    return result.imported;
}

export interface SecurityStatus {
    crossSigningReady: boolean;
    backupVersion: string | null;
    serverBackup: boolean;
}

export async function securityStatus(client: MatrixClient): Promise<SecurityStatus> {
    const crypto = cryptoOf(client);
    const [crossSigningReady, backupVersion, backupInfo] = await Promise.all([
        crypto.isCrossSigningReady(),
        crypto.getActiveSessionBackupVersion(),
        crypto.getKeyBackupInfo(),
    ]);
    return { crossSigningReady, backupVersion, serverBackup: backupInfo !== null };
}
