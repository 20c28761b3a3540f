// The room list: search, invites, direct messages and rooms, with unread counts and classification.
import { ClientEvent, type MatrixClient, MatrixEventEvent, NotificationCountType, type Room, RoomEvent, RoomStateEvent } from "matrix-js-sdk";
import { useState } from "preact/hooks";
import { labelOf, roomClassification } from "../classification";
import { isDirect, rememberDirect } from "../people";
import { ErrorAlert } from "./Alert";
import { useClientEvents } from "./hooks";

function lastActive(room: Room): number {
    return room.getLastActiveTimestamp() || 0;
}

function RoomEntry(props: { client: MatrixClient; room: Room; selected: boolean; onSelect: () => void }) {
    const { room } = props;
    const total = room.getUnreadNotificationCount(NotificationCountType.Total);
    const highlight = room.getUnreadNotificationCount(NotificationCountType.Highlight);
    const classification = roomClassification(room);
    return (
        <li>
            <button
                type="button"
                class={props.selected ? "room-entry selected" : "room-entry"}
                aria-current={props.selected ? "true" : undefined}
                onClick={props.onSelect}
                data-room-id={room.roomId}
            >
                <span class="avatar" aria-hidden="true">
                    {(room.name || "?").replace(/^[#@]/, "").charAt(0).toUpperCase()}
                </span>
                <span class="room-entry-text">
                    <span class="room-name">{room.name}</span>
                    {classification && <span class="room-label">{labelOf(classification)}</span>}
                </span>
                {total > 0 && (
                    <span class={highlight > 0 ? "badge highlight" : "badge"} aria-label={`${total} unread`}>
                        {total}
                    </span>
                )}
            </button>
        </li>
    );
}

function InviteEntry(props: { client: MatrixClient; room: Room; onJoined: (roomId: string) => void }) {
    const { client, room } = props;
    const [error, setError] = useState<unknown>(null);
    const [busy, setBusy] = useState(false);
    const inviter = room.getMember(client.getSafeUserId())?.events.member?.getSender();
    async function accept() {
        setBusy(true);
        setError(null);
        try {
            const direct = isDirect(client, room);
            await client.joinRoom(room.roomId);
            if (direct) await rememberDirect(client, room);
            props.onJoined(room.roomId);
        } catch (e) {
            setError(e);
        } finally {
            setBusy(false);
        }
    }
    return (
        <li class="invite">
            <div class="invite-text">
                <span class="room-name">{room.name}</span>
                {inviter && <span class="muted small">from {inviter}</span>}
            </div>
            <div class="invite-actions">
                <button type="button" class="primary small" disabled={busy} onClick={accept}>
                    Accept
                </button>
                <button type="button" class="small" disabled={busy} onClick={() => void client.leave(room.roomId).catch(setError)}>
                    Decline
                </button>
            </div>
            <ErrorAlert error={error} action="Joining" />
        </li>
    );
}

export function RoomList(props: {
    client: MatrixClient;
    selected: string | null;
    onSelect: (roomId: string) => void;
    onCreate: () => void;
    onPeople: () => void;
    onSettings: () => void;
}) {
    const { client } = props;
    // Unread counts of encrypted rooms change when an event is decrypted (the client counts them itself).
    useClientEvents(client, [
        ClientEvent.Room,
        ClientEvent.DeleteRoom,
        RoomEvent.Timeline,
        RoomEvent.Name,
        RoomEvent.MyMembership,
        RoomEvent.Receipt,
        RoomStateEvent.Events,
        ClientEvent.AccountData,
        MatrixEventEvent.Decrypted,
    ]);
    const [filter, setFilter] = useState("");
    const needle = filter.trim().toLowerCase();
    const rooms = client
        .getVisibleRooms()
        .filter((room) => !needle || room.name.toLowerCase().includes(needle))
        .sort((a, b) => lastActive(b) - lastActive(a));
    const invites = rooms.filter((r) => r.getMyMembership() === "invite");
    const joined = rooms.filter((r) => r.getMyMembership() === "join");
    const direct = joined.filter((r) => isDirect(client, r));
    const others = joined.filter((r) => !isDirect(client, r));
    const me = client.getUser(client.getSafeUserId());

    const section = (title: string, list: Room[]) =>
        list.length > 0 && (
            <section aria-label={title}>
                <h2 class="section-title">{title}</h2>
                <ul class="room-entries">
                    {list.map((room) => (
                        <RoomEntry key={room.roomId} client={client} room={room} selected={room.roomId === props.selected} onSelect={() => props.onSelect(room.roomId)} />
                    ))}
                </ul>
            </section>
        );

    return (
        <nav class="sidebar" aria-label="Rooms">
            <header class="sidebar-header">
                <h1 class="app-title">Chancery</h1>
                <button type="button" class="icon-button" onClick={props.onSettings} aria-label="Settings" title={me?.displayName ?? client.getSafeUserId()}>
                    ⚙
                </button>
            </header>
            <div class="sidebar-tools">
                <input type="search" aria-label="Search rooms" placeholder="Search rooms" value={filter} onInput={(e) => setFilter(e.currentTarget.value)} />
                <div class="row">
                    <button type="button" class="small" onClick={props.onCreate}>
                        New room
                    </button>
                    <button type="button" class="small" onClick={props.onPeople}>
                        Find people
                    </button>
                </div>
            </div>
            <div class="room-sections" data-testid="room-list">
                {invites.length > 0 && (
                    <section aria-label="Invites">
                        <h2 class="section-title">Invites</h2>
                        <ul class="room-entries">
                            {invites.map((room) => (
                                <InviteEntry key={room.roomId} client={client} room={room} onJoined={props.onSelect} />
                            ))}
                        </ul>
                    </section>
                )}
                {section("Direct messages", direct)}
                {section("Rooms", others)}
                {rooms.length === 0 && <p class="muted pad">{needle ? "No room matches." : "No rooms yet."}</p>}
            </div>
        </nav>
    );
}
