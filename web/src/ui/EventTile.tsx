// One event of the timeline: text, reply quote, edit mark, attachment, reactions, thread summary, actions.
import { EventStatus, EventType, type MatrixClient, type MatrixEvent, RelationType, type Room } from "matrix-js-sdk";
import { useState } from "preact/hooks";
import type { RoomPolicy } from "../classification";
import { attachmentOf } from "../media";
import { ErrorAlert } from "./Alert";
import { AttachmentView } from "./AttachmentView";

const QUICK_REACTIONS = ["👍", "❤️", "😂", "🎉", "👀"];

export interface TileActions {
    onReply: (event: MatrixEvent) => void;
    onEdit: (event: MatrixEvent) => void;
    onThread?: (event: MatrixEvent) => void;
    onForward: (event: MatrixEvent) => void;
    onUser: (userId: string) => void;
}

function senderName(room: Room, userId: string): string {
    return room.getMember(userId)?.name ?? userId;
}

function time(event: MatrixEvent): string {
    return new Date(event.getTs()).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

/** Text of a state or membership event, or null for events the timeline does not show. */
export function noticeText(room: Room, event: MatrixEvent): string | null {
    const sender = senderName(room, event.getSender() ?? "");
    const content = event.getContent();
    switch (event.getType()) {
        case EventType.RoomMember: {
            const target = content.displayname ?? event.getStateKey() ?? "";
            const previous = event.getPrevContent().membership;
            if (content.membership === "join" && previous !== "join") return `${target} joined`;
            if (content.membership === "invite") return `${sender} invited ${target}`;
            if (content.membership === "leave") return event.getSender() === event.getStateKey() ? `${target} left` : `${sender} removed ${target}`;
            if (content.membership === "ban") return `${sender} banned ${target}`;
            return null;
        }
        case EventType.RoomCreate:
            return `${sender} created the room`;
        case EventType.RoomName:
            return `${sender} named the room “${String(content.name ?? "")}”`;
        case EventType.RoomTopic:
            return `${sender} set the topic: ${String(content.topic ?? "")}`;
        case EventType.RoomEncryption:
            return "Messages in this room are end-to-end encrypted";
        case "org.chancery.classification":
            return `${sender} classified the room ${[content.level, ...(Array.isArray(content.caveats) ? content.caveats : [])].filter(Boolean).join(" // ")}`;
        default:
            return null;
    }
}

/** Whether `event` is shown as a message tile (relations such as edits and reactions are shown on their target). */
export function isMessage(event: MatrixEvent): boolean {
    if (event.isRelation(RelationType.Replace) || event.getType() === EventType.Reaction) return false;
    return event.getType() === EventType.RoomMessage || event.getType() === EventType.RoomMessageEncrypted || event.getType() === EventType.Sticker;
}

function Reactions(props: { client: MatrixClient; room: Room; event: MatrixEvent }) {
    const { client, room, event } = props;
    const relations = room.relations.getChildEventsForEvent(event.getId() ?? "", RelationType.Annotation, EventType.Reaction);
    const groups = relations?.getSortedAnnotationsByKey() ?? [];
    if (groups.length === 0) return null;
    const me = client.getSafeUserId();
    return (
        <div class="reactions" aria-label="Reactions">
            {groups.map(([key, events]) => {
                const mine = [...events].find((e) => e.getSender() === me && !e.isRedacted());
                const count = [...events].filter((e) => !e.isRedacted()).length;
                if (count === 0) return null;
                return (
                    <button
                        type="button"
                        key={key}
                        class={mine ? "reaction mine" : "reaction"}
                        aria-pressed={mine ? "true" : "false"}
                        aria-label={`${key} ${count}`}
                        onClick={() => (mine ? client.redactEvent(room.roomId, mine.getId() ?? "") : react(client, room, event, key))}
                    >
                        {key} {count}
                    </button>
                );
            })}
        </div>
    );
}

function react(client: MatrixClient, room: Room, event: MatrixEvent, key: string) {
    return client.sendEvent(room.roomId, EventType.Reaction, {
        "m.relates_to": { rel_type: RelationType.Annotation, event_id: event.getId() ?? "", key },
    });
}

function ReplyQuote(props: { room: Room; eventId: string }) {
    const target = props.room.findEventById(props.eventId);
    if (!target) return <blockquote class="reply-quote muted">In reply to an earlier message</blockquote>;
    return (
        <blockquote class="reply-quote">
            <strong>{senderName(props.room, target.getSender() ?? "")}</strong> {target.isRedacted() ? "(deleted)" : String(target.getContent().body ?? "")}
        </blockquote>
    );
}

export function EventTile(props: { client: MatrixClient; room: Room; event: MatrixEvent; policy: RoomPolicy | null; actions: TileActions; readBy: string[]; inThread?: boolean }) {
    const { client, room, event, policy, actions } = props;
    const [menu, setMenu] = useState(false);
    const [error, setError] = useState<unknown>(null);
    const me = client.getSafeUserId();
    const sender = event.getSender() ?? "";
    const mine = sender === me;
    const content = event.getContent();
    const exportAllowed = policy?.allowExport ?? true;
    const attachment = event.isRedacted() ? null : attachmentOf(event);
    const thread = props.inThread ? null : room.getThread(event.getId() ?? "");

    let body;
    if (event.isRedacted()) body = <p class="body muted">Message deleted</p>;
    else if (event.isDecryptionFailure()) body = <p class="body muted">Unable to decrypt this message</p>;
    else if (event.getType() === EventType.RoomMessageEncrypted) body = <p class="body muted">Decrypting…</p>;
    else if (attachment) body = <AttachmentView client={client} attachment={attachment} policy={policy} />;
    else body = <p class="body">{typeof content.body === "string" ? content.body : ""}</p>;

    const run = (action: () => Promise<unknown>) => {
        setMenu(false);
        setError(null);
        action().catch(setError);
    };
    const canAct = !event.isRedacted() && event.status !== EventStatus.SENDING;

    return (
        <li class={mine ? "tile mine" : "tile"} data-event-id={event.getId()} data-sender={sender}>
            <div class="tile-meta">
                <button type="button" class="link sender" onClick={() => actions.onUser(sender)}>
                    {senderName(room, sender)}
                </button>
                <time class="muted small" dateTime={new Date(event.getTs()).toISOString()}>
                    {time(event)}
                </time>
                {event.replacingEventId() && <span class="muted small">(edited)</span>}
                {event.status === EventStatus.NOT_SENT && <span class="small error-text">Not sent</span>}
            </div>
            {event.replyEventId && !props.inThread && <ReplyQuote room={room} eventId={event.replyEventId} />}
            {body}
            <Reactions client={client} room={room} event={event} />
            {thread && thread.length > 0 && actions.onThread && (
                <button type="button" class="link small thread-summary" onClick={() => actions.onThread?.(event)}>
                    {thread.length} {thread.length === 1 ? "reply" : "replies"} in thread
                </button>
            )}
            {canAct && (
                <div class="tile-actions">
                    <button type="button" class="small" aria-expanded={menu ? "true" : "false"} onClick={() => setMenu(!menu)} aria-label="Message actions">
                        ⋯
                    </button>
                    {menu && (
                        <div class="menu" role="group" aria-label="Message actions">
                            {QUICK_REACTIONS.map((key) => (
                                <button type="button" key={key} class="small" aria-label={`React ${key}`} onClick={() => run(() => react(client, room, event, key))}>
                                    {key}
                                </button>
                            ))}
                            <button type="button" class="small" onClick={() => { setMenu(false); actions.onReply(event); }}>
                                Reply
                            </button>
                            {actions.onThread && !props.inThread && (
                                <button type="button" class="small" onClick={() => { setMenu(false); actions.onThread?.(event); }}>
                                    Thread
                                </button>
                            )}
                            {mine && !attachment && (
                                <button type="button" class="small" onClick={() => { setMenu(false); actions.onEdit(event); }}>
                                    Edit
                                </button>
                            )}
                            {exportAllowed && !attachment && (
                                <button type="button" class="small" onClick={() => run(() => navigator.clipboard.writeText(String(content.body ?? "")))}>
                                    Copy
                                </button>
                            )}
                            {exportAllowed && (
                                <button type="button" class="small" onClick={() => { setMenu(false); actions.onForward(event); }}>
                                    Forward
                                </button>
                            )}
                            {(mine || room.currentState.maySendRedactionForEvent(event, me)) && (
                                <button type="button" class="small danger" onClick={() => run(() => client.redactEvent(room.roomId, event.getId() ?? ""))}>
                                    Delete
                                </button>
                            )}
                        </div>
                    )}
                </div>
            )}
            {props.readBy.length > 0 && (
                <div class="read-by muted small" aria-label={`Seen by ${props.readBy.join(", ")}`}>
                    Seen by {props.readBy.join(", ")}
                </div>
            )}
            <ErrorAlert error={error} />
        </li>
    );
}
