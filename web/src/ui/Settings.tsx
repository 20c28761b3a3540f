// Settings: profile, sessions (sign out others), security (cross-signing, key backup with a recovery key,
// verifying this session from another one), and signing out.
import type { IMyDevice, MatrixClient } from "matrix-js-sdk";
import type { VerificationRequest } from "matrix-js-sdk/lib/crypto-api";
import { useEffect, useState } from "preact/hooks";
import { restoreWithRecoveryKey, securityStatus, type SecurityStatus, setUpRecovery } from "../recovery";
import { withPassword } from "../uia";
import { ErrorAlert } from "./Alert";

function Profile(props: { client: MatrixClient }) {
    const { client } = props;
    const userId = client.getSafeUserId();
    const [name, setName] = useState(client.getUser(userId)?.displayName ?? "");
    const [status, setStatus] = useState<string | null>(null);
    const [error, setError] = useState<unknown>(null);
    return (
        <section class="settings-section" aria-labelledby="settings-profile">
            <h3 id="settings-profile">Profile</h3>
            <p class="muted small">{userId}</p>
            <form
                class="row"
                onSubmit={(e) => {
                    e.preventDefault();
                    setError(null);
                    client.setDisplayName(name.trim()).then(() => setStatus("Saved"), setError);
                }}
            >
                <label class="field grow">
                    <span>Display name</span>
                    <input value={name} onInput={(e) => setName(e.currentTarget.value)} />
                </label>
                <button type="submit" class="small">
                    Save
                </button>
            </form>
            {status && <p role="status" class="muted small">{status}</p>}
            <ErrorAlert error={error} />
        </section>
    );
}

function Sessions(props: { client: MatrixClient; onSignOut: () => void }) {
    const { client } = props;
    const [devices, setDevices] = useState<IMyDevice[]>([]);
    const [error, setError] = useState<unknown>(null);
    const refresh = () => client.getDevices().then((r) => setDevices(r.devices), setError);
    useEffect(() => void refresh(), []);
    const current = client.getDeviceId();

    async function signOutDevice(deviceId: string) {
        setError(null);
        try {
            await withPassword(client.getSafeUserId(), (auth) => client.deleteDevice(deviceId, auth ?? undefined));
            await refresh();
        } catch (e) {
            setError(e);
        }
    }

    return (
        <section class="settings-section" aria-labelledby="settings-sessions">
            <h3 id="settings-sessions">Sessions</h3>
            <ul class="devices">
                {devices.map((d) => (
                    <li key={d.device_id} class="device" data-device-id={d.device_id}>
                        <div>
                            <div>{d.display_name ?? d.device_id}</div>
                            <div class="muted small">
                                {d.device_id}
                                {d.last_seen_ts ? ` · last seen ${new Date(d.last_seen_ts).toLocaleString()}` : ""}
                            </div>
                        </div>
                        {d.device_id === current ? (
                            <button type="button" class="small" onClick={props.onSignOut}>
                                Sign out
                            </button>
                        ) : (
                            <button type="button" class="small danger" onClick={() => void signOutDevice(d.device_id)} aria-label={`Sign out ${d.display_name ?? d.device_id}`}>
                                Sign out
                            </button>
                        )}
                    </li>
                ))}
            </ul>
            <ErrorAlert error={error} action="Signing out the session" />
        </section>
    );
}

function Security(props: { client: MatrixClient; onVerify: (request: VerificationRequest) => void }) {
    const { client } = props;
    const [status, setStatus] = useState<SecurityStatus | null>(null);
    const [recoveryKey, setRecoveryKey] = useState<string | null>(null);
    const [entered, setEntered] = useState("");
    const [busy, setBusy] = useState(false);
    const [message, setMessage] = useState<string | null>(null);
    const [error, setError] = useState<unknown>(null);
    const refresh = () => securityStatus(client).then(setStatus, setError);
    useEffect(() => void refresh(), []);

    async function run(action: () => Promise<void>) {
        setBusy(true);
        setError(null);
        setMessage(null);
        try {
            await action();
        } catch (e) {
            setError(e);
        } finally {
            setBusy(false);
            void refresh();
        }
    }

    return (
        <section class="settings-section" aria-labelledby="settings-security">
            <h3 id="settings-security">Security</h3>
            <dl class="facts">
                <dt>Cross-signing</dt>
                <dd>{status ? (status.crossSigningReady ? "ready" : "not available in this session") : "…"}</dd>
                <dt>Key backup</dt>
                <dd>{status ? (status.backupVersion ? `active (version ${status.backupVersion})` : status.serverBackup ? "on the server, not unlocked here" : "not set up") : "…"}</dd>
            </dl>
            {recoveryKey && (
                <div class="recovery-key" role="status">
                    <p>
                        <strong>Your recovery key.</strong> Write it down and keep it safe: it is shown only once and unlocks your message history on new devices.
                    </p>
                    <code data-testid="recovery-key">{recoveryKey}</code>
                </div>
            )}
            <div class="row wrap">
                <button type="button" class="small" disabled={busy} onClick={() => void run(async () => setRecoveryKey(await setUpRecovery(client)))}>
                    {status?.serverBackup ? "Reset recovery key" : "Set up recovery"}
                </button>
                <button type="button" class="small" disabled={busy} onClick={() => void run(async () => props.onVerify(await client.getCrypto()!.requestOwnUserVerification()))}>
                    Verify with another session
                </button>
            </div>
            {status?.serverBackup && !status.backupVersion && (
                <form
                    class="row"
                    onSubmit={(e) => {
                        e.preventDefault();
                        void run(async () => setMessage(`Restored ${await restoreWithRecoveryKey(client, entered)} message keys`));
                    }}
                >
                    <label class="field grow">
                        <span>Recovery key</span>
                        <input autocomplete="off" spellcheck={false} value={entered} onInput={(e) => setEntered(e.currentTarget.value)} required />
                    </label>
                    <button type="submit" class="small" disabled={busy}>
                        Restore
                    </button>
                </form>
            )}
            {message && <p role="status">{message}</p>}
            <ErrorAlert error={error} />
        </section>
    );
}

export function Settings(props: { client: MatrixClient; onBack: () => void; onSignOut: () => void; onVerify: (request: VerificationRequest) => void }) {
    return (
        <main class="settings" aria-labelledby="settings-title">
            <header class="room-header">
                <button type="button" class="icon-button back" onClick={props.onBack} aria-label="Back to rooms">
                    ←
                </button>
                <h2 id="settings-title">Settings</h2>
            </header>
            <div class="settings-body">
                <Profile client={props.client} />
                <Security client={props.client} onVerify={props.onVerify} />
                <Sessions client={props.client} onSignOut={props.onSignOut} />
            </div>
        </main>
    );
}
