// Creating a room: name, topic, classification limited to the creator's clearance, encryption, invitees.
import { EventType, type ICreateRoomOpts, type MatrixClient, Preset } from "matrix-js-sdk";
import { useState } from "preact/hooks";
import { CLASSIFICATION_EVENT, type Scheme, selectableCaveats, selectableLevels } from "../classification";
import { ErrorAlert } from "./Alert";
import { Dialog } from "./Dialog";

export function CreateRoom(props: { client: MatrixClient; scheme: Scheme | null; onClose: () => void; onCreated: (roomId: string) => void }) {
    const { client, scheme } = props;
    const levels = scheme ? selectableLevels(scheme) : [];
    const caveats = scheme ? selectableCaveats(scheme) : [];
    const defaultLevel = levels.find((l) => l.name === scheme?.default_level)?.name ?? "";
    const [name, setName] = useState("");
    const [topic, setTopic] = useState("");
    const [level, setLevel] = useState(defaultLevel);
    const [chosenCaveats, setChosenCaveats] = useState<string[]>([]);
    const [handling, setHandling] = useState("");
    const [encrypted, setEncrypted] = useState(true);
    const [invitees, setInvitees] = useState("");
    const [busy, setBusy] = useState(false);
    const [error, setError] = useState<unknown>(null);
    // With a scheme that has a default level, every room is classified; without a clearance there is nothing to pick.
    const mustClassify = scheme?.default_level != null;

    async function create(e: Event) {
        e.preventDefault();
        setBusy(true);
        setError(null);
        const initialState: NonNullable<ICreateRoomOpts["initial_state"]> = [];
        if (encrypted) initialState.push({ type: EventType.RoomEncryption, state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } });
        if (level) initialState.push({ type: CLASSIFICATION_EVENT, state_key: "", content: { level, caveats: chosenCaveats, handling: handling.trim() } });
        try {
            const { room_id } = await client.createRoom({
                name: name.trim(),
                topic: topic.trim() || undefined,
                preset: Preset.PrivateChat,
                invite: invitees.split(/[\s,]+/).filter(Boolean),
                initial_state: initialState,
            });
            props.onCreated(room_id);
        } catch (err) {
            setError(err);
            setBusy(false);
        }
    }

    return (
        <Dialog title="New room" onClose={props.onClose}>
            <form class="stack" onSubmit={create}>
                <label class="field">
                    <span>Name</span>
                    <input name="name" value={name} onInput={(e) => setName(e.currentTarget.value)} required />
                </label>
                <label class="field">
                    <span>Topic</span>
                    <input name="topic" value={topic} onInput={(e) => setTopic(e.currentTarget.value)} />
                </label>
                {scheme && (
                    <fieldset class="classification-picker">
                        <legend>Classification</legend>
                        {levels.length === 0 ? (
                            <p class="muted small">You hold no clearance, so you cannot create classified rooms.</p>
                        ) : (
                            <>
                                <label class="field">
                                    <span>Level (up to your clearance, {scheme.clearance?.level})</span>
                                    <select name="level" value={level} onChange={(e) => setLevel(e.currentTarget.value)} required={mustClassify}>
                                        {!mustClassify && <option value="">Unclassified</option>}
                                        {levels.map((l) => (
                                            <option key={l.name} value={l.name}>
                                                {l.name}
                                            </option>
                                        ))}
                                    </select>
                                </label>
                                {caveats.length > 0 && level && (
                                    <div class="caveats" role="group" aria-label="Caveats">
                                        {caveats.map((c) => (
                                            <label key={c} class="check">
                                                <input
                                                    type="checkbox"
                                                    checked={chosenCaveats.includes(c)}
                                                    onChange={(e) => setChosenCaveats(e.currentTarget.checked ? [...chosenCaveats, c] : chosenCaveats.filter((x) => x !== c))}
                                                />
                                                {c}
                                            </label>
                                        ))}
                                    </div>
                                )}
                                {level && (
                                    <label class="field">
                                        <span>Handling instructions</span>
                                        <input name="handling" value={handling} onInput={(e) => setHandling(e.currentTarget.value)} />
                                    </label>
                                )}
                            </>
                        )}
                    </fieldset>
                )}
                <label class="check">
                    <input type="checkbox" checked={encrypted} onChange={(e) => setEncrypted(e.currentTarget.checked)} />
                    End-to-end encrypted (cannot be turned off later)
                </label>
                <label class="field">
                    <span>Invite (user IDs, separated by commas)</span>
                    <input name="invite" autocapitalize="none" spellcheck={false} value={invitees} onInput={(e) => setInvitees(e.currentTarget.value)} />
                </label>
                <ErrorAlert error={error} action="Creating the room" />
                <div class="actions">
                    <button type="button" onClick={props.onClose}>
                        Cancel
                    </button>
                    <button type="submit" class="primary" disabled={busy || (mustClassify && !level)}>
                        {busy ? "Creating…" : "Create room"}
                    </button>
                </div>
            </form>
        </Dialog>
    );
}
