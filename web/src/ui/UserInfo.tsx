// A person: name, ID, organisation and position; their devices' verification; a direct message; verification.
import type { MatrixClient } from "matrix-js-sdk";
import type { VerificationRequest } from "matrix-js-sdk/lib/crypto-api";
import { useState } from "preact/hooks";
import { openDirectRoom, profileOf } from "../people";
import { ErrorAlert } from "./Alert";
import { useAsync } from "./hooks";

async function verifiedDevices(client: MatrixClient, userId: string): Promise<{ deviceId: string; name: string; verified: boolean }[]> {
    const crypto = client.getCrypto();
    if (!crypto) return [];
    const devices = (await crypto.getUserDeviceInfo([userId], true)).get(userId);
    const rows = [];
    for (const device of devices?.values() ?? []) {
        const status = await crypto.getDeviceVerificationStatus(userId, device.deviceId);
        rows.push({ deviceId: device.deviceId, name: device.displayName ?? device.deviceId, verified: status?.isVerified() ?? false });
    }
    return rows;
}

export function UserInfo(props: { client: MatrixClient; userId: string; onOpenRoom: (roomId: string) => void; onVerify: (request: VerificationRequest) => void }) {
    const { client, userId } = props;
    const person = useAsync(() => profileOf(client, userId), [userId]);
    const devices = useAsync(() => verifiedDevices(client, userId), [userId]);
    const [error, setError] = useState<unknown>(null);
    const me = userId === client.getSafeUserId();

    async function message() {
        setError(null);
        try {
            props.onOpenRoom(await openDirectRoom(client, userId));
        } catch (e) {
            setError(e);
        }
    }

    async function verify(deviceId: string) {
        setError(null);
        try {
            const crypto = client.getCrypto();
            if (!crypto) return;
            props.onVerify(await crypto.requestDeviceVerification(userId, deviceId));
        } catch (e) {
            setError(e);
        }
    }

    return (
        <section class="panel-section user-info" aria-label="Person">
            <h3>{person?.displayName ?? userId}</h3>
            <dl class="facts">
                <dt>User ID</dt>
                <dd>{userId}</dd>
                {person?.position && (
                    <>
                        <dt>Position</dt>
                        <dd data-field="position">{person.position}</dd>
                    </>
                )}
                {person?.organisation && (
                    <>
                        <dt>Organisation</dt>
                        <dd data-field="organisation">{person.organisation}</dd>
                    </>
                )}
            </dl>
            {!me && (
                <button type="button" class="small" onClick={message}>
                    Send a direct message
                </button>
            )}
            <h4>Sessions</h4>
            <ul class="devices">
                {(devices ?? []).map((d) => (
                    <li key={d.deviceId}>
                        <span>{d.name}</span> <span class="muted small">{d.deviceId}</span>{" "}
                        {d.verified ? (
                            <span class="ok small">verified</span>
                        ) : (
                            !(me && d.deviceId === client.getDeviceId()) && (
                                <button type="button" class="small" onClick={() => void verify(d.deviceId)}>
                                    Verify
                                </button>
                            )
                        )}
                    </li>
                ))}
            </ul>
            <ErrorAlert error={error} />
        </section>
    );
}
