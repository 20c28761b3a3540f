"""Device control decisions (issue 14): how many devices, which device IDs, who may wipe, what devices send."""

from __future__ import annotations

from .decision import ALLOW, Decision, deny

WIPE_EVENT_TYPE = "org.chancery.wipe"


def may_add_device(existing_devices: int, max_per_user: int) -> Decision:
    """A new device beyond the person's limit is refused (0: no limit)."""
    if max_per_user and existing_devices >= max_per_user:
        return deny(
            "device_limit",
            f"You already have {existing_devices} sessions, the most this server allows."
            " Sign out of one you no longer use and try again.",
        )
    return ALLOW


def may_sign_in_as(device_wiped: bool) -> Decision:
    """A remotely wiped device ID never signs in again (a stolen phone's stored device ID included)."""
    if device_wiped:
        return deny("device_wiped", "This device was wiped by an administrator and cannot sign in again.")
    return ALLOW


def may_wipe(is_admin: bool, is_security_officer: bool) -> Decision:
    if is_admin or is_security_officer:
        return ALLOW
    return deny("not_authorised", "Only an administrator or a security officer may wipe a device.")


def may_send_to_device(event_type: str) -> Decision:
    """Only the server orders a wipe: a person could otherwise erase others' devices."""
    if event_type == WIPE_EVENT_TYPE:
        return deny("wipe_reserved", "org.chancery.wipe messages are sent by the server only.")
    return ALLOW


def may_use_unapproved(path: str, allowed_paths: frozenset[str]) -> Decision:
    """A device awaiting approval may say who it is and sign out, nothing else (no sync, keys or messages)."""
    if path in allowed_paths:
        return ALLOW
    return deny("device_unapproved", "This device is waiting for an administrator's approval.")
