"""Institution controls as pure decisions: allow, or deny with a reason a client can show.

Modules here do no I/O. Services gather the facts a decision needs (a room's classification, a person's
clearance, a device's accreditation ...), ask the policy, raise the denial as a Matrix error, and hand the
decision with the facts it used to the audit log.
"""
