// The sign-in screen: password, or the institution's directory when the server offers single sign-on.
import { useEffect, useState } from "preact/hooks";
import type { ClientConfig } from "../config";
import { type LoginOptions, loginOptions, passwordLogin, type Session, ssoRedirectUrl } from "../session";
import { ErrorAlert } from "./Alert";

export function SignIn(props: { config: ClientConfig; notice?: string; onSignedIn: (session: Session, password: string) => void }) {
    const [options, setOptions] = useState<LoginOptions | null>(null);
    const [user, setUser] = useState("");
    const [password, setPassword] = useState("");
    const [busy, setBusy] = useState(false);
    const [error, setError] = useState<unknown>(null);

    useEffect(() => {
        loginOptions(props.config.baseUrl).then(setOptions, (e: unknown) => {
            setOptions({ password: true, sso: null });
            setError(e);
        });
    }, [props.config.baseUrl]);

    async function submit(e: Event) {
        e.preventDefault();
        setBusy(true);
        setError(null);
        try {
            const session = await passwordLogin(props.config.baseUrl, props.config.serverName, user.trim(), password);
            props.onSignedIn(session, password);
        } catch (err) {
            setError(err);
            setBusy(false);
        }
    }

    return (
        <main class="signin" aria-labelledby="signin-title">
            <div class="signin-card">
                <div class="brand" aria-hidden="true">
                    <img src="/icon.svg" alt="" width="48" height="48" />
                </div>
                <h1 id="signin-title">Sign in to Chancery</h1>
                <p class="muted">{props.config.serverName}</p>
                {props.notice && (
                    <p class="notice" role="status">
                        {props.notice}
                    </p>
                )}
                {options?.sso?.map((provider) => (
                    <a class="button primary block" href={ssoRedirectUrl(props.config.baseUrl, provider.id)} key={provider.id}>
                        Sign in with {provider.name}
                    </a>
                ))}
                {(options === null || options.password) && (
                    <form onSubmit={submit} class="stack">
                        <label class="field">
                            <span>Username</span>
                            <input
                                name="username"
                                autocomplete="username"
                                autocapitalize="none"
                                spellcheck={false}
                                placeholder={`@name:${props.config.serverName}`}
                                value={user}
                                onInput={(e) => setUser(e.currentTarget.value)}
                                required
                            />
                        </label>
                        <label class="field">
                            <span>Password</span>
                            <input
                                name="password"
                                type="password"
                                autocomplete="current-password"
                                value={password}
                                onInput={(e) => setPassword(e.currentTarget.value)}
                                required
                            />
                        </label>
                        <ErrorAlert error={error} action="Sign-in" />
                        <button type="submit" class="primary block" disabled={busy}>
                            {busy ? "Signing in…" : "Sign in"}
                        </button>
                    </form>
                )}
            </div>
        </main>
    );
}
