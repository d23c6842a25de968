"""The publishers domain's messages: one typed function per message (``templates/emails/``)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from catalogue.accounts.models import User
from catalogue.notifications import services as notifications
from catalogue.publishers.models import Organisation


def organisation_checked(session: Session, members: Sequence[User], organisation: Organisation, *,
                         approved: bool, reason: str) -> None:
    """``organisation_verified`` or ``organisation_rejected``, with the reason."""
    notifications.notify(session, members,
                         "organisation_verified" if approved else "organisation_rejected",
                         {"organisation": organisation, "reason": reason}, link="/editeur/")


def invitation(session: Session, email: str, organisation: Organisation, *, inviter: User, role: str,
               path: str, expires_days: int) -> None:
    """``invitation``: join the organisation through the signed link."""
    notifications.send_email(session, "invitation", email,
                             {"organisation": organisation, "inviter": inviter, "role": role,
                              "path": path, "expires_days": expires_days})


def awaiting_verification(session: Session, secretariat: Sequence[User], organisation: Organisation, *,
                          updated: bool) -> None:
    """``secretariat_organisation_pending``: new work, an organisation (newly registered, or
    refused and corrected) awaits the check of its registration extract."""
    notifications.notify(session, secretariat, "secretariat_organisation_pending",
                         {"organisation": organisation, "updated": updated,
                          "path": "/commission/organisations"},
                         link="/commission/organisations")
