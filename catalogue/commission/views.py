"""The commission space (``/commission/…``): thin views over ``commission.services``.

Every route needs a commission role with the second factor; each loads its
object through a function that checks what the user may see (404 otherwise).
Refusals from the rules come back as the rule's own message, never a 500.
"""

from __future__ import annotations

from datetime import UTC
from typing import Any

import nh3
from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from markdown_it import MarkdownIt
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from catalogue import db
from catalogue.accounts.auth import roles_required
from catalogue.accounts.models import COMMISSION_ROLES, Role
from catalogue.audit import services as audit
from catalogue.clock import today
from catalogue.commission import rules
from catalogue.commission import services as commission
from catalogue.commission.forms import InformationRequestForm, InterestForm, ReasonForm, SessionForm
from catalogue.commission.interests import InterestFrozen
from catalogue.commission.minutes import OPINION_LABELS
from catalogue.commission.models import (
    AdmissibilityDecision,
    AgendaItem,
    AgendaItemOutcome,
    Agreement,
    Assignment,
    CommissionSession,
    Decision,
    InterestDeclaration,
    Opinion,
    OpinionValue,
    SessionState,
    Verdict,
    Vote,
    VoteChoice,
)
from catalogue.commission.permissions import OVERSIGHT_ROLES, dossier_for_commission
from catalogue.dossiers.models import FINAL_DOSSIER_STATES, Dossier, DossierState, InformationRequest
from catalogue.errors import DomainError, NotFound, ValidationFailed
from catalogue.publishers.models import Organisation, OrganisationStatus
from catalogue.web import attempt, commit
from workflows.dossier import DOSSIER_LIFECYCLE, STATE_LABELS, has_declared_interest, roles_on_dossier
from workflows.engine import available

bp = Blueprint("commission", __name__, url_prefix="/commission")

S = DossierState
ANY_COMMISSION = tuple(COMMISSION_ROLES)
VERDICT_LABELS = {"compliant": "Conforme", "not_compliant": "Non conforme", "reservation": "Réserve"}
SESSION_STATE_LABELS = {"planned": "programmée", "open": "ouverte", "closed": "close"}
KIND_LABELS = {"initial": "initial", "renewal": "renouvellement", "modification": "modification"}
_markdown = MarkdownIt("commonmark", {"html": False})


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {"state_labels": {k.value: v for k, v in STATE_LABELS.items()},
            "opinion_labels": OPINION_LABELS, "verdict_labels": VERDICT_LABELS,
            "session_state_labels": SESSION_STATE_LABELS, "kind_labels": KIND_LABELS, "today": today()}


def _fail(exc: DomainError, endpoint: str, **values: Any) -> Response:
    """Answer a refused action: its reason on the page it came from."""
    db.rollback()
    flash(exc.message, "danger")
    return redirect(url_for(endpoint, **values))


def _dossier(dossier_id: int) -> Dossier:
    return dossier_for_commission(db.session, dossier_id, current_user)


# --- Home, queue, dashboards ------------------------------------------------------------


@bp.get("/")
@roles_required(*ANY_COMMISSION)
def home() -> str:
    """The dashboard of each role: the secretariat's figures, the rapporteur's assignments,
    the sessions to come."""
    stats = None
    if current_user.has_role(Role.SECRETARIAT, Role.CHAIR, Role.DECISION_MAKER):
        stats = commission.secretariat_dashboard(db.session)
    assignments = (commission.rapporteur_dashboard(db.session, current_user)
                   if current_user.has_role(Role.RAPPORTEUR) else [])
    sessions = db.session.scalars(
        select(CommissionSession).where(CommissionSession.state != SessionState.CLOSED)
        .order_by(CommissionSession.scheduled_at).limit(5)).all()
    decisions_waiting = []
    if current_user.has_role(Role.DECISION_MAKER):
        conflicted = rules.interest_organisations(db.session, current_user.id)
        decisions_waiting = [r for r in commission.queue(db.session, states=[S.OPINION_ISSUED])
                             if r.dossier.organisation_id not in conflicted]
    return render_template("commission/home.html", stats=stats, assignments=assignments,
                           sessions=sessions, decisions_waiting=decisions_waiting,
                           states=[s.value for s in S])


