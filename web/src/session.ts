// Signing in and out: the stored session, password and single-sign-on (directory) login.
import { createClient, type LoginResponse } from "matrix-js-sdk";

export interface Session {
    baseUrl: string;
    userId: string;
    deviceId: string;
    accessToken: string;
}

const SESSION_KEY = "chancery.session";
const DEVICE_NAME = "Chancery Web";

export function loadSession(): Session | null {
    const raw = localStorage.getItem(SESSION_KEY);
    if (!raw) return null;
    try {
        const value = JSON.parse(raw) as Partial<Session>;
        if (value.baseUrl && value.userId && value.deviceId && value.accessToken) return value as Session;
    } catch {
        // A damaged entry is a signed-out browser.
    }
    localStorage.removeItem(SESSION_KEY);
    return null;
}

export function saveSession(session: Session): void {
    localStorage.setItem(SESSION_KEY, JSON.stringify(session));
}

export function forgetSession(): void {
    localStorage.removeItem(SESSION_KEY);
}

export interface LoginOptions {
    password: boolean;
    /** The institution's directory, offered by the server as single sign-on. */
    sso: { id: string; name: string }[] | null;
}

export async function loginOptions(baseUrl: string): Promise<LoginOptions> {
    const client = createClient({ baseUrl });
    const { flows } = await client.loginFlows();
    const options: LoginOptions = { password: false, sso: null };
    for (const flow of flows) {
        if (flow.type === "m.login.password") options.password = true;
        if (flow.type === "m.login.sso") {
            const providers = "identity_providers" in flow ? flow.identity_providers : undefined;
            options.sso = (providers ?? []).map((p) => ({ id: p.id, name: p.name }));
            if (options.sso.length === 0) options.sso = [{ id: "", name: "Institution directory" }];
        }
    }
    return options;
}

function toSession(baseUrl: string, response: LoginResponse): Session {
    return { baseUrl, userId: response.user_id, deviceId: response.device_id, accessToken: response.access_token };
}

export async function passwordLogin(baseUrl: string, serverName: string, user: string, password: string): Promise<Session> {
    const client = createClient({ baseUrl });
    const userId = user.startsWith("@") ? user : `@${user}:${serverName}`;
    const response = await client.loginRequest({
        type: "m.login.password",
        identifier: { type: "m.id.user", user: userId },
        password,
        initial_device_display_name: DEVICE_NAME,
    });
    return toSession(baseUrl, response);
}

export function ssoRedirectUrl(baseUrl: string, providerId: string): string {
    const client = createClient({ baseUrl });
    const back = `${location.origin}${location.pathname}`;
    return client.getSsoLoginUrl(back, "sso", providerId || undefined);
}

/** The `loginToken` the server appended when single sign-on sent the browser back, if any. */
export function takeLoginToken(): string | null {
    const params = new URLSearchParams(location.search);
    const token = params.get("loginToken");
    if (token) history.replaceState(null, "", location.pathname + location.hash);
    return token;
}

export async function tokenLogin(baseUrl: string, token: string): Promise<Session> {
    const client = createClient({ baseUrl });
    const response = await client.loginRequest({
        type: "m.login.token",
        token,
        initial_device_display_name: DEVICE_NAME,
    });
    return toSession(baseUrl, response);
}
