// The top-level screens: sign-in, the signed-in client, the wiped notice.
import type { MatrixClient } from "matrix-js-sdk";
import { useEffect, useState } from "preact/hooks";
import type { ClientConfig } from "../config";
import { firstSync, startMatrix } from "../matrix";
import { bootstrapNewAccount } from "../recovery";
import { forgetSession, loadSession, saveSession, type Session, takeLoginToken, tokenLogin } from "../session";
import { eraseLocalData, isWipedRefusal } from "../wipe";
import { ErrorAlert } from "./Alert";
import { Main } from "./Main";
import { PromptHost } from "./PromptHost";
import { SignIn } from "./SignIn";
import { Wiped } from "./Wiped";

type Screen =
    | { name: "loading"; text: string }
    | { name: "signin"; notice?: string }
    | { name: "main"; client: MatrixClient }
    | { name: "wiped"; reason: string }
    | { name: "failed"; error: unknown };

export function App(props: { config: ClientConfig }) {
    const [screen, setScreen] = useState<Screen>({ name: "loading", text: "Starting…" });

    async function open(session: Session, password?: string) {
        setScreen({ name: "loading", text: "Loading your rooms…" });
        try {
            const client = await startMatrix(session);
            await firstSync(client);
            setScreen({ name: "main", client });
            // A new account gets its cross-signing identity at once (the password is at hand right now).
            if (password !== undefined) bootstrapNewAccount(client, password).catch((e: unknown) => console.warn("cross-signing", e));
        } catch (error) {
            if (isWipedRefusal(error)) {
                forgetSession();
                await eraseLocalData();
                setScreen({ name: "wiped", reason: "" });
            } else if (error && typeof error === "object" && "errcode" in error && error.errcode === "M_UNKNOWN_TOKEN") {
                forgetSession();
                await eraseLocalData();
                setScreen({ name: "signin", notice: "Your session has ended. Please sign in again." });
            } else {
                setScreen({ name: "failed", error });
            }
        }
    }

    useEffect(() => {
        const loginToken = takeLoginToken();
        if (loginToken) {
            tokenLogin(props.config.baseUrl, loginToken).then(
                (session) => {
                    saveSession(session);
                    void open(session);
                },
                (error: unknown) => setScreen({ name: "failed", error }),
            );
            return;
        }
        const session = loadSession();
        if (session) void open(session);
        else setScreen({ name: "signin" });
    }, []);

    let body;
    switch (screen.name) {
        case "loading":
            body = (
                <main class="loading" aria-busy="true">
                    <p role="status">{screen.text}</p>
                </main>
            );
            break;
        case "signin":
            body = (
                <SignIn
                    config={props.config}
                    notice={screen.notice}
                    onSignedIn={(session, password) => {
                        saveSession(session);
                        void open(session, password);
                    }}
                />
            );
            break;
        case "main":
            body = (
                <Main
                    client={screen.client}
                    config={props.config}
                    onSignedOut={(notice) => setScreen({ name: "signin", notice })}
                    onWiped={(reason) => setScreen({ name: "wiped", reason })}
                />
            );
            break;
        case "wiped":
            body = <Wiped reason={screen.reason} onContinue={() => setScreen({ name: "signin" })} />;
            break;
        case "failed":
            body = (
                <main class="loading">
                    <ErrorAlert error={screen.error} action="Starting" />
                    <button type="button" onClick={() => location.reload()}>
                        Try again
                    </button>
                </main>
            );
            break;
    }
    return (
        <>
            {body}
            <PromptHost />
        </>
    );
}
