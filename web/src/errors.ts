// What to tell the person when the server refuses something: its own words, and why.
import { MatrixError } from "matrix-js-sdk";

export interface Refusal {
    message: string;
    /** The institution's reason (e.g. "clearance") when the server gives one. */
    reason: string | null;
}

const REASON_LABELS: Record<string, string> = {
    clearance: "Reason: clearance (someone involved is not cleared for this classification)",
    caveat: "Reason: caveat (someone involved does not hold every caveat of this room)",
    expired: "Reason: expired clearance (the clearance needed here has expired)",
    accreditation: "Reason: accreditation (this device is not accredited for this classification)",
    export: "Reason: export (this file is classified higher than this room)",
    lower: "Reason: only a security officer may lower a room's classification",
    external: "Reason: external account (not allowed for accounts outside the institution)",
    access_rule: "Reason: the room's access rule cannot change that way",
    invite_blocked: "Reason: this person does not accept invites",
};

export function describeError(error: unknown): Refusal {
    if (error instanceof MatrixError) {
        const reason = error.data["org.chancery.reason"];
        const text = typeof error.data.error === "string" && error.data.error ? error.data.error : error.message;
        return { message: text, reason: typeof reason === "string" ? reason : null };
    }
    if (error instanceof Error) return { message: error.message, reason: null };
    return { message: String(error), reason: null };
}

export function reasonLabel(reason: string): string {
    return REASON_LABELS[reason] ?? `Refused by policy: ${reason}`;
}
