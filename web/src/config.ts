// The client's configuration, served by the homeserver itself at /config.json.

export interface ClientConfig {
    baseUrl: string;
    serverName: string;
}

interface ServedConfig {
    homeserver?: { base_url?: unknown; server_name?: unknown };
}

export async function loadConfig(): Promise<ClientConfig> {
    let served: ServedConfig = {};
    try {
        const response = await fetch("/config.json", { cache: "no-cache" });
        if (response.ok) served = (await response.json()) as ServedConfig;
    } catch {
        // Served from somewhere else than the homeserver: fall back to this page's origin.
    }
    const baseUrl = typeof served.homeserver?.base_url === "string" ? served.homeserver.base_url : location.origin;
    const serverName = typeof served.homeserver?.server_name === "string" ? served.homeserver.server_name : location.hostname;
    return { baseUrl: baseUrl.replace(/\/+$/, ""), serverName };
}
