// The classification banner shown at the top and bottom of a classified room, and on attachments.
import { type RoomPolicy, textColourOn } from "../classification";

export function Banner(props: { policy: RoomPolicy; position: "top" | "bottom" }) {
    const { policy } = props;
    return (
        <div
            class={`banner banner-${props.position}`}
            role="note"
            aria-label={`Classification: ${policy.label}`}
            data-classification={policy.label}
            style={{ background: policy.colour, color: textColourOn(policy.colour) }}
        >
            <strong class="banner-label">{policy.label}</strong>
            {props.position === "top" && policy.handling && <span class="banner-handling">{policy.handling}</span>}
        </div>
    );
}

export function Label(props: { policy: RoomPolicy }) {
    return (
        <span class="label" data-classification={props.policy.label} style={{ background: props.policy.colour, color: textColourOn(props.policy.colour) }}>
            {props.policy.label}
        </span>
    );
}
