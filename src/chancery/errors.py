"""Matrix errors: one exception type carrying the errcode, HTTP status and extra fields."""

from __future__ import annotations

from typing import Any


class MatrixError(Exception):
    """An error a client sees as `{"errcode": ..., "error": ...}` with an HTTP status."""

    def __init__(self, status: int, errcode: str, error: str, **extra: Any) -> None:
        super().__init__(f"{errcode}: {error}")
        self.status = status
        self.errcode = errcode
        self.error = error
        self.extra = extra

    def to_json(self) -> dict[str, Any]:
        return {"errcode": self.errcode, "error": self.error, **self.extra}


def forbidden(error: str) -> MatrixError:
    return MatrixError(403, "M_FORBIDDEN", error)


def bad_json(error: str) -> MatrixError:
    return MatrixError(400, "M_BAD_JSON", error)


def invalid_param(error: str) -> MatrixError:
    return MatrixError(400, "M_INVALID_PARAM", error)


def missing_param(error: str) -> MatrixError:
    return MatrixError(400, "M_MISSING_PARAM", error)


def not_found(error: str) -> MatrixError:
    return MatrixError(404, "M_NOT_FOUND", error)


def unrecognized(error: str = "Unrecognized request") -> MatrixError:
    return MatrixError(404, "M_UNRECOGNIZED", error)


def too_large(error: str) -> MatrixError:
    return MatrixError(413, "M_TOO_LARGE", error)


def limit_exceeded(retry_after_ms: int) -> MatrixError:
    return MatrixError(429, "M_LIMIT_EXCEEDED", "Too many requests", retry_after_ms=retry_after_ms)