@bp.get("/dossiers")
@roles_required(Role.SECRETARIAT, Role.CHAIR, Role.DECISION_MAKER)
def queue() -> str:
    """The secretariat's queue: dossiers by state with their due dates, overdue first."""
    states = [s for s in request.args.getlist("etat") if s in {x.value for x in S}]
    if not states and not request.args:
        # By default, what still needs someone to act; final states are one click away.
        states = [s.value for s in S if s != S.DRAFT and s not in FINAL_DOSSIER_STATES]
    overdue = request.args.get("retard") == "1"
    search = request.args.get("q", "")[:100]
    # A member with a declared interest does not even see that the publisher's dossiers exist.
    conflicted = rules.interest_organisations(db.session, current_user.id)
    rows = [r for r in commission.queue(db.session, states=states, overdue_only=overdue, search=search)
            if r.dossier.organisation_id not in conflicted]
    return render_template("commission/queue.html", rows=rows, selected=set(states), overdue=overdue,
                           search=search, states=[s.value for s in S if s != S.DRAFT])


# --- The dossier page -------------------------------------------------------------------


@bp.get("/dossiers/<int:dossier_id>")
@roles_required(*ANY_COMMISSION)
def dossier(dossier_id: int) -> str:
    """Everything about a dossier the user may see, and the actions they may take (with why not)."""
    from catalogue.dossiers import services as dossiers

    item = _dossier(dossier_id)
    session = db.session
    roles = roles_on_dossier(session, item, current_user)
    actions = available(session, DOSSIER_LIFECYCLE, item, current_user)
    answers = dossiers.current_answers(session, item)
    requirements = rules.applicable_requirements(session, item)
    assignments = session.scalars(
        select(Assignment).options(selectinload(Assignment.rapporteur))
        .where(Assignment.dossier_id == item.id).order_by(Assignment.assigned_at)).all()
    requests_ = session.scalars(select(InformationRequest).where(InformationRequest.dossier_id == item.id)
                                .order_by(InformationRequest.id)).all()
    admissibility = session.scalars(select(AdmissibilityDecision).where(
        AdmissibilityDecision.dossier_id == item.id).order_by(AdmissibilityDecision.id)).all()
    opinions = session.scalars(select(Opinion).where(Opinion.dossier_id == item.id)
                               .order_by(Opinion.id)).all()
    decision = session.scalar(select(Decision).where(Decision.dossier_id == item.id))
    agreement = session.scalar(select(Agreement).where(Agreement.dossier_id == item.id))
    planned = session.scalars(select(CommissionSession).where(CommissionSession.state == SessionState.PLANNED)
                              .order_by(CommissionSession.scheduled_at)).all()
    own_report = commission.current_report(session, item, current_user) if "rapporteur" in roles else None
    return render_template(
        "commission/dossier.html", dossier=item, roles=roles, actions=actions, answers=answers,
        requirements=requirements, assignments=assignments, requests=requests_,
        admissibility=admissibility, opinions=opinions, decision=decision, agreement=agreement,
        reports=commission.visible_reports(session, item, current_user), own_report=own_report,
        planned_sessions=planned, events=audit.events_for(session, "Dossier", item.id),
        clock=dossiers.review_clock(item),
    )


def _action(dossier_id: int, fn: Any, success: str) -> Response:
    item = _dossier(dossier_id)
    try:
        fn(item)
    except DomainError as exc:
        return _fail(exc, "commission.dossier", dossier_id=dossier_id)
    commit()
    flash(success, "success")
    return redirect(url_for("commission.dossier", dossier_id=dossier_id))


@bp.post("/dossiers/<int:dossier_id>/recevable")
@roles_required(Role.SECRETARIAT)
def accept(dossier_id: int) -> Response:
    return _action(dossier_id, lambda d: commission.accept_dossier(db.session, d, actor=current_user),
                   _("Dossier déclaré recevable : l'instruction commence."))


@bp.post("/dossiers/<int:dossier_id>/cloturer-instruction")
@roles_required(Role.SECRETARIAT)
def complete(dossier_id: int) -> Response:
    return _action(dossier_id, lambda d: commission.complete_evaluation(db.session, d, actor=current_user),
                   _("Instruction close : le dossier est prêt pour la commission."))


@bp.post("/dossiers/<int:dossier_id>/confirmer-levee")
@roles_required(Role.RAPPORTEUR)
def confirm_lift(dossier_id: int) -> Response:
    return _action(dossier_id, lambda d: commission.confirm_lift(db.session, d, actor=current_user),
                   _("Levée des réserves suspensives confirmée."))


