// A modal dialog on the native <dialog> element: focus is trapped and Escape closes it.
import type { ComponentChildren } from "preact";
import { useEffect, useRef } from "preact/hooks";

let nextId = 0;

export function Dialog(props: { title: string; onClose: () => void; children: ComponentChildren; wide?: boolean }) {
    const ref = useRef<HTMLDialogElement>(null);
    const titleId = useRef(`dialog-title-${++nextId}`);
    useEffect(() => {
        const dialog = ref.current;
        if (dialog && !dialog.open) dialog.showModal();
        return () => dialog?.close();
    }, []);
    return (
        <dialog
            ref={ref}
            class={props.wide ? "dialog wide" : "dialog"}
            aria-labelledby={titleId.current}
            onCancel={(e) => {
                e.preventDefault();
                props.onClose();
            }}
        >
            <header class="dialog-header">
                <h2 id={titleId.current}>{props.title}</h2>
                <button type="button" class="icon-button" aria-label="Close" onClick={props.onClose}>
                    ✕
                </button>
            </header>
            <div class="dialog-body">{props.children}</div>
        </dialog>
    );
}
