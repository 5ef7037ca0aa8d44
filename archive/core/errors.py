"""Domain errors raised by services and turned into messages by the views."""
from __future__ import annotations


class DomainError(Exception):
    """A rule of the archive was broken; the message is safe to show to the user."""


class ValidationError(DomainError):
    """Input that breaks a rule; `errors` maps a field name to its messages."""

    def __init__(self, errors: dict[str, list[str]] | str, field: str = "__all__") -> None:
        if isinstance(errors, str):
            errors = {field: [errors]}
        self.errors = errors
        super().__init__("; ".join(f"{name}: {msg}" if name != "__all__" else msg
                                   for name, msgs in errors.items() for msg in msgs))


class ConflictError(DomainError):
    """Someone else saved the record since the form was loaded (optimistic locking)."""

    def __init__(self, message: str, changes: list[dict[str, object]]) -> None:
        self.changes = changes
        super().__init__(message)
