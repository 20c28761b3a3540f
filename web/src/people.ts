// People: directory profile fields (organisation, position), user search, direct-message rooms.
import { EventType, type MatrixClient, Preset, type Room } from "matrix-js-sdk";

export const ORGANISATION = "org.chancery.organisation";
export const POSITION = "org.chancery.position";

export interface Person {
    userId: string;
    displayName: string;
    organisation: string;
    position: string;
}

function str(value: unknown): string {
    return typeof value === "string" ? value : "";
}

export function personFrom(userId: string, raw: Record<string, unknown>): Person {
    return {
        userId,
        displayName: str(raw.displayname ?? raw.display_name) || userId,
        organisation: str(raw[ORGANISATION]),
        position: str(raw[POSITION]),
    };
}

/** "Position, Organisation" (whichever the directory has). */
export function roleLine(person: Person): string {
    return [person.position, person.organisation].filter(Boolean).join(", ");
}

const profiles = new Map<string, Promise<Person>>();

/** The directory profile of `userId`, fetched once per session. */
export function profileOf(client: MatrixClient, userId: string): Promise<Person> {
    let cached = profiles.get(userId);
    if (!cached) {
        cached = client
            .getProfileInfo(userId)
            .then((raw) => personFrom(userId, raw as Record<string, unknown>))
            .catch(() => personFrom(userId, {}));
        profiles.set(userId, cached);
    }
    return cached;
}

export async function searchPeople(client: MatrixClient, term: string): Promise<Person[]> {
    const { results } = await client.searchUserDirectory({ term, limit: 20 });
    return results.map((r) => personFrom(r.user_id, r as unknown as Record<string, unknown>));
}

type DirectMap = Record<string, string[]>;

function directMap(client: MatrixClient): DirectMap {
    return (client.getAccountData(EventType.Direct)?.getContent() ?? {}) as DirectMap;
}

export function isDirect(client: MatrixClient, room: Room): boolean {
    if (Object.values(directMap(client)).some((ids) => ids.includes(room.roomId))) return true;
    // An invite to a DM carries is_direct on our membership event.
    const me = room.getMember(client.getSafeUserId());
    return me?.events.member?.getContent().is_direct === true;
}

/** Opens (or reuses) an encrypted direct-message room with `userId`. */
export async function openDirectRoom(client: MatrixClient, userId: string): Promise<string> {
    const map = directMap(client);
    const existing = (map[userId] ?? []).find((id) => client.getRoom(id)?.getMyMembership() === "join");
    if (existing) return existing;
    const { room_id } = await client.createRoom({
        is_direct: true,
        invite: [userId],
        preset: Preset.TrustedPrivateChat,
        initial_state: [{ type: EventType.RoomEncryption, state_key: "", content: { algorithm: "m.megolm.v1.aes-sha2" } }],
    });
    await client.setAccountData(EventType.Direct, { ...map, [userId]: [...(map[userId] ?? []), room_id] });
    return room_id;
}

/** Records a joined DM invite in m.direct so that it is listed as a direct message on every device. */
export async function rememberDirect(client: MatrixClient, room: Room): Promise<void> {
    const inviter = room.getMember(client.getSafeUserId())?.events.member?.getSender();
    if (!inviter) return;
    const map = directMap(client);
    if ((map[inviter] ?? []).includes(room.roomId)) return;
    await client.setAccountData(EventType.Direct, { ...map, [inviter]: [...(map[inviter] ?? []), room.roomId] });
}
