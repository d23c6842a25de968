"""The commission's messages to people: one typed function per message (its folder in
``templates/emails/``), each sent in-app and by e-mail after commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlalchemy.orm import Session

from catalogue.accounts.models import User
from catalogue.dossiers.models import Dossier
from catalogue.dossiers.notifications import commission_path, publisher_path
from catalogue.notifications import services as notifications


def _about(dossier: Dossier, **extra: Any) -> dict[str, Any]:
    return {"reference": dossier.reference or "", "app_name": dossier.app.name, **extra}


def dossier_incomplete(session: Session, members: Sequence[User], dossier: Dossier, *,
                       missing_items: Sequence[dict[str, Any]]) -> None:
    """``commission_dossier_incomplete``: what is missing, item by item."""
    notifications.notify(session, members, "commission_dossier_incomplete",
                         _about(dossier, missing_items=list(missing_items)),
                         link=publisher_path(dossier))


def dossier_accepted(session: Session, members: Sequence[User], dossier: Dossier, *,
                     due_on: date | None) -> None:
    """``commission_dossier_accepted``: admissible; the review clock starts."""
    notifications.notify(session, members, "commission_dossier_accepted",
                         _about(dossier, due_on=due_on), link=publisher_path(dossier))


def assigned(session: Session, rapporteurs: Sequence[User], dossier: Dossier, *,
             due_on: date | None) -> None:
    """``commission_assigned``: a rapporteur has a dossier to review."""
    notifications.notify(session, rapporteurs, "commission_assigned",
                         _about(dossier, due_on=due_on), link=commission_path(dossier))


def information_requested(session: Session, members: Sequence[User], dossier: Dossier, *,
                          due_on: date, questions: str) -> None:
    """``commission_information_requested``: questions, and the date to answer by."""
    notifications.notify(session, members, "commission_information_requested",
                         _about(dossier, due_on=due_on, questions=questions),
                         link=publisher_path(dossier))


def dossier_lapsed(session: Session, members: Sequence[User], dossier: Dossier) -> None:
    """``commission_dossier_lapsed``: no answer in time."""
    notifications.notify(session, members, "commission_dossier_lapsed", _about(dossier),
                         link=publisher_path(dossier))


def opinion_issued(session: Session, members: Sequence[User], dossier: Dossier, *,
                   opinion: str, reservations: str) -> None:
    """``commission_opinion_issued``: the commission's opinion and its reservations."""
    notifications.notify(session, members, "commission_opinion_issued",
                         _about(dossier, opinion=opinion, reservations=reservations),
                         link=publisher_path(dossier))


def lift_confirmed(session: Session, recipients: Sequence[User], dossier: Dossier) -> None:
    """``commission_lift_confirmed``: a rapporteur confirmed the reservations lifted."""
    notifications.notify(session, recipients, "commission_lift_confirmed", _about(dossier),
                         link=commission_path(dossier))


def decision(session: Session, members: Sequence[User], dossier: Dossier, *, outcome: str,
             motivation: str) -> None:
    """``commission_decision``: the State's decision and its motivation."""
    notifications.notify(session, members, "commission_decision",
                         _about(dossier, outcome=outcome, motivation=motivation),
                         link=publisher_path(dossier))


def reminder(session: Session, users: Sequence[User], *, kind: str, deadline: date,
             reference: str, app_name: str, link: str) -> None:
    """``commission_reminder``: a deadline in ``REMINDER_DAYS`` days (``kind`` says which)."""
    notifications.notify(session, users, "commission_reminder",
                         {"kind": kind, "deadline": deadline, "reference": reference,
                          "app_name": app_name}, link=link)
