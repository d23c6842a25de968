"""The minutes (procès-verbal) of a commission session, frozen at closing.

Rendered as Markdown: readable as a downloaded text file, and shown on the
minutes page once converted (and sanitised) to HTML.
"""

from __future__ import annotations

from datetime import date

from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from catalogue.accounts.models import User
from catalogue.commission import interests
from catalogue.commission import queries as commission_queries
from catalogue.commission.labels import OPINION_LABELS
from catalogue.commission.models import (
    AgendaItem,
    AgendaItemOutcome,
    Attendance,
    CommissionSession,
    Opinion,
    Vote,
    VoteChoice,
)
from catalogue.commission.queries import has_declared_interest
from catalogue.core import formatting
from catalogue.publishers.models import Organisation


def _name(user) -> str:
    return user.display_name or f"Membre n° {user.id}"


def _md(text: str) -> str:
    """Escape what Markdown would interpret in free text typed by users."""
    for char in "\\`*_[]<>#|":
        text = text.replace(char, "\\" + char)
    return text


def _interest_change_requests(session: Session, commission_session: CommissionSession) -> list[str]:
    """Declarations a member tried to end or shorten while this session's agenda held a
    dossier of the publisher (refused, sent to the secretariat)."""
    requests = interests.change_requests(session, commission_session.id)
    if not requests:
        return []
    lines = ["## Demandes de modification de déclarations d'intérêts", ""]
    for event in requests:
        member = session.get(User, event.actor_id) if event.actor_id else None
        organisation = session.get(Organisation, event.payload.get("organisation_id"))
        requested = event.payload.get("requested", {})
        end = requested.get("ended_on")
        what = f"fin demandée au {date.fromisoformat(end):%d/%m/%Y}" if end else "période raccourcie"
        lines.append(
            f"- {_md(_name(member)) if member else 'Membre inconnu'}, le {event.occurred_at:%d/%m/%Y} : "
            f"déclaration sur {_md(organisation.legal_name) if organisation else 'un éditeur'}, "
            f"{what} ; refusée pendant l'inscription du dossier, transmise au secrétariat.")
    return [*lines, ""]


def render_minutes(session: Session, commission_session: CommissionSession) -> str:
    """The minutes: attendance, then per item the votes, the opinion or the postponement,
    and the members who did not take part with why."""
    # The minutes are the official record: French, whatever the language of the page that closed the session.
    with force_locale("fr"):
        opinion_labels = {key: str(label) for key, label in OPINION_LABELS.items()}
    members = commission_queries.sitting_members(session)
    attendance = {a.user_id: a.present for a in session.scalars(
        select(Attendance).where(Attendance.session_id == commission_session.id))}
    items = session.scalars(
        select(AgendaItem)
        .options(selectinload(AgendaItem.dossier), selectinload(AgendaItem.votes).selectinload(Vote.voter))
        .where(AgendaItem.session_id == commission_session.id).order_by(AgendaItem.position)
    ).all()
    opinions = {o.item_id: o for o in session.scalars(
        select(Opinion).where(Opinion.item_id.in_([i.id for i in items])))}
    present = [m for m in members if attendance.get(m.id)]
    absent = [m for m in members if not attendance.get(m.id)]
    when = formatting.moment(commission_session.scheduled_at, zone=True, locale="fr")
    lines = [
        f"# Procès-verbal — {_md(commission_session.title)}",
        "",
        f"Séance du {when}" + (f", {_md(commission_session.location)}" if commission_session.location else "")
        + ".",
        "",
        f"Quorum requis : {commission_queries.quorum_required(session)} membre(s). "
        f"Présents : {len(present)} sur {len(members)}.",
        "",
        "## Présences",
        "",
        "Présents : " + (", ".join(_md(_name(m)) for m in present) or "aucun") + ".",
        "",
        "Absents : " + (", ".join(_md(_name(m)) for m in absent) or "aucun") + ".",
        "",
    ]
    lines += _interest_change_requests(session, commission_session)
    lines += ["## Ordre du jour"]
    for item in items:
        dossier = item.dossier
        lines += ["", f"### {item.position}. Dossier {dossier.reference} — {_md(dossier.app.name)}", ""]
        if item.outcome == AgendaItemOutcome.POSTPONED:
            lines.append(f"Point reporté. Motif : {_md(item.postpone_reason or '')}")
            continue
        votes = sorted(item.votes, key=lambda v: _name(v.voter))
        lines.append("Votes :")
        lines.append("")
        for vote in votes:
            lines.append(f"- {_md(_name(vote.voter))} : {opinion_labels[vote.choice.value]}")
        if not votes:
            lines.append("- aucun vote")
        counts = {c.value: sum(1 for v in votes if v.choice == c) for c in VoteChoice}
        lines += ["", "Décompte : " + ", ".join(
            f"{opinion_labels[k]} {n}" for k, n in counts.items() if n) + "."]
        opinion = opinions.get(item.id)
        if opinion is not None:
            lines += ["", f"**Avis de la commission : {opinion_labels[opinion.value.value]}.**"]
            if opinion.reservations:
                lines += ["", "Réserves : " + _md(opinion.reservations)]
        voters = {v.voter_id for v in votes}
        not_taking_part = []
        for member in members:
            if member.id in voters:
                continue
            if has_declared_interest(session, member.id, dossier.organisation_id):
                why = "intérêt déclaré lié à l'éditeur"
            elif not attendance.get(member.id):
                why = "absent"
            else:
                why = "présent, n'a pas voté"
            not_taking_part.append(f"- {_md(_name(member))} : {why}")
        if not_taking_part:
            lines += ["", "N'ont pas pris part au vote :", "", *not_taking_part]
    closed = commission_session.closed_at
    lines += ["", "---", "",
              f"Séance close le {closed:%d/%m/%Y à %H:%M} (UTC)." if closed else "Séance en cours."]
    return "\n".join(lines) + "\n"
