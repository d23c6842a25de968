"""Reads of the accounts domain."""

from __future__ import annotations

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session, lazyload

from catalogue.accounts.models import Role, User, UserRole
from catalogue.core.pagination import Page
from catalogue.notifications.models import Notification


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
            # Recipients need their address and language, not their roles (loaded on access).
            .options(lazyload(User.roles))
        )
    )



def search_users(
    session: Session, *, query: str = "", role: Role | None = None, page: int = 1, per_page: int = 25
) -> Page:
    """Accounts matching an address or name fragment and a role, newest first."""
    conditions = []
    text = query.strip().lower()
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        conditions.append(or_(User.email.like(pattern, escape="\\"),
                              func.lower(User.display_name).like(pattern, escape="\\")))
    if role is not None:
        conditions.append(User.id.in_(select(UserRole.user_id).where(UserRole.role == role)))
    total = session.scalar(select(func.count()).select_from(User).where(*conditions)) or 0
    page = max(1, page)
    users = session.scalars(
        select(User).where(*conditions).order_by(User.created_at.desc(), User.id.desc())
        .offset((page - 1) * per_page).limit(per_page)
    ).all()
    return Page(items=users, total=total, page=page, per_page=per_page)


def notifications_of(session: Session, user: User, *, limit: int = 100) -> list[Notification]:
    """The user's in-app notifications, newest first."""
    return list(session.scalars(
        select(Notification).where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()).limit(limit)))
