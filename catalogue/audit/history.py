"""Audit events told as sentences, for the timelines people read (not the raw audit log).

"Réponse enregistrée pour SEC-04 par Claire Martin". Runs of the same event by the same
person (a publisher saving 55 answers in a row) become one entry with a count and the
codes concerned, so a timeline stays readable.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.accounts.models import User
from catalogue.core.formatting import ngettext
from catalogue.core.labels import label

# One sentence per action; %(actor)s is the person (or "la plateforme"), %(detail)s the
# action's subject (a requirement code, a state) when the payload gives one.
SENTENCES: dict[str, Any] = {
    "dossier.opened": _l("Dossier ouvert par %(actor)s"),
    "dossier.answer_saved": _l("Réponse enregistrée pour %(detail)s par %(actor)s"),
    "dossier.submit": _l("Dossier déposé par %(actor)s"),
    "dossier.resubmit": _l("Dossier déposé à nouveau par %(actor)s"),
    "dossier.declare_incomplete": _l("Dossier déclaré incomplet par %(actor)s"),
    "dossier.accept": _l("Dossier déclaré recevable par %(actor)s ; instruction ouverte"),
    "dossier.request_information": _l("Compléments demandés par %(actor)s"),
    "dossier.answer_information": _l("Réponse aux compléments envoyée par %(actor)s"),
    "dossier.lapse": _l("Dossier devenu caduc"),
    "dossier.complete_evaluation": _l("Instruction close par %(actor)s"),
    "dossier.schedule": _l("Dossier inscrit à une séance par %(actor)s"),
    "dossier.postpone": _l("Examen reporté par %(actor)s"),
    "dossier.issue_opinion": _l("Avis de la commission rendu par %(actor)s"),
    "dossier.lift_reservations": _l("Levée des réserves déclarée par %(actor)s"),
    "dossier.confirm_lift": _l("Levée des réserves confirmée par %(actor)s"),
    "dossier.decide": _l("Décision rendue par %(actor)s"),
    "dossier.sign_agreement": _l("Convention acceptée par %(actor)s ; application référencée"),
    "dossier.withdraw": _l("Dossier retiré par %(actor)s"),
    "commission.rapporteurs_assigned": _l("Rapporteurs désignés par %(actor)s"),
    "commission.report_saved": _l("Rapport enregistré par %(actor)s"),
    "commission.report_saved+marked": _l("Rapport enregistré par %(actor)s ; marquées conformes en bloc : "
                                         "%(detail)s"),
    "commission.report_filed": _l("Rapport déposé par %(actor)s"),
    "evidence.uploaded": _l("Pièce déposée par %(actor)s"),
    "evidence.downloaded": _l("Pièce consultée par %(actor)s"),
}


@dataclass
class Entry:
    """One line of a timeline: the sentence, when, and how many events it stands for."""

    action: str
    actor_id: int | None
    at: datetime
    until: datetime
    details: list[str] = field(default_factory=list)
    count: int = 1
    sentence: str = ""


def _action(event: Any) -> str:
    """The sentence key: a report saved with requirements marked compliant in bulk says so."""
    if event.action == "commission.report_saved" and (event.payload or {}).get("marked_compliant"):
        return "commission.report_saved+marked"
    return str(event.action)


def _detail(event: Any) -> str:
    payload = event.payload or {}
    if payload.get("marked_compliant"):
        return ", ".join(payload["marked_compliant"])
    if payload.get("requirement"):
        return str(payload["requirement"])
    if event.action.startswith("dossier.") and payload.get("to"):
        return label("dossier", payload["to"])
    return ""


def _sentence(entry: Entry, actor: str) -> str:
    template = SENTENCES.get(entry.action)
    if template is None:
        return entry.action
    details = list(dict.fromkeys(d for d in entry.details if d))
    shown = ", ".join(details[:8])
    if len(details) > 8:
        shown += " " + ngettext("et %(num)d autre", "et %(num)d autres", len(details) - 8)
    text = gettext(template._args[0], actor=actor, detail=shown)
    if entry.count > 1:
        text += " " + ngettext("(%(num)d fois)", "(%(num)d fois)", entry.count)
    return text


def entries(session: Session, events: list[Any]) -> list[Entry]:
    """The events as timeline entries, oldest first, runs of one action by one actor grouped."""
    grouped: list[Entry] = []
    for event in events:
        action = _action(event)
        last = grouped[-1] if grouped else None
        if last and last.action == action and last.actor_id == event.actor_id and action in GROUPED:
            last.count += 1
            last.until = event.occurred_at
            last.details.append(_detail(event))
            continue
        grouped.append(Entry(action, event.actor_id, event.occurred_at, event.occurred_at,
                             [_detail(event)]))
    ids = {e.actor_id for e in grouped if e.actor_id is not None}
    people = {row.id: row.display_name or row.email for row in session.execute(
        select(User.id, User.display_name, User.email).where(User.id.in_(ids)))} if ids else {}
    for entry in grouped:
        if entry.actor_id is None:
            actor = gettext("la plateforme")
        else:
            actor = people.get(entry.actor_id) or gettext("un utilisateur supprimé")
        entry.sentence = _sentence(entry, actor)
    return grouped


# Actions repeated in runs worth folding into one line.
GROUPED = frozenset({"dossier.answer_saved", "commission.report_saved", "evidence.uploaded",
                     "evidence.downloaded"})
