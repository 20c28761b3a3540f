// Answers the client's questions (password, recovery key) in a dialog.
import { useEffect, useState } from "preact/hooks";
import { onPrompt, type PromptRequest } from "../prompts";
import { Dialog } from "./Dialog";

export function PromptHost() {
    const [request, setRequest] = useState<PromptRequest | null>(null);
    const [value, setValue] = useState("");
    useEffect(() => onPrompt((r) => {
        setRequest(r);
        setValue("");
    }), []);
    if (!request) return null;
    const label = request.kind === "password" ? "Password" : "Recovery key";
    return (
        <Dialog title={request.title} onClose={() => request.resolve(null)}>
            <form
                onSubmit={(e) => {
                    e.preventDefault();
                    request.resolve(value);
                }}
            >
                <p>{request.detail}</p>
                <label class="field">
                    <span>{label}</span>
                    {request.kind === "password" ? (
                        <input type="password" autocomplete="current-password" value={value} onInput={(e) => setValue(e.currentTarget.value)} required />
                    ) : (
                        <input type="text" autocomplete="off" spellcheck={false} value={value} onInput={(e) => setValue(e.currentTarget.value)} required />
                    )}
                </label>
                <div class="actions">
                    <button type="button" onClick={() => request.resolve(null)}>
                        Cancel
                    </button>
                    <button type="submit" class="primary">
                        Continue
                    </button>
                </div>
            </form>
        </Dialog>
    );
}