@bp.post("/dossiers/<int:dossier_id>/inscrire")
@roles_required(Role.SECRETARIAT)
def schedule(dossier_id: int) -> Response:
    target = db.session.get(CommissionSession, request.form.get("session_id", type=int) or 0)

    def run(d: Dossier) -> None:
        if target is None:
            raise ValidationFailed(_("Choisissez la séance."))
        commission.schedule_dossier(db.session, d, target, actor=current_user)

    return _action(dossier_id, run, _("Dossier inscrit à l'ordre du jour."))


@bp.route("/dossiers/<int:dossier_id>/incomplet", methods=["GET", "POST"])
@roles_required(Role.SECRETARIAT)
def incomplete(dossier_id: int) -> Any:
    """Declare the dossier incomplete, requirement by requirement."""
    item = _dossier(dossier_id)
    requirements = rules.applicable_requirements(db.session, item)
    error = None
    values: dict[str, str] = {}
    if request.method == "POST":
        values = {k: v.strip() for k, v in request.form.items() if k.startswith("missing-")}
        items = []
        for requirement in requirements:
            message = values.get(f"missing-{requirement.code}", "")
            if message:
                items.append({"requirement_code": requirement.code, "field": "answer", "message": message})
        general = values.get("missing-general", "")
        if general:
            items.append({"requirement_code": None, "field": "dossier", "message": general})
        try:
            commission.declare_incomplete(db.session, item, actor=current_user, missing_items=items)
        except DomainError as exc:
            db.rollback()
            error = exc.message
        else:
            commit()
            flash(_("Dossier déclaré incomplet : l'éditeur voit chaque élément manquant."), "success")
            return redirect(url_for("commission.dossier", dossier_id=dossier_id))
    return render_template("commission/incomplete.html", dossier=item, requirements=requirements,
                           values=values, error=error), 422 if error else 200


@bp.route("/dossiers/<int:dossier_id>/rapporteurs", methods=["GET", "POST"])
@roles_required(Role.SECRETARIAT)
def rapporteurs(dossier_id: int) -> Any:
    """The automatic proposal, which the secretariat confirms or overrides with a reason."""
    item = _dossier(dossier_id)
    session = db.session
    candidates = commission.rapporteur_candidates(session, item)
    proposed = [c.user.id for c in candidates[:2]]
    errors: dict[str, str] = {}
    chosen = [int(i) for i in request.form.getlist("rapporteur_ids") if i.isdigit()] \
        if request.method == "POST" else proposed
    reason = request.form.get("override_reason", "") if request.method == "POST" else ""
    if request.method == "POST":
        try:
            commission.assign_rapporteurs(session, item, chosen, actor=current_user, override_reason=reason)
        except ValidationFailed as exc:
            db.rollback()
            errors = dict(exc.errors) if isinstance(exc.errors, dict) else {}
            if not errors:
                errors["rapporteurs"] = exc.message
        else:
            commit()
            flash(_("Rapporteurs désignés."), "success")
            return redirect(url_for("commission.dossier", dossier_id=dossier_id))
    current = {a.rapporteur_id for a in session.scalars(select(Assignment).where(
        Assignment.dossier_id == item.id, Assignment.released_at.is_(None)))}
    return render_template("commission/rapporteurs.html", dossier=item, candidates=candidates,
                           proposed=proposed, chosen=set(chosen), reason=reason, errors=errors,
                           current=current), 422 if errors else 200


@bp.route("/dossiers/<int:dossier_id>/complements", methods=["GET", "POST"])
@roles_required(Role.SECRETARIAT, Role.RAPPORTEUR)
def information(dossier_id: int) -> Any:
    item = _dossier(dossier_id)
    form = InformationRequestForm()
    if form.validate_on_submit():
        try:
            commission.request_information(db.session, item, actor=current_user,
                                           questions=form.questions.data)
        except DomainError as exc:
            db.rollback()
            form.questions.errors = [exc.message]
        else:
            commit()
            flash(_("Demande envoyée : le délai d'instruction est suspendu jusqu'à la réponse."), "success")
            return redirect(url_for("commission.dossier", dossier_id=dossier_id))
    return render_template("commission/information.html", dossier=item, form=form), \
        422 if form.errors else 200


