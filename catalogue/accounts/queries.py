"""Reads of the accounts domain."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.accounts.models import Role, User, UserRole


def users_with_role(session: Session, *roles: Role) -> list[User]:
    """Active accounts holding any of ``roles``."""
    return list(
        session.scalars(
            select(User)
            .where(
                User.is_active.is_(True),
                User.erased_at.is_(None),
                select(UserRole.user_id)
                .where(UserRole.user_id == User.id, UserRole.role.in_(roles))
                .exists(),
            )
            .order_by(User.id)
        )
    )
