"""Accounts: registration, login and tokens, user-interactive auth, profiles, deactivation."""
