"""The accounts domain's e-mails: one typed function per message (``templates/emails/``),
in the account's language, leaving after commit."""

from __future__ import annotations

from sqlalchemy.orm import Session

from catalogue.accounts.models import User
from catalogue.notifications import services as notifications


def account_exists(session: Session, user: User) -> None:
    """``account_exists``: someone signed up again with this address (no enumeration)."""
    notifications.send_email(session, "account_exists", user.email, {"user": user}, user.locale)


def verify_email(session: Session, user: User, *, token: str) -> None:
    """``verify_email``: the link that confirms the address."""
    notifications.send_email(session, "verify_email", user.email, {"user": user, "token": token},
                             user.locale)


def password_reset(session: Session, user: User, *, token: str) -> None:
    """``password_reset``: the single-use link to choose a new password."""
    notifications.send_email(session, "password_reset", user.email,
                             {"user": user, "token": token}, user.locale)


def password_changed(session: Session, user: User) -> None:
    """``password_changed``: a warning that the password was changed."""
    notifications.send_email(session, "password_changed", user.email, {"user": user}, user.locale)
