"""Institution decisions about the directory's data: who may change what the directory provides."""

from __future__ import annotations

from .decision import ALLOW, Decision, deny

# Profile fields the directory provides, shown to others and never set by clients.
DIRECTORY_PROFILE_FIELDS = ("org.chancery.organisation", "org.chancery.position")


def may_set_profile_field(field: str, *, own: bool, is_admin: bool, names_locked: bool) -> Decision:
    """Organisation and position come only from the directory; with [directory] lock_display_names, so does the
    display name (an administrator may still correct it)."""
    if field in DIRECTORY_PROFILE_FIELDS:
        return deny("directory", "This profile field comes from the institution's directory")
    if field == "displayname" and names_locked and own and not is_admin:
        return deny("directory", "Display names come from the institution's directory and cannot be changed here")
    return ALLOW
