// The per-viewer watermark: the viewer's name, ID and the time, faint and tiled, so that a photo or
// screenshot of a classified room names who was looking at it.

const TILE_WIDTH = 360;
const TILE_HEIGHT = 200;

export function watermarkLines(displayName: string, userId: string, now: Date): string[] {
    const time = now.toISOString().slice(0, 16).replace("T", " ") + " UTC";
    return displayName && displayName !== userId ? [displayName, userId, time] : [userId, time];
}

/** A tile (data: URL) to repeat as the overlay's background. */
export function watermarkTile(lines: string[]): string {
    const canvas = document.createElement("canvas");
    const scale = window.devicePixelRatio || 1;
    canvas.width = TILE_WIDTH * scale;
    canvas.height = TILE_HEIGHT * scale;
    const ctx = canvas.getContext("2d");
    if (!ctx) return "";
    ctx.scale(scale, scale);
    ctx.translate(TILE_WIDTH / 2, TILE_HEIGHT / 2);
    ctx.rotate(-Math.PI / 9);
    ctx.font = "600 15px system-ui, sans-serif";
    ctx.textAlign = "center";
    ctx.fillStyle = "rgba(60, 60, 60, 0.16)";
    lines.forEach((line, i) => ctx.fillText(line, 0, (i - (lines.length - 1) / 2) * 20));
    return canvas.toDataURL("image/png");
}
