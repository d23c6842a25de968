"""Commission sessions: planning, the session page with attendance and votes, the
opinion, postponement, closing and the minutes."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC
from typing import Any

import nh3
from flask import Response, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markdown_it import MarkdownIt
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from catalogue import db
from catalogue.accounts.auth import roles_required
from catalogue.accounts.models import Role
from catalogue.commission import dashboards as commission_dashboards
from catalogue.commission import queries as commission_queries
from catalogue.commission import sessions as commission_sessions
from catalogue.commission.forms import ReasonForm, SessionForm
from catalogue.commission.models import (
    AgendaItem,
    AgendaItemOutcome,
    CommissionSession,
    Opinion,
    SessionState,
    VoteChoice,
)
from catalogue.commission.views import ANY_COMMISSION, S, bp, load_session
from catalogue.core.formatting import PARIS
from catalogue.web import act, apply_form

_markdown = MarkdownIt("commonmark", {"html": False})


@bp.get("/seances")
@roles_required(*ANY_COMMISSION)
def sessions() -> str:
    rows = db.session.scalars(select(CommissionSession).options(selectinload(CommissionSession.items))
                              .order_by(CommissionSession.scheduled_at.desc())).all()
    return render_template("commission/sessions.html", sessions=rows)


@bp.route("/seances/nouvelle", methods=["GET", "POST"])
@roles_required(Role.SECRETARIAT)
def plan() -> Any:
    """Plan a session with an agenda of ready dossiers, in the order chosen."""
    form = SessionForm()
    ready = commission_dashboards.queue(db.session, states=[S.READY_FOR_COMMISSION])
    chosen: list[int] = []
    planned: list[CommissionSession] = []
    if request.method == "POST":
        positions = []
        for row in ready:
            raw = request.form.get(f"position-{row.dossier.id}", "").strip()
            if raw:
                positions.append((int(raw) if raw.isdigit() else 999, row.dossier.id))
        chosen = [d for _, d in sorted(positions)]
    if form.validate_on_submit() and apply_form(
            form, lambda: planned.append(commission_sessions.plan_session(
                db.session, actor=current_user, title=form.title.data,
                # The form is in Paris time (what the secretariat reads on its calendar).
                scheduled_at=form.scheduled_at.data.replace(tzinfo=PARIS).astimezone(UTC),
                location=form.location.data or "",
                dossier_ids=chosen)),
            _("Séance programmée.")):
        return redirect(url_for("commission.session_page", session_id=planned[0].id))
    error = form.form_errors[0] if form.form_errors else None
    return render_template("commission/plan.html", form=form, ready=ready, chosen=chosen, error=error), \
        422 if (form.errors or error) else 200


@bp.get("/seances/<int:session_id>")
@roles_required(*ANY_COMMISSION)
def session_page(session_id: int) -> str:
    """A session: agenda, attendance, each item's votes and the actions of each role.

    The facts every item needs (who sits and is present, the quorum, the chairs, the
    declared interests of the voters) are read once for the whole agenda."""
    row = load_session(session_id)
    session = db.session
    facts = commission_queries.session_facts(session, row)
    opinions = {o.item_id: o for o in session.scalars(
        select(Opinion).where(Opinion.item_id.in_([item.id for item in row.items])))}
    may_vote = current_user.has_role(Role.MEMBER, Role.CHAIR)
    items = []
    for item in row.items:
        pending = row.state == SessionState.OPEN and item.outcome == AgendaItemOutcome.PENDING
        refusal, counts, proposed = (commission_queries.opinion_refusal(session, item, facts=facts)
                                     if pending else (None, {}, None))
        items.append({
            "item": item, "conflicted": facts.conflicted(current_user.id, item.dossier.organisation_id),
            "own_vote": next((v for v in item.votes if v.voter_id == current_user.id), None),
            "vote_refusal": commission_queries.eligible_voter_reason(session, item, current_user, facts=facts)
            if may_vote else None,
            "opinion_refusal": refusal, "counts": counts, "proposed": proposed,
            "opinion": opinions.get(item.id)})
    return render_template(
        "commission/session.html", session_row=row, items=items, members=facts.members,
        attendance=facts.attendance, quorum=facts.quorum, present=len(facts.present),
        is_chair=current_user.has_role(Role.CHAIR), choices=[c.value for c in VoteChoice],
        reason_form=ReasonForm(),
    )

def _session_action(session_id: int, fn: Callable[[CommissionSession], object], success: str) -> Response:
    row = load_session(session_id)
    return act(lambda: fn(row), success, url_for("commission.session_page", session_id=session_id))


def _item(row: CommissionSession, item_id: int) -> AgendaItem:
    for item in row.items:
        if item.id == item_id:
            return item
    abort(404)


@bp.post("/seances/<int:session_id>/ouvrir")
@roles_required(Role.CHAIR)
def open_session(session_id: int) -> Response:
    return _session_action(
        session_id, lambda s: commission_sessions.open_session(db.session, s, actor=current_user),
        _("Séance ouverte : enregistrez les présences."))


@bp.post("/seances/<int:session_id>/presences")
@roles_required(Role.CHAIR)
def attendance(session_id: int) -> Response:
    ids = [int(i) for i in request.form.getlist("present") if i.isdigit()]
    return _session_action(
        session_id,
        lambda s: commission_sessions.record_attendance(db.session, s, actor=current_user, present_ids=ids),
        _("Présences enregistrées."))


@bp.post("/seances/<int:session_id>/points/<int:item_id>/vote")
@roles_required(Role.MEMBER, Role.CHAIR)
def vote(session_id: int, item_id: int) -> Response:
    return _session_action(
        session_id, lambda s: commission_sessions.cast_vote(db.session, _item(s, item_id), actor=current_user,
                                                   choice=request.form.get("choice", "")),
        _("Vote enregistré."))


@bp.post("/seances/<int:session_id>/points/<int:item_id>/avis")
@roles_required(Role.CHAIR)
def opinion(session_id: int, item_id: int) -> Response:
    return _session_action(
        session_id, lambda s: commission_sessions.issue_opinion(
            db.session, _item(s, item_id), actor=current_user,
            reservations=request.form.get("reservations", "")),
        _("Avis de la commission enregistré."))


@bp.post("/seances/<int:session_id>/points/<int:item_id>/report")
@roles_required(Role.CHAIR)
def postpone(session_id: int, item_id: int) -> Response:
    return _session_action(
        session_id, lambda s: commission_sessions.postpone_item(
            db.session, _item(s, item_id), actor=current_user, reason=request.form.get("reason", "")),
        _("Point reporté."))


@bp.post("/seances/<int:session_id>/clore")
@roles_required(Role.CHAIR)
def close(session_id: int) -> Response:
    return _session_action(
        session_id, lambda s: commission_sessions.close_session(db.session, s, actor=current_user),
        _("Séance close : le procès-verbal est établi."))


@bp.get("/seances/<int:session_id>/proces-verbal")
@roles_required(*ANY_COMMISSION)
def minutes(session_id: int) -> str:
    row = load_session(session_id)
    if row.minutes is None:
        abort(404)
    html = nh3.clean(_markdown.render(row.minutes))
    return render_template("commission/minutes.html", session_row=row, minutes_html=html)


@bp.get("/seances/<int:session_id>/proces-verbal.md")
@roles_required(*ANY_COMMISSION)
def minutes_download(session_id: int) -> Response:
    row = load_session(session_id)
    if row.minutes is None:
        abort(404)
    name = f"proces-verbal-seance-{row.id}-{row.scheduled_at:%Y-%m-%d}.md"
    return Response(row.minutes, mimetype="text/markdown; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "X-Content-Type-Options": "nosniff"})
