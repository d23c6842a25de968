"""Who may act for an organisation, and why not."""

from __future__ import annotations

from sqlalchemy.orm import Session

from catalogue.accounts.models import User
from catalogue.errors import NotFound, PermissionDenied
from catalogue.publishers.models import (
    MemberRole,
    Organisation,
)
from catalogue.publishers.queries import member_role


def require_member(session: Session, organisation: Organisation, actor: User | None,
                   *, owner: bool = False) -> MemberRole:
    """The actor's role; NotFound for a stranger, PermissionDenied for an editor when
    ``owner`` is required."""
    role = member_role(session, organisation.id, actor.id) if actor is not None else None
    if role is None:
        raise NotFound("Organisation introuvable.")
    if owner and role != MemberRole.OWNER:
        raise PermissionDenied("Seul un propriétaire de l'organisation peut faire cette action.")
    return role
