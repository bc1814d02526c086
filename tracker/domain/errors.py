"""Domain errors. Services raise these; the web layer maps them to HTTP in one table."""

from __future__ import annotations


class DomainError(Exception):
    """A refusal with a one-line reason for the user (Chinese), optionally naming a field."""

    status_code = 400

    def __init__(self, message: str, field: str | None = None, status_code: int | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if status_code is not None:
            self.status_code = status_code

    def __str__(self) -> str:
        return f"{self.field}：{self.message}" if self.field else self.message


class InvalidInput(DomainError):
    status_code = 400


class NotFound(DomainError):
    status_code = 404


class Forbidden(DomainError):
    status_code = 403


class Conflict(DomainError):
    status_code = 409


class UnsupportedMediaType(DomainError):
    status_code = 415


class TooManyRequests(DomainError):
    """Slow down: `retry_after` seconds before the next attempt is looked at."""

    status_code = 429

    def __init__(self, message: str, field: str | None = None, retry_after: int = 1):
        super().__init__(message, field)
        self.retry_after = retry_after


class TooLarge(DomainError):
    """An upload whose content (e.g. an archive's declared uncompressed size) is over a limit."""

    status_code = 413
