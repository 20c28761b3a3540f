"""Classified rooms (issue 12): clearances, device accreditation, room classification and its enforcement.

The decisions live in policy/classification.py; this package gathers the facts they need (clearances and
accreditations from storage, a room's marking from its state) and applies them where rooms change and where
their content is read. Without a [classification] scheme only the external-account rules are wired in.
"""
