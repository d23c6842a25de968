"""The consents domain's messages to patients: one typed function per message."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from catalogue.accounts.models import User
from catalogue.notifications import services as notifications


def consent_suspended(session: Session, patients: Sequence[User], *, app_name: str, cause: str) -> None:
    """``consent_suspended``: the app's listing was suspended, delisted or expired."""
    notifications.notify(session, patients, "consent_suspended", {"app_name": app_name, "cause": cause},
                         link="/compte/connexions")


def consent_resumed(session: Session, patients: Sequence[User], *, app_name: str) -> None:
    """``consent_resumed``: the app's listing was reinstated; the connection works again."""
    notifications.notify(session, patients, "consent_resumed",
                         {"app_name": app_name, "cause": "reinstated"}, link="/compte/connexions")
