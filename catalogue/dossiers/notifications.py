"""The dossiers domain's messages to people: one typed function per message (its folder in
``templates/emails/``), each sent in-app and by e-mail after commit."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from catalogue.accounts.models import User
from catalogue.dossiers.labels import STATE_LABELS
from catalogue.dossiers.models import Dossier, Evidence
from catalogue.notifications import services as notifications


def publisher_path(dossier: Dossier) -> str:
    """The dossier's page in the publisher space."""
    return f"/editeur/dossiers/{dossier.id}"


def commission_path(dossier: Dossier) -> str:
    """The dossier's page in the commission space."""
    return f"/commission/dossiers/{dossier.id}"


def _about(dossier: Dossier, path: str) -> dict[str, Any]:
    return {"reference": dossier.reference or "", "app_name": dossier.app.name,
            "dossier_id": dossier.id, "path": path,
            "state_label": str(STATE_LABELS.get(dossier.state, dossier.state))}


def receipt(session: Session, members: Sequence[User], dossier: Dossier, *, framework: str,
            requirement_count: int, evidence: Sequence[Evidence], submitted_at: datetime | None,
            resubmitted: bool, organisation: str) -> None:
    """``dossier_receipt``: the publisher's acknowledgement of a (re)submission."""
    notifications.notify(session, members, "dossier_receipt", {
        **_about(dossier, publisher_path(dossier)), "framework": framework,
        "requirement_count": requirement_count, "evidence": list(evidence),
        "submitted_at": submitted_at, "resubmitted": resubmitted, "organisation": organisation,
    }, link=publisher_path(dossier))


def status_changed(session: Session, recipients: Sequence[User], dossier: Dossier, *,
                   commission_side: bool = False) -> None:
    """``dossier_status_changed``: the dossier moved on (to its members, or its rapporteurs)."""
    path = commission_path(dossier) if commission_side else publisher_path(dossier)
    notifications.notify(session, recipients, "dossier_status_changed", _about(dossier, path),
                         link=path)


def information_answered(session: Session, reviewers: Sequence[User], dossier: Dossier, *,
                         due_on: Any) -> None:
    """``dossier_information_answered``: the publisher answered; the review clock resumes."""
    path = commission_path(dossier)
    notifications.notify(session, reviewers, "dossier_information_answered",
                         {**_about(dossier, path), "due_on": due_on}, link=path)


def reservations_lifted(session: Session, rapporteurs: Sequence[User], dossier: Dossier) -> None:
    """``dossier_reservations_lifted``: the publisher states the suspensive reservations lifted."""
    path = commission_path(dossier)
    notifications.notify(session, rapporteurs, "dossier_reservations_lifted",
                         _about(dossier, path), link=path)


def submitted_to_secretariat(session: Session, secretariat: Sequence[User], dossier: Dossier, *,
                             resubmitted: bool, organisation: str) -> None:
    """``secretariat_dossier_submitted``: new work, a dossier (re)submitted to check for
    admissibility."""
    path = commission_path(dossier)
    notifications.notify(session, secretariat, "secretariat_dossier_submitted",
                         {**_about(dossier, path), "resubmitted": resubmitted,
                          "organisation": organisation}, link=path)