@bp.route("/dossiers/<int:dossier_id>/rapport", methods=["GET", "POST"])
@roles_required(Role.RAPPORTEUR)
def report(dossier_id: int) -> Any:
    """The rapporteur's report: a verdict and comments per applicable requirement."""
    item = _dossier(dossier_id)
    session = db.session
    if "rapporteur" not in roles_on_dossier(session, item, current_user):
        raise NotFound(_("Dossier introuvable."))
    requirements = rules.applicable_requirements(session, item)
    errors: dict[str, str] = {}
    existing = commission.current_report(session, item, current_user)
    if request.method == "POST":
        form = request.form
        assessments = {
            r.id: {"verdict": form.get(f"verdict-{r.id}", ""),
                   "public_comment": form.get(f"public-{r.id}", ""),
                   "internal_comment": form.get(f"internal-{r.id}", "")}
            for r in requirements
        }
        submit = form.get("action") == "file"
        try:
            commission.file_report(session, item, actor=current_user, assessments=assessments,
                                   proposed_opinion=form.get("proposed_opinion") or None,
                                   summary=form.get("summary", ""), submit=submit)
        except DomainError as exc:
            db.rollback()
            errors = dict(exc.errors) if isinstance(exc.errors, dict) else {}
            errors.setdefault("report", exc.message)
            values = {"assessments": assessments, "proposed_opinion": form.get("proposed_opinion", ""),
                      "summary": form.get("summary", "")}
        else:
            commit()
            flash(_("Rapport déposé.") if submit else _("Brouillon du rapport enregistré."), "success")
            return redirect(url_for("commission.dossier", dossier_id=dossier_id) if submit
                            else url_for("commission.report", dossier_id=dossier_id))
    else:
        values = {
            "assessments": {a.requirement_id: {"verdict": a.verdict.value if a.verdict else "",
                                               "public_comment": a.public_comment,
                                               "internal_comment": a.internal_comment}
                            for a in (existing.assessments if existing else [])},
            "proposed_opinion": (existing.proposed_opinion.value
                                 if existing and existing.proposed_opinion else ""),
            "summary": existing.summary if existing else "",
        }
    from catalogue.dossiers import services as dossiers

    return render_template("commission/report.html", dossier=item, requirements=requirements,
                           answers=dossiers.current_answers(session, item), values=values, errors=errors,
                           filed=existing is not None and existing.filed_at is not None,
                           verdicts=[v.value for v in Verdict],
                           opinions=[o.value for o in OpinionValue]), 422 if errors else 200


@bp.route("/dossiers/<int:dossier_id>/decision", methods=["GET", "POST"])
@roles_required(Role.DECISION_MAKER)
def decision(dossier_id: int) -> Any:
    """The State's decision, motivated requirement by requirement."""
    item = _dossier(dossier_id)
    session = db.session
    requirements = rules.applicable_requirements(session, item)
    opinion = rules.latest_opinion(session, item)
    values: dict[str, Any] = {"outcome": "", "motivation": "", "reasons": {}}
    error = None
    if request.method == "POST":
        form = request.form
        values = {"outcome": form.get("outcome", ""), "motivation": form.get("motivation", ""),
                  "reasons": {r.code: form.get(f"reason-{r.code}", "").strip() for r in requirements}}
        reasons = [{"requirement_code": code, "reason": text}
                   for code, text in values["reasons"].items() if text]
        try:
            commission.decide(session, item, actor=current_user, outcome=values["outcome"],
                              motivation=values["motivation"], reasons=reasons)
        except DomainError as exc:
            db.rollback()
            error = exc.message
        else:
            commit()
            flash(_("Décision enregistrée."), "success")
            return redirect(url_for("commission.dossier", dossier_id=dossier_id))
    findings: dict[int, list[Any]] = {}
    for report_row in commission.visible_reports(session, item, current_user):
        if report_row.round != item.round:
            continue
        for assessment in report_row.assessments:
            findings.setdefault(assessment.requirement_id, []).append(assessment)
    return render_template("commission/decision.html", dossier=item, requirements=requirements,
                           opinion=opinion, values=values, error=error, findings=findings), \
        422 if error else 200


# --- Interests -----------------------------------------------------------------------------


def _organisation_choices() -> list[tuple[int, str]]:
    rows = db.session.execute(select(Organisation.id, Organisation.legal_name, Organisation.siren)
                              .order_by(Organisation.legal_name)).all()
    return [(0, _("— Choisir —"))] + [(i, f"{name} ({siren})") for i, name, siren in rows]


