// The room's timeline: messages and notices, older history on demand, read receipts, typing, read marker.
import { ClientEvent, Direction, EventType, type MatrixClient, type MatrixEvent, MatrixEventEvent, type Room, RoomEvent, RoomMemberEvent, ThreadEvent } from "matrix-js-sdk";
import { useEffect, useRef, useState } from "preact/hooks";
import type { RoomPolicy } from "../classification";
import { EventTile, isMessage, noticeText, type TileActions } from "./EventTile";
import { useClientEvents } from "./hooks";

const UPDATES = [
    RoomEvent.Timeline,
    RoomEvent.TimelineReset,
    RoomEvent.Redaction,
    RoomEvent.LocalEchoUpdated,
    RoomEvent.Receipt,
    RoomMemberEvent.Typing,
    MatrixEventEvent.Decrypted,
    MatrixEventEvent.Replaced,
    MatrixEventEvent.RelationsCreated,
    ThreadEvent.New,
    ThreadEvent.Update,
    ClientEvent.Sync,
];

/** Who (other than me) has read up to exactly each event. */
function readMarkers(client: MatrixClient, room: Room): Map<string, string[]> {
    const me = client.getSafeUserId();
    const byEvent = new Map<string, string[]>();
    for (const member of room.getJoinedMembers()) {
        if (member.userId === me) continue;
        const eventId = room.getEventReadUpTo(member.userId);
        if (!eventId) continue;
        byEvent.set(eventId, [...(byEvent.get(eventId) ?? []), member.name]);
    }
    return byEvent;
}

export function Timeline(props: { client: MatrixClient; room: Room; policy: RoomPolicy | null; actions: TileActions; events?: MatrixEvent[]; inThread?: boolean }) {
    const { client, room, policy } = props;
    useClientEvents(client, UPDATES);
    const [loadingOlder, setLoadingOlder] = useState(false);
    const list = useRef<HTMLOListElement>(null);
    const atBottom = useRef(true);

    const events = (props.events ?? room.getLiveTimeline().getEvents()).filter((e) => props.inThread || !e.threadRootId || e.isThreadRoot);
    const last = events[events.length - 1];
    const markers = readMarkers(client, room);
    const me = client.getSafeUserId();
    const typing = props.inThread ? [] : room.getMembers().filter((m) => m.typing && m.userId !== me);

    // Keep the newest message in view when already there; mark it read when the page is visible.
    useEffect(() => {
        const element = list.current;
        if (element && atBottom.current) element.scrollTop = element.scrollHeight;
        if (last && !props.inThread && document.visibilityState === "visible" && last.getId()?.startsWith("$") && !room.hasUserReadEvent(me, last.getId() ?? "")) {
            client.sendReadReceipt(last).catch(() => undefined);
        }
    });

    async function loadOlder() {
        setLoadingOlder(true);
        try {
            await client.scrollback(room, 30);
        } finally {
            setLoadingOlder(false);
        }
    }

    // Nothing older than the room's creation, even while the server still hands out a pagination token.
    const canLoadOlder =
        !props.inThread && events[0]?.getType() !== EventType.RoomCreate && room.getLiveTimeline().getPaginationToken(Direction.Backward) !== null;
    return (
        <div class="timeline-frame">
            <ol
                class={policy?.allowExport === false ? "timeline no-export" : "timeline"}
                ref={list}
                aria-label={props.inThread ? "Thread messages" : "Messages"}
                aria-live="polite"
                tabIndex={0}
                onScroll={(e) => {
                    const el = e.currentTarget;
                    atBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 40;
                }}
                onCopy={(e) => {
                    if (policy?.allowExport === false) e.preventDefault();
                }}
            >
                {canLoadOlder && (
                    <li class="load-older">
                        <button type="button" class="small" onClick={loadOlder} disabled={loadingOlder}>
                            {loadingOlder ? "Loading…" : "Load older messages"}
                        </button>
                    </li>
                )}
                {events.map((event) => {
                    const id = event.getId() ?? "";
                    if (isMessage(event)) {
                        return <EventTile key={id} client={client} room={room} event={event} policy={policy} actions={props.actions} readBy={markers.get(id) ?? []} inThread={props.inThread} />;
                    }
                    const text = noticeText(room, event);
                    return text ? (
                        <li key={id} class="notice-tile muted small">
                            {text}
                        </li>
                    ) : null;
                })}
            </ol>
            <div class="typing muted small" aria-live="polite">
                {typing.length > 0 && `${typing.map((m) => m.name).join(", ")} ${typing.length === 1 ? "is" : "are"} typing…`}
            </div>
        </div>
    );
}
