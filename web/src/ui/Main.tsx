// The signed-in client: room list, the open room or settings, and what arrives for the whole session
// (remote wipe, verification requests).
import { ClientEvent, HttpApiEvent, type MatrixClient, type MatrixEvent } from "matrix-js-sdk";
import { CryptoEvent, type VerificationRequest } from "matrix-js-sdk/lib/crypto-api";
import { useEffect, useRef, useState } from "preact/hooks";
import { fetchScheme, type Scheme } from "../classification";
import type { ClientConfig } from "../config";
import { forgetSession } from "../session";
import { eraseLocalData, isWipedRefusal, isWipeOrder, wipe } from "../wipe";
import { CreateRoom } from "./CreateRoom";
import { useClientEvents } from "./hooks";
import { PeopleSearch } from "./PeopleSearch";
import { RoomList } from "./RoomList";
import { RoomView } from "./RoomView";
import { Settings } from "./Settings";
import { Verification } from "./Verification";

export type Pane = { kind: "list" } | { kind: "room"; roomId: string } | { kind: "settings" };

export function Main(props: { client: MatrixClient; config: ClientConfig; onSignedOut: (notice?: string) => void; onWiped: (reason: string) => void }) {
    const { client } = props;
    const [pane, setPane] = useState<Pane>({ kind: "list" });
    const [dialog, setDialog] = useState<"create" | "people" | null>(null);
    const [scheme, setScheme] = useState<Scheme | null>(null);
    const [verification, setVerification] = useState<VerificationRequest | null>(null);
    // A room just created or joined is opened before the sync that brings it: render again when it arrives.
    useClientEvents(client, [ClientEvent.Room]);
    const wiping = useRef(false);

    useEffect(() => {
        fetchScheme(client).then(setScheme, (e: unknown) => console.warn("classification scheme unavailable", e));
        const onToDevice = (event: MatrixEvent) => {
            if (!isWipeOrder(event, props.config.serverName)) return;
            const reason = event.getContent().reason;
            wiping.current = true;
            void wipe(client).finally(() => props.onWiped(typeof reason === "string" ? reason : ""));
        };
        const onVerification = (request: VerificationRequest) => setVerification(request);
        // Signed out by the server (the session was deleted elsewhere or revoked): nothing here is usable any more.
        const onLoggedOut = (error: unknown) => {
            if (wiping.current) return;
            if (isWipedRefusal(error)) {
                wiping.current = true;
                void wipe(client).finally(() => props.onWiped(""));
                return;
            }
            void signOut("This session was signed out.");
        };
        client.on(ClientEvent.ToDeviceEvent, onToDevice);
        client.on(CryptoEvent.VerificationRequestReceived, onVerification);
        client.on(HttpApiEvent.SessionLoggedOut, onLoggedOut);
        return () => {
            client.off(ClientEvent.ToDeviceEvent, onToDevice);
            client.off(CryptoEvent.VerificationRequestReceived, onVerification);
            client.off(HttpApiEvent.SessionLoggedOut, onLoggedOut);
            client.stopClient();
        };
    }, [client]);

    async function signOut(notice?: string) {
        client.stopClient();
        try {
            await client.logout(true);
        } catch {
            // Already signed out on the server: the local session is removed all the same.
        }
        await client.clearStores().catch(() => undefined);
        forgetSession();
        await eraseLocalData();
        props.onSignedOut(notice);
    }

    const openRoom = (roomId: string) => setPane({ kind: "room", roomId });
    const room = pane.kind === "room" ? client.getRoom(pane.roomId) : null;

    return (
        <div class="layout" data-pane={pane.kind}>
            <RoomList
                client={client}
                selected={pane.kind === "room" ? pane.roomId : null}
                onSelect={openRoom}
                onCreate={() => setDialog("create")}
                onPeople={() => setDialog("people")}
                onSettings={() => setPane({ kind: "settings" })}
            />
            <div class="content">
                {pane.kind === "room" && room && (
                    <RoomView key={room.roomId} client={client} room={room} scheme={scheme} onBack={() => setPane({ kind: "list" })} onOpenRoom={openRoom} />
                )}
                {pane.kind === "settings" && <Settings client={client} onBack={() => setPane({ kind: "list" })} onSignOut={() => void signOut()} onVerify={setVerification} />}
                {(pane.kind === "list" || (pane.kind === "room" && !room)) && (
                    <div class="empty-pane">
                        <p>Select a room, or start a conversation.</p>
                    </div>
                )}
            </div>
            {dialog === "create" && (
                <CreateRoom
                    client={client}
                    scheme={scheme}
                    onClose={() => setDialog(null)}
                    onCreated={(roomId) => {
                        setDialog(null);
                        openRoom(roomId);
                    }}
                />
            )}
            {dialog === "people" && (
                <PeopleSearch
                    client={client}
                    onClose={() => setDialog(null)}
                    onOpenRoom={(roomId) => {
                        setDialog(null);
                        openRoom(roomId);
                    }}
                />
            )}
            {verification && <Verification client={client} request={verification} onClose={() => setVerification(null)} />}
        </div>
    );
}