@bp.route("/interets", methods=["GET", "POST"])
@roles_required(*ANY_COMMISSION)
def interests() -> Any:
    """One's own declarations and a form to add one; the secretariat also sees the register."""
    form = InterestForm()
    form.organisation_id.choices = _organisation_choices()
    if form.validate_on_submit():
        try:
            commission.declare_interest(db.session, actor=current_user,
                                        organisation_id=form.organisation_id.data,
                                        nature=form.nature.data, started_on=form.started_on.data,
                                        ended_on=form.ended_on.data)
        except ValidationFailed as exc:
            db.rollback()
            for name, message in (exc.errors or {}).items():
                if name in form:
                    form[name].errors = [message]
        else:
            commit()
            flash(_("Déclaration enregistrée."), "success")
            return redirect(url_for("commission.interests"))
    register = (commission.all_interests(db.session, actor=current_user)
                if current_user.has_role(Role.SECRETARIAT, Role.CHAIR) else [])
    return render_template("commission/interests.html", form=form,
                           mine=commission.interests_of(db.session, current_user), register=register), \
        422 if form.errors else 200


@bp.route("/interets/<int:declaration_id>", methods=["GET", "POST"])
@roles_required(*ANY_COMMISSION)
def interest(declaration_id: int) -> Any:
    declaration = db.session.get(InterestDeclaration, declaration_id)
    if declaration is None or declaration.user_id != current_user.id:
        abort(404)
    form = InterestForm(obj=declaration)
    form.organisation_id.choices = [(declaration.organisation_id, declaration.organisation.legal_name)]
    if form.validate_on_submit():
        try:
            commission.update_interest(db.session, declaration, actor=current_user, nature=form.nature.data,
                                       started_on=form.started_on.data, ended_on=form.ended_on.data)
        except InterestFrozen as exc:
            commit()  # the refused change stays recorded as a request to the secretariat
            db.session.refresh(declaration)
            form.ended_on.errors = [exc.message]
        except ValidationFailed as exc:
            db.rollback()
            for name, message in (exc.errors or {}).items():
                if name in form:
                    form[name].errors = [message]
        else:
            commit()
            flash(_("Déclaration mise à jour."), "success")
            return redirect(url_for("commission.interests"))
    return render_template("commission/interest_edit.html", form=form, declaration=declaration), \
        422 if form.errors else 200


# --- Organisations ----------------------------------------------------------------------------


@bp.get("/organisations")
@roles_required(Role.SECRETARIAT)
def organisations() -> str:
    from catalogue.dossiers.models import Evidence

    rows = db.session.scalars(select(Organisation).order_by(
        Organisation.status != OrganisationStatus.PENDING, Organisation.created_at.desc()).limit(200)).all()
    extracts = {e.organisation_id: e for e in db.session.scalars(select(Evidence).where(
        Evidence.kind == "registration_extract", Evidence.organisation_id.in_([o.id for o in rows])))}
    return render_template("commission/organisations.html", organisations=rows, extracts=extracts)


@bp.post("/organisations/<int:organisation_id>/verification")
@roles_required(Role.SECRETARIAT)
def verify(organisation_id: int) -> Response:
    from catalogue.publishers import services as publishers

    organisation = db.session.get(Organisation, organisation_id) or abort(404)
    approve = request.form.get("decision") == "approve"
    try:
        publishers.verify_organisation(db.session, organisation, actor=current_user, approve=approve,
                                       reason=request.form.get("reason", ""))
    except DomainError as exc:
        return _fail(exc, "commission.organisations")
    commit()
    flash(_("Organisation vérifiée.") if approve else _("Organisation refusée."), "success")
    return redirect(url_for("commission.organisations"))


# --- Sessions -----------------------------------------------------------------------------------


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
    ready = commission.queue(db.session, states=[S.READY_FOR_COMMISSION])
    chosen: list[int] = []
    error = None
    if request.method == "POST":
        positions = []
        for row in ready:
            raw = request.form.get(f"position-{row.dossier.id}", "").strip()
            if raw:
                positions.append((int(raw) if raw.isdigit() else 999, row.dossier.id))
        chosen = [d for _, d in sorted(positions)]
    if form.validate_on_submit():
        try:
            planned = commission.plan_session(
                db.session, actor=current_user, title=form.title.data,
                scheduled_at=form.scheduled_at.data.replace(tzinfo=UTC), location=form.location.data or "",
                dossier_ids=chosen)
        except ValidationFailed as exc:
            db.rollback()
            for name, message in (exc.errors or {}).items():
                if name in form:
                    form[name].errors = [message]
            error = exc.message
        except DomainError as exc:
            db.rollback()
            error = exc.message
        else:
            commit()
            flash(_("Séance programmée."), "success")
            return redirect(url_for("commission.session_page", session_id=planned.id))
    return render_template("commission/plan.html", form=form, ready=ready, chosen=chosen, error=error), \
        422 if (form.errors or error) else 200


