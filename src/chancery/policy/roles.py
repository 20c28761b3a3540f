"""Institution roles a person may hold besides server administration."""

from __future__ import annotations

# Manages clearances and device accreditation, lowers classifications, handles spillage.
SECURITY_OFFICER = "security_officer"

KNOWN_ROLES = frozenset({SECURITY_OFFICER})
