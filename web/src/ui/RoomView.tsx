// An open room: header, classification banners, watermark, timeline, composer and the side panel
// (members, a thread, a person).
import { type MatrixClient, type MatrixEvent, type Room, RoomEvent, RoomStateEvent, ThreadEvent } from "matrix-js-sdk";
import type { VerificationRequest } from "matrix-js-sdk/lib/crypto-api";
import { useState } from "preact/hooks";
import { policyFor, roomClassification, type Scheme } from "../classification";
import { Banner } from "./Banner";
import { Composer, type ComposerMode } from "./Composer";
import { Dialog } from "./Dialog";
import { ErrorAlert } from "./Alert";
import { useClientEvents } from "./hooks";
import { MemberList } from "./MemberList";
import { Timeline } from "./Timeline";
import type { TileActions } from "./EventTile";
import { UserInfo } from "./UserInfo";
import { Verification } from "./Verification";
import { Watermark } from "./Watermark";

type Panel = { kind: "members" } | { kind: "thread"; rootId: string } | { kind: "user"; userId: string } | null;

function ThreadPanel(props: { client: MatrixClient; room: Room; rootId: string; policy: ReturnType<typeof policyFor>; actions: TileActions }) {
    const { client, room, rootId } = props;
    useClientEvents(client, [ThreadEvent.New, ThreadEvent.Update, RoomEvent.Timeline]);
    const [mode, setMode] = useState<ComposerMode>({ kind: "new" });
    const thread = room.getThread(rootId);
    const root = room.findEventById(rootId) ?? thread?.rootEvent;
    const events = [...(root ? [root] : []), ...(thread?.events.filter((e) => e.getId() !== rootId) ?? [])];
    return (
        <section class="panel-section thread-panel" aria-label="Thread">
            <h3>Thread</h3>
            <Timeline client={client} room={room} policy={props.policy} actions={{ ...props.actions, onThread: undefined, onReply: () => undefined, onEdit: (e) => setMode({ kind: "edit", event: e }) }} events={events} inThread />
            <Composer client={client} room={room} threadId={rootId} mode={mode} onModeDone={() => setMode({ kind: "new" })} label="Reply in thread" />
        </section>
    );
}

function ForwardDialog(props: { client: MatrixClient; event: MatrixEvent; onClose: () => void }) {
    const { client, event } = props;
    const [error, setError] = useState<unknown>(null);
    const [sent, setSent] = useState<string | null>(null);
    const rooms = client.getVisibleRooms().filter((r) => r.getMyMembership() === "join");
    async function forward(room: Room) {
        setError(null);
        try {
            const { "m.relates_to": _relation, ...content } = event.getContent();
            await client.sendMessage(room.roomId, content as never);
            setSent(room.name);
        } catch (e) {
            setError(e);
        }
    }
    return (
        <Dialog title="Forward message" onClose={props.onClose}>
            <ul class="pick-list">
                {rooms.map((room) => (
                    <li key={room.roomId}>
                        <button type="button" onClick={() => void forward(room)}>
                            {room.name}
                        </button>
                    </li>
                ))}
            </ul>
            {sent && <p role="status">Forwarded to {sent}</p>}
            <ErrorAlert error={error} action="Forwarding" />
        </Dialog>
    );
}

export function RoomView(props: { client: MatrixClient; room: Room; scheme: Scheme | null; onBack: () => void; onOpenRoom: (roomId: string) => void }) {
    const { client, room } = props;
    useClientEvents(client, [RoomStateEvent.Events, RoomEvent.Name]);
    const [panel, setPanel] = useState<Panel>(null);
    const [mode, setMode] = useState<ComposerMode>({ kind: "new" });
    const [forwarding, setForwarding] = useState<MatrixEvent | null>(null);
    const [verification, setVerification] = useState<VerificationRequest | null>(null);
    const policy = policyFor(roomClassification(room), props.scheme);
    const topic = room.currentState.getStateEvents("m.room.topic", "")?.getContent().topic;

    const actions: TileActions = {
        onReply: (event) => setMode({ kind: "reply", event }),
        onEdit: (event) => setMode({ kind: "edit", event }),
        onThread: (event) => setPanel({ kind: "thread", rootId: event.getId() ?? "" }),
        onForward: setForwarding,
        onUser: (userId) => setPanel({ kind: "user", userId }),
    };
    const toggle = (next: Panel) => setPanel(panel?.kind === next?.kind ? null : next);

    return (
        <div class={panel ? "room with-panel" : "room"} data-room-id={room.roomId}>
            <main class="room-main" aria-label={room.name}>
                <header class="room-header">
                    <button type="button" class="icon-button back" onClick={props.onBack} aria-label="Back to rooms">
                        ←
                    </button>
                    <div class="room-title">
                        <h2>{room.name}</h2>
                        {typeof topic === "string" && topic && <p class="muted small topic">{topic}</p>}
                    </div>
                    <button type="button" class="small" onClick={() => toggle({ kind: "members" })} aria-pressed={panel?.kind === "members" ? "true" : "false"}>
                        Members
                    </button>
                </header>
                {policy && <Banner policy={policy} position="top" />}
                <div class="room-body">
                    <Timeline client={client} room={room} policy={policy} actions={actions} />
                    {policy?.watermark && <Watermark client={client} />}
                </div>
                <Composer client={client} room={room} mode={mode} onModeDone={() => setMode({ kind: "new" })} label={`Message ${room.name}`} />
                {policy && <Banner policy={policy} position="bottom" />}
            </main>
            {panel && (
                <aside class="side-panel" aria-label="Details">
                    <div class="panel-bar">
                        {panel.kind !== "members" && (
                            <button type="button" class="small" onClick={() => setPanel({ kind: "members" })}>
                                Members
                            </button>
                        )}
                        <button type="button" class="icon-button" onClick={() => setPanel(null)} aria-label="Close panel">
                            ✕
                        </button>
                    </div>
                    {panel.kind === "members" && <MemberList client={client} room={room} onUser={(userId) => setPanel({ kind: "user", userId })} />}
                    {panel.kind === "user" && <UserInfo client={client} userId={panel.userId} onOpenRoom={props.onOpenRoom} onVerify={setVerification} />}
                    {panel.kind === "thread" && <ThreadPanel key={panel.rootId} client={client} room={room} rootId={panel.rootId} policy={policy} actions={actions} />}
                </aside>
            )}
            {forwarding && <ForwardDialog client={client} event={forwarding} onClose={() => setForwarding(null)} />}
            {verification && <Verification client={client} request={verification} onClose={() => setVerification(null)} />}
        </div>
    );
}
