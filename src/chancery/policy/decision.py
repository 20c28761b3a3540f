"""A policy decision: allowed, or denied with a machine-readable reason and a sentence for people."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import MatrixError

REASON_FIELD = "org.chancery.reason"


@dataclass(frozen=True)
class Decision:
    allowed: bool
    # Why it was denied, stable for clients and the audit log: "clearance", "caveat", "external", ...
    reason: str | None = None
    # What a client shows the person.
    message: str = ""
    errcode: str = "M_FORBIDDEN"
    status: int = 403

    def __bool__(self) -> bool:
        return self.allowed

    def as_error(self) -> MatrixError:
        """The denial as the Matrix error a client receives (`org.chancery.reason` carries the reason)."""
        if self.allowed:
            raise ValueError("an allowing decision is not an error")
        return MatrixError(self.status, self.errcode, self.message, **{REASON_FIELD: self.reason})

    def as_denial(self, action: str, target: str | None, details: dict[str, Any] | None = None) -> PolicyDenied:
        """The denial as an error that also says what was refused, so that the HTTP layer, outside every
        transaction the refusal rolled back, hands it to the audit log (audit: record_denial)."""
        if self.allowed:
            raise ValueError("an allowing decision is not an error")
        return PolicyDenied(self, action, target, details)


class PolicyDenied(MatrixError):
    """A policy refusal: the Matrix error a client sees, plus the decision and the refused action."""

    def __init__(self, decision: Decision, action: str, target: str | None, details: dict[str, Any] | None) -> None:
        error = decision.as_error()
        super().__init__(error.status, error.errcode, error.error, **error.extra)
        self.decision = decision
        self.action = action
        self.target = target
        self.details = details


ALLOW = Decision(True)


def deny(reason: str, message: str, *, errcode: str = "M_FORBIDDEN", status: int = 403) -> Decision:
    return Decision(False, reason, message, errcode, status)


def first_denial(*decisions: Decision) -> Decision:
    """The first denial among `decisions`, or ALLOW when every one allows."""
    for decision in decisions:
        if not decision.allowed:
            return decision
    return ALLOW
