"""The tamper-evident audit log (issue 13): who did what, when, hash-chained and verifiable offline."""

from .actor import Actor
from .log import AuditLog

__all__ = ["Actor", "AuditLog"]
