"""Injectable time and randomness, so tests can be deterministic."""

from __future__ import annotations

import secrets
import string
import time
from typing import Protocol


class Clock(Protocol):
    def now_ms(self) -> int: ...


class SystemClock:
    def now_ms(self) -> int:
        return int(time.time() * 1000)


class Randomness(Protocol):
    def token(self, nbytes: int) -> str: ...

    def letters(self, length: int) -> str: ...


_ALPHABET = string.ascii_letters


class SystemRandomness:
    def token(self, nbytes: int) -> str:
        """URL-safe text carrying `nbytes` bytes from the OS CSPRNG."""
        return secrets.token_urlsafe(nbytes)

    def letters(self, length: int) -> str:
        return "".join(secrets.choice(_ALPHABET) for _ in range(length))
