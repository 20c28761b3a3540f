// An attachment in the timeline: preview for images, classification label, download when export is allowed.
import type { MatrixClient } from "matrix-js-sdk";
import { useState } from "preact/hooks";
import type { RoomPolicy } from "../classification";
import { type Attachment, fetchAttachment, fetchPreview, formatSize } from "../media";
import { ErrorAlert } from "./Alert";
import { Label } from "./Banner";
import { useBlobUrl } from "./hooks";
import { Watermark } from "./Watermark";

export function AttachmentView(props: { client: MatrixClient; attachment: Attachment; policy: RoomPolicy | null }) {
    const { client, attachment, policy } = props;
    const [error, setError] = useState<unknown>(null);
    const [busy, setBusy] = useState(false);
    const preview = useBlobUrl(attachment.kind === "image" ? () => fetchPreview(client, attachment) : null, [attachment.mxc, attachment.file?.url]);
    const exportAllowed = policy?.allowExport ?? true;

    async function download() {
        setBusy(true);
        setError(null);
        try {
            const blob = await fetchAttachment(client, attachment);
            const url = URL.createObjectURL(blob);
            const link = document.createElement("a");
            link.href = url;
            link.download = attachment.name;
            link.click();
            setTimeout(() => URL.revokeObjectURL(url), 60_000);
        } catch (e) {
            setError(e);
        } finally {
            setBusy(false);
        }
    }

    return (
        <figure class="attachment" data-kind={attachment.kind}>
            {policy && <Label policy={policy} />}
            {attachment.kind === "image" && (
                <div class="preview">
                    {preview.url ? <img src={preview.url} alt={attachment.name} /> : <span class="muted small">{preview.error ? "Preview unavailable" : "Loading preview…"}</span>}
                    {policy?.watermark && <Watermark client={client} />}
                </div>
            )}
            <figcaption class="attachment-caption">
                <span class="attachment-name">{attachment.name}</span>
                <span class="muted small">{formatSize(attachment.size)}</span>
                {exportAllowed ? (
                    <button type="button" class="small" onClick={download} disabled={busy} aria-label={`Download ${attachment.name}`}>
                        {busy ? "Downloading…" : "Download"}
                    </button>
                ) : (
                    <span class="muted small" data-export="blocked">
                        Download disabled for this classification
                    </span>
                )}
            </figcaption>
            <ErrorAlert error={error} action="Download" />
        </figure>
    );
}
