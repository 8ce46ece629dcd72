"""Errors that a person can fix, carrying a translated message and the field it concerns."""

from __future__ import annotations


class ValidationError(Exception):
    """Bad input: *message* is shown to the person, next to *field* when given."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
