// A refusal or failure shown where the action was attempted: the server's words and the institution's reason.
import { describeError, reasonLabel } from "../errors";
import { MediaError } from "../media";

export function ErrorAlert(props: { error: unknown; action?: string }) {
    if (!props.error) return null;
    const { message, reason } =
        props.error instanceof MediaError ? { message: props.error.message, reason: props.error.reason } : describeError(props.error);
    return (
        <div class={reason ? "alert refusal" : "alert"} role="alert">
            {props.action && <strong>{props.action} failed: </strong>}
            <span class="alert-message">{message}</span>
            {reason && (
                <div class="alert-reason" data-reason={reason}>
                    {reasonLabel(reason)}
                </div>
            )}
        </div>
    );
}
