"""Classification and clearance decisions: who may be in a room, who may relabel it, which devices may read it.

Pure functions over facts the services gather: the scheme (from [classification]), a person's clearance, a
room's marking (its `org.chancery.classification` state), the room's access rule and whether an account is
external. A marking whose level the scheme does not know (the scheme changed) ranks above every level, so
an unknown label fails closed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .decision import ALLOW, Decision, deny

CLASSIFICATION_EVENT = "org.chancery.classification"
ACCESS_RULE_EVENT = "org.chancery.access_rule"
RESTRICTED, UNRESTRICTED, DIRECT = "restricted", "unrestricted", "direct"
ACCESS_RULES = (RESTRICTED, UNRESTRICTED, DIRECT)
MAX_HANDLING_CHARS = 1000
MAX_CAVEATS = 32


@dataclass(frozen=True)
class Scheme:
    levels: tuple[str, ...]  # ascending
    caveats: frozenset[str]
    default_level: str | None = None
    accredited_devices_above: str | None = None

    def rank(self, level: str) -> int:
        """Position of `level`; an unknown level ranks above all known ones."""
        try:
            return self.levels.index(level)
        except ValueError:
            return len(self.levels)

    def needs_accreditation(self, marking: Marking | None) -> bool:
        threshold = self.accredited_devices_above
        return marking is not None and threshold is not None and self.rank(marking.level) > self.rank(threshold)


@dataclass(frozen=True)
class Marking:
    """A room's (or a file's) classification."""

    level: str
    caveats: frozenset[str] = frozenset()
    handling: str = ""


@dataclass(frozen=True)
class Clearance:
    level: str
    caveats: frozenset[str] = frozenset()
    expires_ts: int | None = None

    def valid_at(self, now: int) -> bool:
        return self.expires_ts is None or self.expires_ts > now


def parse_marking(scheme: Scheme, content: dict[str, Any]) -> Marking | Decision:
    """The marking in an `org.chancery.classification` content, or a denial saying what is wrong with it."""
    level = content.get("level")
    caveats = content.get("caveats", [])
    handling = content.get("handling", "")
    if not isinstance(level, str) or level not in scheme.levels:
        return _bad(f"level must be one of {', '.join(scheme.levels)}")
    if not isinstance(caveats, list) or len(caveats) > MAX_CAVEATS or not all(isinstance(c, str) for c in caveats):
        return _bad("caveats must be a list of strings")
    unknown = sorted(set(caveats) - scheme.caveats)
    if unknown:
        return _bad(f"unknown caveats: {', '.join(unknown)}")
    if len(set(caveats)) != len(caveats):
        return _bad("caveats must not repeat")
    if not isinstance(handling, str) or len(handling) > MAX_HANDLING_CHARS:
        return _bad(f"handling must be a string of at most {MAX_HANDLING_CHARS} characters")
    return Marking(level, frozenset(caveats), handling)


def marking_of(content: dict[str, Any] | None) -> Marking | None:
    """The marking a stored classification event carries (validated when it was sent); None for none."""
    if content is None or not isinstance(content.get("level"), str) or not content["level"]:
        return None
    caveats = content.get("caveats")
    return Marking(
        content["level"],
        frozenset(c for c in caveats if isinstance(c, str)) if isinstance(caveats, list) else frozenset(),
        content["handling"] if isinstance(content.get("handling"), str) else "",
    )


def _bad(message: str) -> Decision:
    return deny("invalid", f"Invalid classification: {message}", errcode="M_BAD_JSON", status=400)


def may_hold(scheme: Scheme, clearance: Clearance | None, marking: Marking | None, now: int) -> Decision:
    """Whether a person with `clearance` may be in (invited to, joined to, knock on) a room with `marking`."""
    if marking is None:
        return ALLOW
    if clearance is None:
        return deny("clearance", f"Not cleared for {marking.level}")
    if not clearance.valid_at(now):
        return deny("expired", f"The clearance expired; {marking.level} needs a valid one")
    if scheme.rank(clearance.level) < scheme.rank(marking.level) or clearance.level not in scheme.levels:
        return deny("clearance", f"Cleared for {clearance.level}, the room is {marking.level}")
    missing = sorted(marking.caveats - clearance.caveats)
    if missing:
        return deny("caveat", f"Not cleared for the caveats {', '.join(missing)}")
    return ALLOW


def dominates(scheme: Scheme, higher: Marking, lower: Marking) -> bool:
    """`higher` is at least `lower`: no lower level and every caveat of `lower`."""
    return scheme.rank(higher.level) >= scheme.rank(lower.level) and higher.caveats >= lower.caveats


def may_change(
    scheme: Scheme, old: Marking | None, new: Marking, *, security_officer: bool, sender_cleared: Decision
) -> Decision:
    """A room's classification set or changed. Anyone with the power to send the state may raise it (keep
    or add to it); lowering it (a lower level or a caveat removed) takes a security officer. Nobody may
    label a room above their own clearance: they would be removing themselves."""
    if not sender_cleared:
        return sender_cleared
    if old is None or dominates(scheme, new, old) or security_officer:
        return ALLOW
    return deny("lower", "Only a security officer may lower a room's classification")


def may_remove_classification(*, security_officer: bool) -> Decision:
    """Clearing a room's classification (an empty content) is the ultimate lowering."""
    if security_officer:
        return ALLOW
    return deny("lower", "Only a security officer may declassify a room")


def may_export_into(scheme: Scheme, file_marking: Marking, room_marking: Marking | None) -> Decision:
    """A file that was posted in a room of `file_marking` may be posted again in a room of `room_marking`
    only if that room is at least as high."""
    if room_marking is not None and dominates(scheme, room_marking, file_marking):
        return ALLOW
    return deny("export", f"This file is classified {file_marking.level}; the room is lower")


def may_read_on_device(scheme: Scheme, marking: Marking | None, device_accredited: bool) -> Decision:
    if device_accredited or not scheme.needs_accreditation(marking):
        return ALLOW
    assert marking is not None
    return deny("accreditation", f"This device is not accredited for {marking.level}")


# -- external accounts and the room's access rule (Tchap's model) --------------------------------------


def access_rule_of(content: dict[str, Any] | None) -> str:
    rule = (content or {}).get("rule")
    return rule if rule in ACCESS_RULES else RESTRICTED


def may_create_room(*, external: bool) -> Decision:
    if external:
        return deny("external", "External accounts cannot create rooms")
    return ALLOW


def may_admit_external(access_rule: str) -> Decision:
    """An external account invited to, joining or knocking on a room with `access_rule`."""
    if access_rule == RESTRICTED:
        return deny("external", "This room is restricted to the institution's own accounts")
    return ALLOW


def may_give_power(*, external: bool, new_level: int, old_level: int) -> Decision:
    """A power-levels change that raises an external account's level."""
    if external and new_level > old_level and new_level > 0:
        return deny("external", "External accounts cannot be given power in rooms")
    return ALLOW


def may_change_access_rule(old: str | None, new: Any) -> Decision:
    """Tchap's transitions: the rule is chosen when the room is made (`old` None); afterwards it may only be
    opened, restricted -> unrestricted, never closed again (externals may already be inside) and never made
    direct or undirect."""
    if new not in ACCESS_RULES:
        return deny("invalid", f"rule must be one of {', '.join(ACCESS_RULES)}", errcode="M_BAD_JSON", status=400)
    if old is None or old == new or (old == RESTRICTED and new == UNRESTRICTED):
        return ALLOW
    return deny("access_rule", f"The access rule cannot change from {old} to {new}")
