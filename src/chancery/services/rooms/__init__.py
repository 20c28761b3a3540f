"""Rooms: creation and membership, appending events, reading history, visibility, the room directory."""
