// Re-rendering on Matrix client events, and small async helpers for components.
import type { MatrixClient } from "matrix-js-sdk";
import { useEffect, useReducer, useState } from "preact/hooks";

type AnyEmitter = { on(event: string, listener: () => void): unknown; off(event: string, listener: () => void): unknown };

/** Re-renders the component (at most once per frame) when `emitter` emits any of `events`. */
export function useEvents(emitter: AnyEmitter | null | undefined, events: string[]): number {
    const [version, bump] = useReducer((n: number) => n + 1, 0);
    useEffect(() => {
        if (!emitter) return;
        let frame = 0;
        const onEvent = () => {
            if (frame) return;
            frame = requestAnimationFrame(() => {
                frame = 0;
                bump(undefined);
            });
        };
        for (const event of events) emitter.on(event, onEvent);
        return () => {
            if (frame) cancelAnimationFrame(frame);
            for (const event of events) emitter.off(event, onEvent);
        };
        // The list of event names is constant per call site.
    }, [emitter]);
    return version;
}

export function useClientEvents(client: MatrixClient, events: string[]): number {
    return useEvents(client as unknown as AnyEmitter, events);
}

/** The value of `load()` (re-run when `deps` change); null until it resolves. */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): T | null {
    const [value, setValue] = useState<T | null>(null);
    useEffect(() => {
        let live = true;
        setValue(null);
        load().then(
            (v) => live && setValue(() => v),
            () => live && setValue(null),
        );
        return () => {
            live = false;
        };
    }, deps);
    return value;
}

/** A blob: URL for `load()`'s blob, revoked when the component goes away. */
export function useBlobUrl(load: (() => Promise<Blob>) | null, deps: unknown[]): { url: string | null; error: unknown } {
    const [state, setState] = useState<{ url: string | null; error: unknown }>({ url: null, error: null });
    useEffect(() => {
        if (!load) return;
        let live = true;
        let url: string | null = null;
        load().then(
            (blob) => {
                url = URL.createObjectURL(blob);
                if (live) setState({ url, error: null });
                else URL.revokeObjectURL(url);
            },
            (error: unknown) => live && setState({ url: null, error }),
        );
        return () => {
            live = false;
            if (url) URL.revokeObjectURL(url);
        };
    }, deps);
    return state;
}
