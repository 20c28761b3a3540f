"""Simplified sliding sync (MSC4186), the sync Element X uses."""
