// Emoji verification (SAS) of a device or person, incoming or outgoing.
import type { MatrixClient } from "matrix-js-sdk";
import {
    type ShowSasCallbacks,
    type VerificationRequest,
    VerificationPhase,
    VerificationRequestEvent,
    type Verifier,
    VerifierEvent,
} from "matrix-js-sdk/lib/crypto-api";
import { useEffect, useState } from "preact/hooks";
import { Dialog } from "./Dialog";
import { ErrorAlert } from "./Alert";
import { useEvents } from "./hooks";

const SAS = "m.sas.v1";

export function Verification(props: { client: MatrixClient; request: VerificationRequest; onClose: () => void }) {
    const { request } = props;
    useEvents(request as never, [VerificationRequestEvent.Change]);
    const [sas, setSas] = useState<ShowSasCallbacks | null>(null);
    const [error, setError] = useState<unknown>(null);
    const [confirmed, setConfirmed] = useState(false);

    useEffect(() => {
        let verifier: Verifier | undefined;
        const onShowSas = (callbacks: ShowSasCallbacks) => setSas(callbacks);
        const attach = (v: Verifier) => {
            if (verifier === v) return;
            verifier = v;
            v.on(VerifierEvent.ShowSas, onShowSas);
            const shown = v.getShowSasCallbacks();
            if (shown) setSas(shown);
            v.verify().catch((e: unknown) => setError(e));
        };
        const onChange = () => {
            if (request.phase === VerificationPhase.Ready && request.initiatedByMe && !request.verifier) {
                request.startVerification(SAS).then(attach, setError);
            } else if (request.verifier) {
                attach(request.verifier);
            }
        };
        request.on(VerificationRequestEvent.Change, onChange);
        onChange();
        return () => {
            request.off(VerificationRequestEvent.Change, onChange);
            verifier?.off(VerifierEvent.ShowSas, onShowSas);
        };
    }, [request]);

    const who = request.isSelfVerification ? "your other session" : request.otherUserId;
    let body;
    if (request.phase === VerificationPhase.Done) body = <p role="status">Verified {who}.</p>;
    else if (request.phase === VerificationPhase.Cancelled) body = <p role="status">Verification was cancelled.</p>;
    else if (sas?.sas.emoji) {
        body = (
            <>
                <p>Check that {who} shows these emoji in the same order.</p>
                <ol class="emoji-list">
                    {sas.sas.emoji.map(([emoji, name], i) => (
                        <li key={i}>
                            <span class="emoji" aria-hidden="true">
                                {emoji}
                            </span>
                            <span class="small">{name}</span>
                        </li>
                    ))}
                </ol>
                <div class="actions">
                    <button type="button" onClick={() => sas.mismatch()}>
                        They don't match
                    </button>
                    <button
                        type="button"
                        class="primary"
                        disabled={confirmed}
                        onClick={() => {
                            setConfirmed(true);
                            sas.confirm().catch(setError);
                        }}
                    >
                        {confirmed ? "Waiting for the other side…" : "They match"}
                    </button>
                </div>
            </>
        );
    } else if (request.phase === VerificationPhase.Requested && !request.initiatedByMe) {
        body = (
            <>
                <p>{who} wants to verify this session.</p>
                <div class="actions">
                    <button type="button" onClick={() => void request.cancel().then(props.onClose)}>
                        Decline
                    </button>
                    <button type="button" class="primary" onClick={() => void request.accept().catch(setError)}>
                        Accept
                    </button>
                </div>
            </>
        );
    } else body = <p role="status">Waiting for {who}…</p>;

    return (
        <Dialog
            title="Verify session"
            onClose={() => {
                if (request.pending) void request.cancel().catch(() => undefined);
                props.onClose();
            }}
        >
            {body}
            <ErrorAlert error={error} action="Verification" />
        </Dialog>
    );
}
