// User-interactive authentication with the account password (deleting devices, uploading cross-signing keys).
import { type AuthDict, MatrixError } from "matrix-js-sdk";
import { ask } from "./prompts";

export type UiaRequest<T> = (auth: AuthDict | null) => Promise<T>;

/** Runs `request`; when the server asks for authentication, answers with the password (asked for if not given). */
export async function withPassword<T>(userId: string, request: UiaRequest<T>, knownPassword?: string): Promise<T> {
    try {
        return await request(null);
    } catch (error) {
        if (!(error instanceof MatrixError) || error.httpStatus !== 401 || !Array.isArray(error.data.flows)) throw error;
        const session = typeof error.data.session === "string" ? error.data.session : undefined;
        const password = knownPassword ?? (await ask("password", "Confirm your password", "The server asks you to confirm it is you."));
        if (password === null) throw new Error("Cancelled");
        return await request({
            type: "m.login.password",
            identifier: { type: "m.id.user", user: userId },
            password,
            session,
        } as AuthDict);
    }
}
