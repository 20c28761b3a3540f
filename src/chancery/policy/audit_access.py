"""Who may read the audit log: server administrators and security officers."""

from __future__ import annotations

from .decision import ALLOW, Decision, deny
from .roles import SECURITY_OFFICER


def may_read_audit_log(is_admin: bool, roles: frozenset[str]) -> Decision:
    if is_admin or SECURITY_OFFICER in roles:
        return ALLOW
    return deny("audit_reader", "Only administrators and security officers may read the audit log")
