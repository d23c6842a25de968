"""The listings domain's messages: patients' reports, one typed function per message."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.orm import Session

from catalogue.accounts.models import User
from catalogue.notifications import services as notifications


def report_created(session: Session, secretariat: Sequence[User], *, app_name: str, kind: str,
                   report_id: int) -> None:
    """``report_created``: a patient reported a problem; the secretariat triages it."""
    notifications.notify(session, secretariat, "report_created",
                         {"app_name": app_name, "kind": kind, "report_id": report_id},
                         link="/commission/signalements")


def report_status(session: Session, reporter: User, *, app_name: str, status: str, note: str) -> None:
    """``report_status``: the patient's report was triaged."""
    notifications.notify(session, [reporter], "report_status",
                         {"app_name": app_name, "status": status, "note": note},
                         link="/compte/signalements")
