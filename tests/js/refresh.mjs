// Expiring access tokens and POST /refresh through matrix-js-sdk (issue 14).
//
// Usage: node refresh.mjs <server base URL>   (the server's [devices] access_token_lifetime_s is 2)
// A client that asks for a refresh token at registration gets one with expires_in_ms; once the access token has
// expired the SDK's requests fail with M_UNKNOWN_TOKEN and soft_logout; client.refreshToken() gets a new pair,
// with which the same device works again; the used refresh token is refused.
// Prints "OK" and exits 0 when everything held; any failure exits non-zero with the reason.

import { base, check, clientLogger, http, PASSWORD, sdk, step } from "./harness.mjs";

step("Register asking for a refresh token");
const session = await http("POST", "/register", null, {
    username: `refresh${Date.now()}${Math.floor(Math.random() * 1e6)}`,
    password: PASSWORD,
    auth: { type: "m.login.dummy" },
    refresh_token: true,
});
check(session.refresh_token && session.expires_in_ms > 0 && session.expires_in_ms <= 2000, JSON.stringify(session));
const client = sdk.createClient({
    baseUrl: base,
    userId: session.user_id,
    accessToken: session.access_token,
    deviceId: session.device_id,
    logger: clientLogger,
});
check((await client.whoami()).device_id === session.device_id, "whoami with the fresh token");

step("Let the access token expire");
await new Promise((resolve) => setTimeout(resolve, 2500));
let expired;
try {
    await client.whoami();
} catch (error) {
    expired = error;
}
check(expired?.errcode === "M_UNKNOWN_TOKEN" && expired?.data?.soft_logout === true, `expired: ${expired}`);

step("Refresh, and carry on as the same device");
const renewed = await client.refreshToken(session.refresh_token);
check(renewed.access_token && renewed.refresh_token && renewed.expires_in_ms > 0, JSON.stringify(renewed));
client.setAccessToken(renewed.access_token);
check((await client.whoami()).device_id === session.device_id, "whoami with the renewed token");

step("A refresh token works once");
let reused;
try {
    await client.refreshToken(session.refresh_token);
} catch (error) {
    reused = error;
}
check(reused?.errcode === "M_UNKNOWN_TOKEN", `reused: ${reused}`);
console.log("OK");
process.exit(0);
