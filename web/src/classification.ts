// Room classification: the institution's scheme, the viewer's clearance and what a room's label implies.
//
// Contract with the server: state event `org.chancery.classification` (state key "") holds
// {"level", "caveats", "handling"}; GET /_chancery/client/v1/classification gives the scheme (levels in
// ascending order with colour, watermark and allow_export) and the viewer's clearance. A 404 there means
// the server has no scheme: banners then come from the state event alone, in a neutral colour.
import { type MatrixClient, MatrixError, Method, type Room } from "matrix-js-sdk";

export const CLASSIFICATION_EVENT = "org.chancery.classification";
export const NEUTRAL_COLOUR = "#4a4f57";

export interface Level {
    name: string;
    colour: string;
    watermark: boolean;
    allow_export: boolean;
}

export interface Clearance {
    level: string;
    caveats: string[];
    expires_ts: number | null;
}

export interface Scheme {
    levels: Level[];
    caveats: string[];
    default_level: string | null;
    clearance: Clearance | null;
}

export interface RoomClassification {
    level: string;
    caveats: string[];
    handling: string;
}

/** What the UI does in a classified room. */
export interface RoomPolicy {
    label: string;
    colour: string;
    handling: string;
    watermark: boolean;
    allowExport: boolean;
}

function strings(value: unknown): string[] {
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

function parseScheme(raw: Record<string, unknown>): Scheme {
    const levels = (Array.isArray(raw.levels) ? raw.levels : [])
        .filter((l): l is Record<string, unknown> => typeof l === "object" && l !== null && typeof l.name === "string")
        .map((l) => ({
            name: l.name as string,
            colour: typeof l.colour === "string" && /^#[0-9a-fA-F]{3,8}$/.test(l.colour) ? l.colour : NEUTRAL_COLOUR,
            watermark: l.watermark === true,
            allow_export: l.allow_export !== false,
        }));
    const c = raw.clearance as Record<string, unknown> | null | undefined;
    const clearance =
        c && typeof c.level === "string"
            ? { level: c.level, caveats: strings(c.caveats), expires_ts: typeof c.expires_ts === "number" ? c.expires_ts : null }
            : null;
    return {
        levels,
        caveats: strings(raw.caveats),
        default_level: typeof raw.default_level === "string" ? raw.default_level : null,
        clearance,
    };
}

/** The server's scheme, or null when the server has none (404). */
export async function fetchScheme(client: MatrixClient): Promise<Scheme | null> {
    try {
        const raw = await client.http.authedRequest<Record<string, unknown>>(Method.Get, "/classification", undefined, undefined, {
            prefix: "/_chancery/client/v1",
        });
        return parseScheme(raw);
    } catch (error) {
        if (error instanceof MatrixError && (error.httpStatus === 404 || error.httpStatus === 400)) return null;
        throw error;
    }
}

export function roomClassification(room: Room): RoomClassification | null {
    const event = room.currentState.getStateEvents(CLASSIFICATION_EVENT, "");
    const content = event?.getContent() ?? {};
    if (typeof content.level !== "string" || !content.level) return null;
    return {
        level: content.level,
        caveats: strings(content.caveats),
        handling: typeof content.handling === "string" ? content.handling : "",
    };
}

export function labelOf(classification: Pick<RoomClassification, "level" | "caveats">): string {
    return [classification.level, ...classification.caveats].join(" // ");
}

export function policyFor(classification: RoomClassification | null, scheme: Scheme | null): RoomPolicy | null {
    if (!classification) return null;
    const level = scheme?.levels.find((l) => l.name === classification.level);
    return {
        label: labelOf(classification),
        colour: level?.colour ?? NEUTRAL_COLOUR,
        handling: classification.handling,
        watermark: level?.watermark ?? false,
        // Without a scheme the client cannot know the level's rule: the server still enforces it.
        allowExport: level?.allow_export ?? true,
    };
}

function clearanceValid(clearance: Clearance | null, now: number): clearance is Clearance {
    return clearance !== null && (clearance.expires_ts === null || clearance.expires_ts > now);
}

/** Levels the viewer may create a room at: up to their clearance, none when not cleared. */
export function selectableLevels(scheme: Scheme, now = Date.now()): Level[] {
    if (!clearanceValid(scheme.clearance, now)) return [];
    const top = scheme.levels.findIndex((l) => l.name === scheme.clearance?.level);
    return top < 0 ? [] : scheme.levels.slice(0, top + 1);
}

/** Caveats the viewer may put on a room: those of the scheme that their clearance carries. */
export function selectableCaveats(scheme: Scheme, now = Date.now()): string[] {
    if (!clearanceValid(scheme.clearance, now)) return [];
    const held = new Set(scheme.clearance.caveats);
    return scheme.caveats.filter((c) => held.has(c));
}

/** Foreground colour readable on a banner of `background` (#rgb or #rrggbb). */
export function textColourOn(background: string): string {
    let hex = background.slice(1);
    if (hex.length === 3 || hex.length === 4) hex = [...hex.slice(0, 3)].map((c) => c + c).join("");
    const [r, g, b] = [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255) as [number, number, number];
    const lin = (c: number) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4);
    const luminance = 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
    return luminance > 0.179 ? "#000000" : "#ffffff";
}
