// Shown after a remote wipe: nothing of the account is left in this browser.
export function Wiped(props: { reason: string; onContinue: () => void }) {
    return (
        <main class="signin" aria-labelledby="wiped-title">
            <div class="signin-card wiped" data-screen="wiped">
                <h1 id="wiped-title">This device was wiped by your administrator</h1>
                <p>Your messages, encryption keys and session were erased from this browser, and this device was signed out.</p>
                {props.reason && (
                    <p>
                        <strong>Reason: </strong>
                        {props.reason}
                    </p>
                )}
                <button type="button" class="primary block" onClick={props.onContinue}>
                    Sign in again
                </button>
            </div>
        </main>
    );
}
