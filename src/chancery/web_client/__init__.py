"""Chancery Web: the built client (dist/, made by scripts/install from web/) and how the server serves it."""
