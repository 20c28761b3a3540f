// Attachments: upload (encrypted in encrypted rooms), authenticated download, decryption, previews.
import { decryptAttachment, encryptAttachment, type IEncryptedFile } from "matrix-encrypt-attachment";
import type { MatrixClient, MatrixEvent } from "matrix-js-sdk";

export interface Attachment {
    kind: "image" | "file" | "video" | "audio";
    name: string;
    mimetype: string;
    size: number | null;
    mxc: string | null;
    file: IEncryptedFile & { url: string } | null;
}

const MSGTYPES: Record<string, Attachment["kind"]> = {
    "m.image": "image",
    "m.file": "file",
    "m.video": "video",
    "m.audio": "audio",
};

export function attachmentOf(event: MatrixEvent): Attachment | null {
    const content = event.getContent();
    const kind = MSGTYPES[content.msgtype as string];
    if (!kind) return null;
    const info = (content.info ?? {}) as { mimetype?: unknown; size?: unknown };
    const file = content.file && typeof content.file.url === "string" ? (content.file as Attachment["file"]) : null;
    return {
        kind,
        name: typeof content.filename === "string" ? content.filename : String(content.body ?? "attachment"),
        mimetype: typeof info.mimetype === "string" ? info.mimetype : "application/octet-stream",
        size: typeof info.size === "number" ? info.size : null,
        mxc: typeof content.url === "string" ? content.url : null,
        file,
    };
}

async function imageSize(file: File): Promise<{ w: number; h: number } | null> {
    if (!file.type.startsWith("image/")) return null;
    try {
        const bitmap = await createImageBitmap(file);
        const size = { w: bitmap.width, h: bitmap.height };
        bitmap.close();
        return size;
    } catch {
        return null;
    }
}

/** Uploads `file` and returns the message content that refers to it. */
export async function uploadAttachment(client: MatrixClient, file: File, encrypted: boolean): Promise<Record<string, unknown>> {
    const kind = file.type.startsWith("image/") ? "m.image" : file.type.startsWith("video/") ? "m.video" : file.type.startsWith("audio/") ? "m.audio" : "m.file";
    const size = await imageSize(file);
    const info: Record<string, unknown> = { mimetype: file.type || "application/octet-stream", size: file.size };
    if (size) Object.assign(info, size);
    const content: Record<string, unknown> = { msgtype: kind, body: file.name, filename: file.name, info };
    if (encrypted) {
        const { data, info: keys } = await encryptAttachment(await file.arrayBuffer());
        const upload = await client.uploadContent(new Blob([data]), { type: "application/octet-stream", includeFilename: false });
        content.file = { ...keys, url: upload.content_uri };
    } else {
        const upload = await client.uploadContent(file, { type: file.type || "application/octet-stream", name: file.name });
        content.url = upload.content_uri;
    }
    return content;
}

async function authedFetch(client: MatrixClient, url: string): Promise<Response> {
    const response = await fetch(url, { headers: { Authorization: `Bearer ${client.getAccessToken() ?? ""}` } });
    if (!response.ok) {
        let message = `${response.status} ${response.statusText}`;
        let reason: string | null = null;
        try {
            const body = (await response.json()) as { error?: unknown; "org.chancery.reason"?: unknown };
            if (typeof body.error === "string") message = body.error;
            if (typeof body["org.chancery.reason"] === "string") reason = body["org.chancery.reason"];
        } catch {
            // Not JSON: the status line says enough.
        }
        throw new MediaError(message, reason);
    }
    return response;
}

export class MediaError extends Error {
    constructor(
        message: string,
        readonly reason: string | null,
    ) {
        super(message);
    }
}

/** The file itself, decrypted when it was encrypted (a download: refused by the server in rooms that forbid export). */
export async function fetchAttachment(client: MatrixClient, attachment: Attachment): Promise<Blob> {
    const mxc = attachment.file?.url ?? attachment.mxc;
    const url = mxc ? client.mxcUrlToHttp(mxc, undefined, undefined, undefined, false, true, true) : null;
    if (!url) throw new MediaError("This attachment has no valid address", null);
    const response = await authedFetch(client, url);
    const bytes = await response.arrayBuffer();
    if (attachment.file) {
        const plain = await decryptAttachment(bytes, attachment.file);
        return new Blob([plain], { type: attachment.mimetype });
    }
    return new Blob([bytes], { type: attachment.mimetype });
}

/** A preview image: the server's thumbnail for unencrypted images, the decrypted file for encrypted ones. */
export async function fetchPreview(client: MatrixClient, attachment: Attachment): Promise<Blob> {
    if (attachment.file || !attachment.mxc) return fetchAttachment(client, attachment);
    const url = client.mxcUrlToHttp(attachment.mxc, 640, 480, "scale", false, true, true);
    if (!url) throw new MediaError("This attachment has no valid address", null);
    return (await authedFetch(client, url)).blob();
}

export function formatSize(bytes: number | null): string {
    if (bytes === null) return "";
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
    return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}
