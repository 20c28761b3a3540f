// Members of the room with organisation and position from the directory; inviting someone.
import { type MatrixClient, type Room, type RoomMember, RoomStateEvent } from "matrix-js-sdk";
import { useEffect, useState } from "preact/hooks";
import { profileOf, roleLine } from "../people";
import { ErrorAlert } from "./Alert";
import { useAsync, useClientEvents } from "./hooks";

function MemberRow(props: { client: MatrixClient; member: RoomMember; onUser: (userId: string) => void }) {
    const person = useAsync(() => profileOf(props.client, props.member.userId), [props.member.userId]);
    const role = person ? roleLine(person) : "";
    return (
        <li>
            <button type="button" class="member" onClick={() => props.onUser(props.member.userId)} data-user-id={props.member.userId}>
                <span class="avatar" aria-hidden="true">
                    {props.member.name.replace(/^@/, "").charAt(0).toUpperCase()}
                </span>
                <span class="member-text">
                    <span class="member-name">{props.member.name}</span>
                    <span class="muted small member-role">{role || props.member.userId}</span>
                    {props.member.membership === "invite" && <span class="muted small">invited</span>}
                </span>
            </button>
        </li>
    );
}

export function MemberList(props: { client: MatrixClient; room: Room; onUser: (userId: string) => void }) {
    const { client, room } = props;
    useClientEvents(client, [RoomStateEvent.Members, RoomStateEvent.NewMember]);
    const [invitee, setInvitee] = useState("");
    const [error, setError] = useState<unknown>(null);
    const [done, setDone] = useState<string | null>(null);
    useEffect(() => {
        room.loadMembersIfNeeded().catch(() => undefined);
    }, [room]);
    const members = [...room.getMembersWithMembership("join"), ...room.getMembersWithMembership("invite")].sort((a, b) => a.name.localeCompare(b.name));

    async function invite(e: Event) {
        e.preventDefault();
        const userId = invitee.trim();
        setError(null);
        setDone(null);
        try {
            await client.invite(room.roomId, userId);
            setDone(`${userId} was invited`);
            setInvitee("");
        } catch (err) {
            setError(err);
        }
    }

    return (
        <section class="panel-section" aria-label="Members">
            <h3>Members ({members.length})</h3>
            {room.canInvite(client.getSafeUserId()) && (
                <form class="invite-form" onSubmit={invite}>
                    <label class="field">
                        <span>Invite by user ID</span>
                        <input name="invitee" autocapitalize="none" spellcheck={false} placeholder="@name:server" value={invitee} onInput={(e) => setInvitee(e.currentTarget.value)} required />
                    </label>
                    <button type="submit" class="small">
                        Invite
                    </button>
                </form>
            )}
            <ErrorAlert error={error} action="Invitation" />
            {done && (
                <p class="muted small" role="status">
                    {done}
                </p>
            )}
            <ul class="members">
                {members.map((m) => (
                    <MemberRow key={m.userId} client={client} member={m} onUser={props.onUser} />
                ))}
            </ul>
        </section>
    );
}
