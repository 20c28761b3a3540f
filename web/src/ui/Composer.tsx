// The message composer: text (Enter sends), replies, edits, attachments, typing notifications.
import type { MatrixClient, MatrixEvent, Room } from "matrix-js-sdk";
import { useEffect, useRef, useState } from "preact/hooks";
import { uploadAttachment } from "../media";
import { ErrorAlert } from "./Alert";

export type ComposerMode = { kind: "new" } | { kind: "reply"; event: MatrixEvent } | { kind: "edit"; event: MatrixEvent };

const TYPING_TIMEOUT_MS = 5000;

function bodyOf(event: MatrixEvent): string {
    const body = event.getContent().body;
    return typeof body === "string" ? body : "";
}

export function Composer(props: { client: MatrixClient; room: Room; threadId?: string; mode: ComposerMode; onModeDone: () => void; label: string }) {
    const { client, room, mode } = props;
    const [text, setText] = useState("");
    const [error, setError] = useState<unknown>(null);
    const [uploading, setUploading] = useState(false);
    const typingUntil = useRef(0);
    const input = useRef<HTMLTextAreaElement>(null);
    const fileInput = useRef<HTMLInputElement>(null);
    const inputId = `composer-${props.threadId ?? "main"}`;

    useEffect(() => {
        if (mode.kind === "edit") setText(bodyOf(mode.event));
        if (mode.kind !== "new") input.current?.focus();
    }, [mode]);

    function typing(active: boolean) {
        if (props.threadId) return;
        const now = Date.now();
        if (active && now < typingUntil.current - TYPING_TIMEOUT_MS / 2) return;
        typingUntil.current = active ? now + TYPING_TIMEOUT_MS : 0;
        client.sendTyping(room.roomId, active, TYPING_TIMEOUT_MS).catch(() => undefined);
    }

    async function send() {
        const body = text.trim();
        if (!body) return;
        setError(null);
        let content: Record<string, unknown> = { msgtype: "m.text", body };
        if (mode.kind === "edit") {
            content = {
                msgtype: "m.text",
                body: `* ${body}`,
                "m.new_content": { msgtype: "m.text", body },
                "m.relates_to": { rel_type: "m.replace", event_id: mode.event.getId() },
            };
        } else if (mode.kind === "reply") {
            content["m.relates_to"] = { "m.in_reply_to": { event_id: mode.event.getId() } };
        }
        setText("");
        typing(false);
        props.onModeDone();
        try {
            await client.sendMessage(room.roomId, props.threadId ?? null, content as never);
        } catch (e) {
            setError(e);
            setText(body);
        }
    }

    async function attach(files: FileList | null) {
        const file = files?.[0];
        if (!file) return;
        setUploading(true);
        setError(null);
        try {
            const content = await uploadAttachment(client, file, room.hasEncryptionStateEvent());
            await client.sendMessage(room.roomId, props.threadId ?? null, content as never);
        } catch (e) {
            setError(e);
        } finally {
            setUploading(false);
            if (fileInput.current) fileInput.current.value = "";
        }
    }

    return (
        <div class="composer">
            {mode.kind !== "new" && (
                <div class="composer-mode">
                    <span>
                        {mode.kind === "reply" ? "Replying to " : "Editing "}
                        <q>{bodyOf(mode.event).slice(0, 80)}</q>
                    </span>
                    <button type="button" class="small" onClick={() => { props.onModeDone(); setText(""); }}>
                        Cancel
                    </button>
                </div>
            )}
            <ErrorAlert error={error} action="Sending" />
            <form
                class="composer-row"
                onSubmit={(e) => {
                    e.preventDefault();
                    void send();
                }}
            >
                <input ref={fileInput} class="visually-hidden" type="file" tabIndex={-1} aria-hidden="true" data-testid="attach-input" onChange={(e) => void attach(e.currentTarget.files)} />
                <button type="button" class="icon-button" title="Attach a file" aria-label="Attach a file" disabled={uploading} onClick={() => fileInput.current?.click()}>
                    <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" focusable="false">
                        <path fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" d="M20 11.5l-8.1 8.1a5 5 0 0 1-7.1-7.1l8.5-8.5a3.3 3.3 0 0 1 4.7 4.7l-8.5 8.5a1.7 1.7 0 0 1-2.4-2.4l7.8-7.8" />
                    </svg>
                </button>
                <label for={inputId} class="visually-hidden">
                    {props.label}
                </label>
                <textarea
                    id={inputId}
                    ref={input}
                    rows={1}
                    placeholder={uploading ? "Uploading…" : props.label}
                    value={text}
                    onInput={(e) => {
                        setText(e.currentTarget.value);
                        typing(e.currentTarget.value.length > 0);
                    }}
                    onKeyDown={(e) => {
                        if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
                            e.preventDefault();
                            void send();
                        } else if (e.key === "Escape" && mode.kind !== "new") {
                            props.onModeDone();
                            setText("");
                        }
                    }}
                />
                <button type="submit" class="primary" disabled={!text.trim()}>
                    Send
                </button>
            </form>
        </div>
    );
}
