"""What server-side search indexes and how a search term becomes words (client-server API: server side
search). Pure: no I/O."""

from __future__ import annotations

from typing import Any

SEARCH_KEYS = ("content.body", "content.name", "content.topic")
MAX_TERMS = 20
MAX_TERM_LENGTH = 100


def searchable_text(event: dict[str, Any]) -> tuple[str, str] | None:
    """(key, text) of an event the search covers: an `m.room.message` body, a room name or a topic (with the
    plain-text representation of `m.topic` when there is no `topic`); None for everything else."""
    event_type = event["type"]
    content = event.get("content")
    if not isinstance(content, dict):
        return None
    if event_type == "m.room.message" and "state_key" not in event:
        body = content.get("body")
        return ("content.body", body) if isinstance(body, str) and body else None
    if event.get("state_key") != "":
        return None
    if event_type == "m.room.name":
        name = content.get("name")
        return ("content.name", name) if isinstance(name, str) and name else None
    if event_type == "m.room.topic":
        topic = content.get("topic")
        if not isinstance(topic, str) or not topic:
            topic = _plain_text_topic(content.get("m.topic"))
        return ("content.topic", topic) if topic else None
    return None


def _plain_text_topic(value: Any) -> str | None:
    representations = value.get("m.text") if isinstance(value, dict) else None
    if not isinstance(representations, list):
        return None
    for entry in representations:
        if isinstance(entry, dict) and entry.get("mimetype", "text/plain") == "text/plain":
            body = entry.get("body")
            if isinstance(body, str) and body:
                return body
    return None


def search_words(term: str) -> list[str]:
    """The words of a search term, lower-cased: runs of letters and digits (everything else separates them,
    as both engines' tokenizers do), at most MAX_TERMS of them, each cut to MAX_TERM_LENGTH. One pass over
    the term, so no input can make it slow; the words contain nothing a query syntax could interpret."""
    words: list[str] = []
    current: list[str] = []
    for char in term:
        if char.isalnum():
            current.append(char)
            continue
        if current:
            words.append("".join(current[:MAX_TERM_LENGTH]).lower())
            current = []
            if len(words) == MAX_TERMS:
                break
    if current and len(words) < MAX_TERMS:
        words.append("".join(current[:MAX_TERM_LENGTH]).lower())
    return list(dict.fromkeys(words))
