"""Reads of the publishers domain: organisations, members, invitations."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload, selectinload

from catalogue.accounts.models import User
from catalogue.clock import now
from catalogue.errors import NotFound
from catalogue.publishers.models import (
    Invitation,
    MemberRole,
    Membership,
    Organisation,
)

INVITATION_LIFETIME = timedelta(days=7)


def member_role(session: Session, organisation_id: int, user_id: int) -> MemberRole | None:
    """The user's role in the organisation, or None when not a member."""
    return session.scalar(
        select(Membership.role).where(
            Membership.organisation_id == organisation_id, Membership.user_id == user_id
        )
    )


def organisations_of(session: Session, user: User) -> list[Organisation]:
    """The organisations the user belongs to, by name."""
    return list(
        session.scalars(
            select(Organisation)
            .join(Membership, Membership.organisation_id == Organisation.id)
            .where(Membership.user_id == user.id)
            .order_by(Organisation.legal_name)
        )
    )


def organisation_for_user(session: Session, organisation_id: int, user: User) -> Organisation:
    """The organisation if the user is one of its members; NotFound otherwise."""
    organisation = session.scalar(
        select(Organisation)
        .join(Membership, Membership.organisation_id == Organisation.id)
        .where(Organisation.id == organisation_id, Membership.user_id == user.id)
        .options(selectinload(Organisation.memberships).selectinload(Membership.user))
    )
    if organisation is None:
        raise NotFound("Organisation introuvable.")
    return organisation


def members(session: Session, organisation: Organisation) -> list[Membership]:
    """Memberships with their users, owners first."""
    return list(
        session.scalars(
            select(Membership)
            .where(Membership.organisation_id == organisation.id)
            .options(selectinload(Membership.user))
            .join(User, User.id == Membership.user_id)
            .order_by(Membership.role.desc(), User.email)
        )
    )


def member_users(session: Session, organisation_id: int) -> list[User]:
    """The users of the organisation (to notify them)."""
    return list(
        session.scalars(
            select(User)
            .join(Membership, Membership.user_id == User.id)
            .where(Membership.organisation_id == organisation_id)
            # Recipients need their address and language, not their roles (loaded on access).
            .options(lazyload(User.roles))
        )
    )


def pending_invitations(session: Session, organisation: Organisation) -> list[Invitation]:
    """Invitations neither accepted, revoked nor expired."""
    cutoff = now() - INVITATION_LIFETIME
    return list(
        session.scalars(
            select(Invitation).where(
                Invitation.organisation_id == organisation.id,
                Invitation.accepted_at.is_(None),
                Invitation.revoked_at.is_(None),
                Invitation.created_at > cutoff,
            ).order_by(Invitation.created_at.desc())
        )
    )


def membership_for(session: Session, organisation: Organisation, membership_id: int) -> Membership:
    """A membership of this organisation; NotFound otherwise."""
    membership = session.scalar(
        select(Membership).where(Membership.id == membership_id,
                                 Membership.organisation_id == organisation.id)
    )
    if membership is None:
        raise NotFound("Membre introuvable.")
    return membership
