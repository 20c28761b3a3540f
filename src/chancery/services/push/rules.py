"""Push rules: the spec's server-default rules plus each user's edits (client-server API: push rules)."""

from __future__ import annotations

import copy
from typing import Any

from ...errors import MatrixError, bad_json, invalid_param, not_found
from ...events.default_push_rules import DEFAULT_PUSH_RULES
from ...storage import Storage
from ..notifier import Change, Notifier, user_key

KINDS = ("override", "content", "room", "sender", "underride")
_USER_ID_PLACEHOLDER = "[the user's Matrix ID]"


def _defaults_for(user_id: str) -> dict[str, list[dict[str, Any]]]:
    rules = copy.deepcopy(DEFAULT_PUSH_RULES)
    for kind_rules in rules.values():
        for rule in kind_rules:
            for condition in rule.get("conditions", []):
                for field in ("pattern", "value"):
                    if condition.get(field) == _USER_ID_PLACEHOLDER:
                        condition[field] = user_id
    return rules


def _empty_edits() -> dict[str, Any]:
    return {"custom": {kind: [] for kind in KINDS}, "defaults": {}}


def merge_rules(user_id: str, edits: dict[str, Any]) -> dict[str, Any]:
    """The `m.push_rules` content: {"global": {kind: [rule, ...]}} in evaluation order."""
    defaults = _defaults_for(user_id)
    result: dict[str, list[dict[str, Any]]] = {}
    for kind in KINDS:
        merged = [{**rule, **edits["defaults"].get(f"{kind}/{rule['rule_id']}", {})} for rule in defaults[kind]]
        custom = edits["custom"].get(kind, [])
        # User-defined rules outrank server defaults, except .m.rule.master which always comes first.
        result[kind] = merged[:1] + custom + merged[1:] if kind == "override" else custom + merged
    return {"global": result}


async def push_rules_for_user(storage: Storage, user_id: str) -> dict[str, Any]:
    return merge_rules(user_id, await storage.account.get_push_rules(user_id) or _empty_edits())


def _validate_kind(scope: str, kind: str) -> None:
    if scope != "global":
        raise invalid_param("Only the global scope is supported")
    if kind not in KINDS:
        raise invalid_param(f"Unknown push rule kind {kind!r}")


def _validate_actions(actions: Any) -> list[Any]:
    if not isinstance(actions, list):
        raise bad_json("actions must be a list")
    for action in actions:
        if isinstance(action, str):
            if action not in ("notify", "dont_notify", "coalesce"):
                raise MatrixError(400, "M_UNKNOWN", f"Unknown action {action!r}")
        elif not (isinstance(action, dict) and action.get("set_tweak")):
            raise bad_json("Each action must be a string or a set_tweak object")
    return [a for a in actions if a not in ("dont_notify", "coalesce")]