def _session(session_id: int) -> CommissionSession:
    row = db.session.scalar(select(CommissionSession).options(
        selectinload(CommissionSession.items).selectinload(AgendaItem.dossier).selectinload(Dossier.app),
        selectinload(CommissionSession.items).selectinload(AgendaItem.votes).selectinload(Vote.voter),
    ).where(CommissionSession.id == session_id))
    if row is None:
        abort(404)
    return row


@bp.get("/seances/<int:session_id>")
@roles_required(*ANY_COMMISSION)
def session_page(session_id: int) -> str:
    """A session: agenda, attendance, each item's votes and the actions of each role."""
    from catalogue.commission.models import Attendance

    row = _session(session_id)
    session = db.session
    members = rules.sitting_members(session)
    attendance = {a.user_id: a.present for a in session.scalars(
        select(Attendance).where(Attendance.session_id == row.id))}
    items = []
    for item in row.items:
        conflicted = has_declared_interest(session, current_user.id, item.dossier.organisation_id)
        own_vote = next((v for v in item.votes if v.voter_id == current_user.id), None)
        vote_refusal = rules.eligible_voter_reason(session, item, current_user) \
            if current_user.has_role(Role.MEMBER, Role.CHAIR) else None
        opinion_refusal, counts, proposed = (rules.opinion_refusal(session, item)
                                             if row.state == SessionState.OPEN
                                             and item.outcome == AgendaItemOutcome.PENDING
                                             else (None, {}, None))
        opinion = session.scalar(select(Opinion).where(Opinion.item_id == item.id))
        items.append({"item": item, "conflicted": conflicted, "own_vote": own_vote,
                      "vote_refusal": vote_refusal, "opinion_refusal": opinion_refusal,
                      "counts": counts, "proposed": proposed, "opinion": opinion})
    return render_template(
        "commission/session.html", session_row=row, items=items, members=members, attendance=attendance,
        quorum=rules.quorum_required(session), present=len(rules.present_member_ids(session, row)),
        is_chair=current_user.has_role(Role.CHAIR), choices=[c.value for c in VoteChoice],
        reason_form=ReasonForm(),
    )


def _session_action(session_id: int, fn: Any, success: str) -> Response:
    row = _session(session_id)
    attempt(lambda: fn(row), success)
    return redirect(url_for("commission.session_page", session_id=session_id))


def _item(row: CommissionSession, item_id: int) -> AgendaItem:
    for item in row.items:
        if item.id == item_id:
            return item
    abort(404)


@bp.post("/seances/<int:session_id>/ouvrir")
@roles_required(Role.CHAIR)
def open_session(session_id: int) -> Response:
    return _session_action(session_id, lambda s: commission.open_session(db.session, s, actor=current_user),
                           _("Séance ouverte : enregistrez les présences."))


@bp.post("/seances/<int:session_id>/presences")
@roles_required(Role.CHAIR)
def attendance(session_id: int) -> Response:
    ids = [int(i) for i in request.form.getlist("present") if i.isdigit()]
    return _session_action(
        session_id,
        lambda s: commission.record_attendance(db.session, s, actor=current_user, present_ids=ids),
        _("Présences enregistrées."))


@bp.post("/seances/<int:session_id>/points/<int:item_id>/vote")
@roles_required(Role.MEMBER, Role.CHAIR)
def vote(session_id: int, item_id: int) -> Response:
    return _session_action(
        session_id, lambda s: commission.cast_vote(db.session, _item(s, item_id), actor=current_user,
                                                   choice=request.form.get("choice", "")),
        _("Vote enregistré."))


@bp.post("/seances/<int:session_id>/points/<int:item_id>/avis")
@roles_required(Role.CHAIR)
def opinion(session_id: int, item_id: int) -> Response:
    return _session_action(
        session_id, lambda s: commission.issue_opinion(db.session, _item(s, item_id), actor=current_user,
                                                       reservations=request.form.get("reservations", "")),
        _("Avis de la commission enregistré."))


