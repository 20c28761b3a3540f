// The per-viewer watermark overlay: faint, tiled, above the content, never in the way of the pointer.
import type { MatrixClient } from "matrix-js-sdk";
import { useEffect, useMemo, useState } from "preact/hooks";
import { watermarkLines, watermarkTile } from "../watermark";

const MINUTE = 60_000;

export function Watermark(props: { client: MatrixClient }) {
    const userId = props.client.getSafeUserId();
    const name = props.client.getUser(userId)?.displayName ?? userId;
    const [now, setNow] = useState(() => new Date());
    useEffect(() => {
        const timer = setInterval(() => setNow(new Date()), MINUTE);
        return () => clearInterval(timer);
    }, []);
    const lines = watermarkLines(name, userId, now);
    const minute = Math.floor(now.getTime() / MINUTE);
    const tile = useMemo(() => watermarkTile(lines), [name, userId, minute]);
    return <div class="watermark" aria-hidden="true" data-watermark={lines.join(" · ")} style={{ backgroundImage: `url("${tile}")` }} />;
}