class PushRuleService:
    def __init__(self, storage: Storage, notifier: Notifier) -> None:
        self.storage = storage
        self.notifier = notifier

    async def all_rules(self, user_id: str) -> dict[str, Any]:
        return await push_rules_for_user(self.storage, user_id)

    async def rules_of_kind(self, user_id: str, scope: str, kind: str) -> list[dict[str, Any]]:
        _validate_kind(scope, kind)
        rules: list[dict[str, Any]] = (await self.all_rules(user_id))["global"][kind]
        return rules

    async def get_rule(self, user_id: str, scope: str, kind: str, rule_id: str) -> dict[str, Any]:
        _validate_kind(scope, kind)
        for rule in (await self.all_rules(user_id))["global"][kind]:
            if rule["rule_id"] == rule_id:
                return dict(rule)
        raise not_found("Push rule not found")

    async def _save(self, user_id: str, edits: dict[str, Any]) -> None:
        async with self.storage.db.transaction() as txn:
            await self.storage.account.put_push_rules(txn, user_id, edits)
            content = merge_rules(user_id, edits)
            pos = await self.storage.account.put_account_data_in(txn, user_id, "", "m.push_rules", content)
        await self.notifier.notify(pos, [user_key(user_id, Change.ACCOUNT_DATA)])

    async def _edits(self, user_id: str) -> dict[str, Any]:
        return await self.storage.account.get_push_rules(user_id) or _empty_edits()

    async def put_rule(
        self,
        user_id: str,
        scope: str,
        kind: str,
        rule_id: str,
        body: dict[str, Any],
        before: str | None,
        after: str | None,
    ) -> None:
        _validate_kind(scope, kind)
        if rule_id.startswith("."):
            raise MatrixError(400, "M_INVALID_PARAM", "Server-default rules cannot be replaced")
        if not rule_id or "/" in rule_id or "\\" in rule_id:
            raise invalid_param("Invalid rule ID")
        actions = _validate_actions(body.get("actions"))
        rule: dict[str, Any] = {"rule_id": rule_id, "default": False, "enabled": True, "actions": actions}
        if kind in ("override", "underride"):
            conditions = body.get("conditions", [])
            if not isinstance(conditions, list) or not all(isinstance(c, dict) and "kind" in c for c in conditions):
                raise bad_json("conditions must be a list of condition objects")
            rule["conditions"] = conditions
        elif kind == "content":
            pattern = body.get("pattern")
            if not isinstance(pattern, str):
                raise bad_json("content rules need a pattern")
            rule["pattern"] = pattern
        edits = await self._edits(user_id)
        rules: list[dict[str, Any]] = [r for r in edits["custom"][kind] if r["rule_id"] != rule_id]
        anchor = before or after
        if anchor is not None:
            indexes = [i for i, r in enumerate(rules) if r["rule_id"] == anchor]
            if not indexes:
                raise MatrixError(400, "M_UNKNOWN", "before/after names an unknown rule")
            rules.insert(indexes[0] + (0 if before else 1), rule)
        else:
            existing = [r for r in edits["custom"][kind] if r["rule_id"] == rule_id]
            if existing:
                rule["enabled"] = existing[0].get("enabled", True)
            rules.insert(0, rule)
        edits["custom"][kind] = rules
        await self._save(user_id, edits)

    async def delete_rule(self, user_id: str, scope: str, kind: str, rule_id: str) -> None:
        _validate_kind(scope, kind)
        edits = await self._edits(user_id)
        remaining = [r for r in edits["custom"][kind] if r["rule_id"] != rule_id]
        if len(remaining) == len(edits["custom"][kind]):
            raise not_found("Push rule not found")
        edits["custom"][kind] = remaining
        await self._save(user_id, edits)

    async def set_attribute(self, user_id: str, scope: str, kind: str, rule_id: str, attr: str, value: Any) -> None:
        _validate_kind(scope, kind)
        if attr == "enabled" and not isinstance(value, bool):
            raise bad_json("enabled must be a boolean")
        if attr == "actions":
            value = _validate_actions(value)
        edits = await self._edits(user_id)
        for rule in edits["custom"][kind]:
            if rule["rule_id"] == rule_id:
                rule[attr] = value
                await self._save(user_id, edits)
                return
        if not any(r["rule_id"] == rule_id for r in _defaults_for(user_id)[kind]):
            raise not_found("Push rule not found")
        edits["defaults"].setdefault(f"{kind}/{rule_id}", {})[attr] = value
        await self._save(user_id, edits)

    async def copy_room_rules(self, user_id: str, old_room_id: str, new_room_id: str) -> None:
        """A room was upgraded: the user's rules for the old room apply to its replacement too (client-server
        API: room upgrades). Room rules and rules conditioned on the room's ID are copied."""
        edits = await self._edits(user_id)
        changed = False
        for kind, rules in edits["custom"].items():
            copies = [
                _rule_for_room(rule, old_room_id, new_room_id) for rule in rules if _names_room(rule, old_room_id)
            ]
            known = {r["rule_id"] for r in rules}
            copies = [c for c in copies if c["rule_id"] not in known]
            if copies:
                edits["custom"][kind] = [*copies, *rules]
                changed = True
        if changed:
            await self._save(user_id, edits)


def _names_room(rule: dict[str, Any], room_id: str) -> bool:
    return rule.get("rule_id") == room_id or any(
        isinstance(c, dict) and c.get("key") == "room_id" and c.get("pattern") == room_id
        for c in rule.get("conditions", [])
    )


def _rule_for_room(rule: dict[str, Any], old_room_id: str, new_room_id: str) -> dict[str, Any]:
    copy = {**rule, "rule_id": str(rule["rule_id"]).replace(old_room_id, new_room_id)}
    if "conditions" in rule:
        copy["conditions"] = [
            {**c, "pattern": new_room_id}
            if isinstance(c, dict) and c.get("key") == "room_id" and c.get("pattern") == old_room_id
            else c
            for c in rule["conditions"]
        ]
    return copy
