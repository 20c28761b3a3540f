"""Invite permission (client-server API v1.18, MSC4155): a person may block every invite to them."""

from __future__ import annotations

from typing import Any

from .decision import ALLOW, Decision, deny

INVITE_PERMISSION_CONFIG = "m.invite_permission_config"


def blocks_invites(config: dict[str, Any] | None) -> bool:
    """Whether the person's `m.invite_permission_config` account data blocks invites."""
    return config is not None and config.get("default_action") == "block"


def may_invite(invitee_config: dict[str, Any] | None) -> Decision:
    if blocks_invites(invitee_config):
        return deny("invite_blocked", "This user does not accept invites", errcode="M_INVITE_BLOCKED")
    return ALLOW
