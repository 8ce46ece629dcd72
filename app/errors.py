"""Errors that a person can fix, carrying a translated message and the field it concerns."""

from __future__ import annotations


class ValidationError(Exception):
    """Bad input: *message* is shown to the person, next to *field* when given."""

    def __init__(self, message: str, field: str | None = None, *, conflict: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.field = field
        # The value is fine but someone else already holds it (an email, an employee ID): an API says 409.
        self.conflict = conflict


class ValidationErrors(ValidationError):
    """Several bad inputs found at once, so a form can show every problem in one go."""

    def __init__(self, errors: list[ValidationError]) -> None:
        super().__init__(errors[0].message, errors[0].field)
        self.errors = errors
