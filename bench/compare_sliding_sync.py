"""The same simplified sliding sync requests against Chancery and Synapse: do the responses have the same fields and
mean the same? Not a benchmark: one scripted session (Element X's three connections) against a fresh server of each.

    .venv/bin/python bench/compare_sliding_sync.py [--db sqlite|postgres]

For each step it prints, side by side, the values that carry the meaning (rooms sent, list counts, membership,
`initial`, name, timeline bodies, required_state keys, counts, extension contents) and the fields one server sends
and the other does not (IDs, positions and timestamps replaced by labels or types). Writes
bench/results/sliding-sync-comparison.md. Installs the pinned Synapse into bench/.synapse-venv on first use.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadgen import C, Client, User, register_many
from servers import ROOT, SYNAPSE_VERSION, ensure_synapse, make_server
from sliding_sync import ROOM_LIST_STATE, SLIDING_SYNC

RESULTS = ROOT / "bench" / "results"
MEANINGFUL = ("initial", "membership", "name", "is_dm", "limited", "num_live", "joined_count", "invited_count")
Labels = dict[str, str]


class Session:
    """One server's run of the script: the same requests, the responses kept per step."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.labels: Labels = {}
        self.steps: dict[str, Any] = {}
        self.pos: dict[str, str] = {}

    async def sync(self, step: str, user: User, body: dict[str, Any], conn: str) -> Any:
        params = {"timeout": "0"}
        if conn in self.pos:
            params["pos"] = self.pos[conn]
        status, reply = await self.client.request("POST", SLIDING_SYNC, user.token, {**body, "conn_id": conn}, params)
        self.steps[step] = reply if status == 200 else {"status": status, "errcode": reply.get("errcode")}
        if status == 200:
            self.pos[conn] = reply["pos"]
        return reply

    async def send(self, user: User, room: str, text: str) -> None:
        path = f"{C}/rooms/{quote(room, safe='')}/send/m.room.message/{text.replace(' ', '_')}"
        await self.client.setup_call("send", "PUT", path, user.token, {"msgtype": "m.text", "body": text})


ROOM_LIST = {
    "lists": {"all_rooms": {"ranges": [[0, 19]], "timeline_limit": 1, "required_state": ROOM_LIST_STATE}},
    "extensions": {"account_data": {"enabled": True}, "receipts": {"enabled": True}, "typing": {"enabled": True}},
}
ENCRYPTION = {"extensions": {"to_device": {"enabled": True}, "e2ee": {"enabled": True}}}


def notifications(subscribed: str) -> dict[str, Any]:
    return {
        "lists": {
            "invites": {"ranges": [[0, 9]], "timeline_limit": 1, "required_state": [], "filters": {"is_invite": True}}
        },
        "room_subscriptions": {subscribed: {"timeline_limit": 5, "required_state": [["*", "*"]]}},
    }


async def script(base_url: str) -> Session:
    client = Client.open(base_url)
    session = Session(client)
    try:
        alice, bob, carol = await register_many(client, 3, 1, prefix="cmp")
        session.labels |= {alice.user_id: "@alice", bob.user_id: "@bob", carol.user_id: "@carol"}
        alpha = await client.create_room(alice, preset="public_chat", name="Alpha")
        direct = await client.create_room(alice, preset="trusted_private_chat", is_direct=True, invite=[bob.user_id])
        session.labels |= {alpha: "!alpha", direct: "!direct"}
        await client.join(bob, alpha)
        await client.join(bob, direct)
        await session.send(alice, alpha, "first")
        await session.send(bob, direct, "hello alice")
        await session.sync("room-list initial", alice, ROOM_LIST, "room-list")
        await session.send(bob, alpha, "bump alpha")
        await session.sync("room-list after a message", alice, ROOM_LIST, "room-list")
        await session.sync("room-list nothing new", alice, ROOM_LIST, "room-list")
        await session.sync("encryption initial", alice, ENCRYPTION, "encryption")
        messages = {alice.user_id: {"*": {"secret": "for alice's devices"}}}
        await client.setup_call("to-device", "PUT", f"{C}/sendToDevice/m.test/t1", bob.token, {"messages": messages})
        encryption = await session.sync("encryption after a to-device message", alice, ENCRYPTION, "encryption")
        since = encryption.get("extensions", {}).get("to_device", {}).get("next_batch")
        acked = {"extensions": {**ENCRYPTION["extensions"], "to_device": {"enabled": True, "since": since}}}
        await session.sync("encryption acknowledged", alice, acked, "encryption")
        await session.sync("notifications initial", alice, notifications(alpha), "notifications")
        invited = await client.create_room(carol, name="Invitation", invite=[alice.user_id])
        session.labels[invited] = "!invited"
        await session.sync("notifications after an invite", alice, notifications(alpha), "notifications")
        session.pos["bad"] = "not-a-pos"
        await session.sync("unknown pos", alice, ROOM_LIST, "bad")
        return session
    finally:
        await client.close()