@bp.post("/seances/<int:session_id>/points/<int:item_id>/report")
@roles_required(Role.CHAIR)
def postpone(session_id: int, item_id: int) -> Response:
    return _session_action(
        session_id, lambda s: commission.postpone_item(db.session, _item(s, item_id), actor=current_user,
                                                       reason=request.form.get("reason", "")),
        _("Point reporté."))


@bp.post("/seances/<int:session_id>/clore")
@roles_required(Role.CHAIR)
def close(session_id: int) -> Response:
    return _session_action(session_id, lambda s: commission.close_session(db.session, s, actor=current_user),
                           _("Séance close : le procès-verbal est établi."))


@bp.get("/seances/<int:session_id>/proces-verbal")
@roles_required(*ANY_COMMISSION)
def minutes(session_id: int) -> str:
    row = _session(session_id)
    if row.minutes is None:
        abort(404)
    html = nh3.clean(_markdown.render(row.minutes))
    return render_template("commission/minutes.html", session_row=row, minutes_html=html)


@bp.get("/seances/<int:session_id>/proces-verbal.md")
@roles_required(*ANY_COMMISSION)
def minutes_download(session_id: int) -> Response:
    row = _session(session_id)
    if row.minutes is None:
        abort(404)
    name = f"proces-verbal-seance-{row.id}-{row.scheduled_at:%Y-%m-%d}.md"
    return Response(row.minutes, mimetype="text/markdown; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"',
                             "X-Content-Type-Options": "nosniff"})


# --- Listings and reports -------------------------------------------------------------------------


@bp.get("/fiches")
@roles_required(Role.SECRETARIAT, Role.DECISION_MAKER)
def listings() -> str:
    from catalogue.listings.models import Listing, ListingState

    state = request.args.get("etat", "")
    query = select(Listing).options(selectinload(Listing.app)).order_by(Listing.state_changed_at.desc())
    if state in {s.value for s in ListingState}:
        query = query.where(Listing.state == state)
    rows = db.session.scalars(query.limit(300)).all()
    return render_template("commission/listings.html", listings=rows, state=state,
                           states=[s.value for s in ListingState])


@bp.post("/fiches/<int:listing_id>/<action>")
@roles_required(Role.SECRETARIAT, Role.DECISION_MAKER)
def listing_action(listing_id: int, action: str) -> Response:
    from catalogue.listings import services as listings
    from catalogue.listings.models import Listing

    functions = {"suspendre": listings.suspend_listing, "retablir": listings.reinstate_listing,
                 "dereferencer": listings.delist_listing}
    if action not in functions:
        abort(404)
    listing = db.session.get(Listing, listing_id) or abort(404)
    try:
        functions[action](db.session, listing, actor=current_user, reason=request.form.get("reason", ""))
    except DomainError as exc:
        return _fail(exc, "commission.listings")
    commit()
    flash({"suspendre": _("Fiche suspendue."), "retablir": _("Fiche rétablie."),
           "dereferencer": _("Application déréférencée.")}[action], "success")
    return redirect(url_for("commission.listings"))


@bp.get("/signalements")
@roles_required(Role.SECRETARIAT)
def reports() -> str:
    from catalogue.listings.models import Listing, Report, ReportStatus

    status = request.args.get("statut", "")
    query = select(Report).options(selectinload(Report.listing).selectinload(Listing.app)) \
        .order_by(Report.created_at.desc())
    if status in {s.value for s in ReportStatus}:
        query = query.where(Report.status == status)
    rows = db.session.scalars(query.limit(300)).all()
    return render_template("commission/reports.html", reports=rows, status=status,
                           statuses=[s.value for s in ReportStatus])


@bp.post("/signalements/<int:report_id>")
@roles_required(Role.SECRETARIAT)
def triage(report_id: int) -> Response:
    from catalogue.listings import services as listings
    from catalogue.listings.models import Report

    report_row = db.session.get(Report, report_id) or abort(404)
    try:
        listings.triage_report(db.session, report_row, actor=current_user,
                               status=request.form.get("status", ""), note=request.form.get("note", ""))
    except DomainError as exc:
        return _fail(exc, "commission.reports")
    commit()
    flash(_("Signalement mis à jour."), "success")
    return redirect(url_for("commission.reports"))


__all__ = ["OVERSIGHT_ROLES", "bp"]
