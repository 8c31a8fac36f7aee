"""Errors raised by operations; adapters turn them into a 404, a form error or a CLI message."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    """One finding about an input: the field (spec key), a stable code and a French message."""

    field: str
    code: str
    message: str
    severity: str = "error"  # "error" rejects the input; "warning" reports a safe fix
    value: str = ""  # the offending input as given, when there is one (e.g. a list value)

    @property
    def is_error(self) -> bool:
        return self.severity == "error"


class OperationError(Exception):
    """Base of the errors an operation reports to its caller."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class NotFound(OperationError):
    """The object does not exist, or the actor may not know it exists (answer 404)."""

    def __init__(self, message: str = "Élément introuvable.") -> None:
        super().__init__(message)


class Forbidden(OperationError):
    """The actor is known to see the object but may not perform this action."""


class Invalid(OperationError):
    """The input breaks a rule; problems say which fields and how to fix them."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []

    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.is_error]
