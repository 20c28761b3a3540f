// Questions the client must ask in the middle of an operation (a password for user-interactive auth, a
// recovery key for secret storage). The PromptHost component answers them with a modal dialog.

export interface PromptRequest {
    kind: "password" | "recovery-key";
    title: string;
    detail: string;
    resolve: (answer: string | null) => void;
}

type Listener = (request: PromptRequest | null) => void;

let current: PromptRequest | null = null;
const listeners = new Set<Listener>();

export function onPrompt(listener: Listener): () => void {
    listeners.add(listener);
    listener(current);
    return () => listeners.delete(listener);
}

function publish(request: PromptRequest | null): void {
    current = request;
    for (const listener of listeners) listener(request);
}

export function ask(kind: PromptRequest["kind"], title: string, detail: string): Promise<string | null> {
    return new Promise((resolve) => {
        current?.resolve(null);
        publish({
            kind,
            title,
            detail,
            resolve: (answer) => {
                publish(null);
                resolve(answer);
            },
        });
    });
}
