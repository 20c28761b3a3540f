// Finding people in the user directory (with organisation and position) and messaging them.
import type { MatrixClient } from "matrix-js-sdk";
import { useEffect, useState } from "preact/hooks";
import { openDirectRoom, type Person, roleLine, searchPeople } from "../people";
import { ErrorAlert } from "./Alert";
import { Dialog } from "./Dialog";

export function PeopleSearch(props: { client: MatrixClient; onClose: () => void; onOpenRoom: (roomId: string) => void }) {
    const { client } = props;
    const [term, setTerm] = useState("");
    const [results, setResults] = useState<Person[] | null>(null);
    const [error, setError] = useState<unknown>(null);

    useEffect(() => {
        const needle = term.trim();
        if (!needle) {
            setResults(null);
            return;
        }
        const timer = setTimeout(() => {
            searchPeople(client, needle).then(setResults, setError);
        }, 250);
        return () => clearTimeout(timer);
    }, [term]);

    async function message(userId: string) {
        setError(null);
        try {
            props.onOpenRoom(await openDirectRoom(client, userId));
        } catch (e) {
            setError(e);
        }
    }

    return (
        <Dialog title="Find people" onClose={props.onClose}>
            <label class="field">
                <span>Name, user ID, organisation</span>
                <input type="search" name="people" value={term} onInput={(e) => setTerm(e.currentTarget.value)} />
            </label>
            <ErrorAlert error={error} />
            {results && results.length === 0 && <p class="muted">Nobody found.</p>}
            <ul class="people">
                {(results ?? []).map((person) => (
                    <li key={person.userId} class="person" data-user-id={person.userId}>
                        <div>
                            <div class="member-name">{person.displayName}</div>
                            <div class="muted small">{person.userId}</div>
                            {roleLine(person) && <div class="small person-role">{roleLine(person)}</div>}
                        </div>
                        <button type="button" class="small" onClick={() => void message(person.userId)}>
                            Message
                        </button>
                    </li>
                ))}
            </ul>
        </Dialog>
    );
}
