"""Domain errors raised by services and the workflow engine.

The web layer turns them into a French message on the page or a
problem+json answer; services never build HTTP answers themselves.
"""

from __future__ import annotations


class DomainError(Exception):
    """A rule refused the action; ``message`` is shown to the user (French)."""

    status = 400

    def __init__(self, message: str, *, errors: dict[str, str] | list[str] | None = None):
        super().__init__(message)
        self.message = message
        self.errors = errors


class ValidationFailed(DomainError):
    """Input that breaks a rule; ``errors`` maps each field to its message."""

    status = 422


class NotFound(DomainError):
    """The object does not exist or the actor may not know it exists."""

    status = 404


class PermissionDenied(DomainError):
    """The actor is known but may not do this; ``message`` says why."""

    status = 403


class Conflict(DomainError):
    """Someone else changed the object first (concurrent action, stale version)."""

    status = 409