def relabel(value: Any, labels: Labels) -> Any:
    if isinstance(value, str):
        return labels.get(value, value)
    if isinstance(value, list):
        return [relabel(v, labels) for v in value]
    if isinstance(value, dict):
        return {labels.get(k, k): relabel(v, labels) for k, v in value.items()}
    return value


def meaning(step: Any) -> dict[str, Any]:
    """The values that carry a response's meaning, IDs already replaced by labels."""
    if "status" in step:
        return {"error": [step["status"], step["errcode"]]}
    out: dict[str, Any] = {"lists": {k: v.get("count") for k, v in step.get("lists", {}).items()}}
    for room, entry in sorted(step.get("rooms", {}).items()):
        out[room] = {key: entry[key] for key in MEANINGFUL if key in entry}
        out[room]["timeline"] = [e["content"].get("body", e["type"]) for e in entry.get("timeline", [])]
        out[room]["required_state"] = sorted(f"{e['type']}|{e['state_key']}" for e in entry.get("required_state", []))
        if "invite_state" in entry or "stripped_state" in entry:
            stripped = entry.get("invite_state", entry.get("stripped_state"))
            out[room]["invite_state"] = sorted(f"{e['type']}|{e['state_key']}" for e in stripped)
        if "heroes" in entry:
            out[room]["heroes"] = [h["user_id"] for h in entry["heroes"]]
    extensions = step.get("extensions", {})
    if "to_device" in extensions:
        out["to_device"] = [e["content"] for e in extensions["to_device"].get("events", [])]
    if "e2ee" in extensions:
        out["otk_counts"] = extensions["e2ee"].get("device_one_time_keys_count")
        out["device_lists"] = extensions["e2ee"].get("device_lists")
    if "account_data" in extensions:
        out["account_data"] = sorted(e["type"] for e in extensions["account_data"].get("global", []))
    if "receipts" in extensions:
        out["receipt_rooms"] = sorted(extensions["receipts"].get("rooms", {}))
    return out


def fields(value: Any, path: str = "") -> set[str]:
    """Every field path of a response (dict keys, list items merged), with the JSON type of each leaf."""
    if isinstance(value, dict):
        found = {path + "{}"} if not value else set()
        for key, child in value.items():
            found |= fields(child, f"{path}.{key}")
        return found
    if isinstance(value, list):
        found = {path + "[]"} if not value else set()
        for child in value:
            found |= fields(child, path + "[]")
        return found
    return {f"{path}: {type(value).__name__}"}


def report(sessions: dict[str, Session], db: str) -> str:
    lines = [f"# Sliding sync: Chancery and Synapse {SYNAPSE_VERSION} ({db}), the same requests", ""]
    chancery, synapse = sessions["chancery"], sessions["synapse"]
    for step in chancery.steps:
        ours = relabel(chancery.steps[step], chancery.labels)
        theirs = relabel(synapse.steps.get(step, {}), synapse.labels)
        lines += [f"## {step}", ""]
        left, right = meaning(ours), meaning(theirs)
        same = [k for k in left if left.get(k) == right.get(k)]
        lines.append(f"- same: {', '.join(same) or 'nothing'}")
        for key in sorted(set(left) | set(right), key=str):
            if left.get(key) != right.get(key):
                lines.append(f"- `{key}`: Chancery `{left.get(key)}` / Synapse `{right.get(key)}`")
        only_ours, only_theirs = fields(ours) - fields(theirs), fields(theirs) - fields(ours)
        for label, only in (("only Chancery", only_ours), ("only Synapse", only_theirs)):
            if only:
                lines.append(f"- fields {label}: " + ", ".join(f"`{f}`" for f in sorted(only)))
        lines.append("")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    args = parser.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    ensure_synapse(RESULTS / "synapse-install.log")
    workroot = Path(tempfile.mkdtemp(prefix="chancery-ss-compare-"))
    sessions = {}
    for kind in ("chancery", "synapse"):
        server = make_server(kind, workroot, args.db)
        try:
            server.start()
            sessions[kind] = asyncio.run(script(server.base_url))
        finally:
            server.remove()
    text = report(sessions, args.db)
    (RESULTS / "sliding-sync-comparison.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
