"""Commission pages about one dossier: the dashboard and queue, the dossier page,
admissibility, rapporteurs, information requests, reports and the decision."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from catalogue import db
from catalogue.accounts.auth import roles_required
from catalogue.accounts.models import Role
from catalogue.audit import history
from catalogue.audit import services as audit
from catalogue.commission import dashboards as commission_dashboards
from catalogue.commission import queries as commission_queries
from catalogue.commission import report_layout
from catalogue.commission import services as commission
from catalogue.commission import sessions as commission_sessions
from catalogue.commission.forms import (
    InformationRequestForm,
    RapporteursForm,
    decision_form,
    incomplete_form,
    report_form,
)
from catalogue.commission.models import (
    AdmissibilityDecision,
    Agreement,
    Assignment,
    CommissionSession,
    Decision,
    Opinion,
    OpinionValue,
    SessionState,
    Verdict,
)
from catalogue.commission.views import ANY_COMMISSION, S, bp, load_dossier
from catalogue.core import work
from catalogue.dossiers import queries as dossier_queries
from catalogue.dossiers.lifecycle import DOSSIER_LIFECYCLE
from catalogue.dossiers.models import FINAL_DOSSIER_STATES, Dossier, InformationRequest
from catalogue.errors import NotFound, ValidationFailed
from catalogue.web import act, apply_form, error_messages
from workflows.engine import available


@bp.get("/")
@roles_required(*ANY_COMMISSION)
def home() -> str:
    """The dashboard of each role: the secretariat's figures, the rapporteur's assignments,
    the sessions to come."""
    stats = None
    if current_user.has_role(Role.SECRETARIAT, Role.CHAIR, Role.DECISION_MAKER):
        stats = commission_dashboards.secretariat_dashboard(db.session)
    assignments = (commission_dashboards.rapporteur_dashboard(db.session, current_user)
                   if current_user.has_role(Role.RAPPORTEUR) else [])
    sessions = db.session.scalars(
        select(CommissionSession).where(CommissionSession.state != SessionState.CLOSED)
        .order_by(CommissionSession.scheduled_at).limit(5)).all()
    decisions_waiting = []
    if current_user.has_role(Role.DECISION_MAKER):
        conflicted = commission_queries.interest_organisations(db.session, current_user.id)
        decisions_waiting = [r for r in commission_dashboards.queue(db.session, states=[S.OPINION_ISSUED])
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
    conflicted = commission_queries.interest_organisations(db.session, current_user.id)
    rows = [r for r in commission_dashboards.queue(db.session, states=states, overdue_only=overdue,
                                                   search=search)
            if r.dossier.organisation_id not in conflicted]
    rapporteurs = work.rapporteur_names(db.session, [r.dossier.id for r in rows])
    if request.args.get("sans_rapporteur") == "1":
        rows = [r for r in rows if not rapporteurs.get(r.dossier.id)]
    sort = request.args.get("tri", "")
    rows = work.sort_queue(rows, sort)
    return render_template("commission/queue.html", rows=rows, selected=set(states), overdue=overdue,
                           search=search, states=[s.value for s in S if s != S.DRAFT],
                           rapporteurs=rapporteurs, sort=sort,
                           unassigned=request.args.get("sans_rapporteur") == "1")


@bp.get("/dossiers/<int:dossier_id>")
@roles_required(*ANY_COMMISSION)
def dossier(dossier_id: int) -> str:
    """Everything about a dossier the user may see, and the actions they may take (with why not)."""
    item, roles = load_dossier(dossier_id)
    session = db.session
    actions = available(session, DOSSIER_LIFECYCLE, item, current_user, roles=roles)
    answers = dossier_queries.current_answers(session, item)
    requirements = dossier_queries.applicable_requirements(session, item)
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
        planned_sessions=planned,
        events=history.entries(session, audit.events_for(session, "Dossier", item.id)),
        clock=dossier_queries.review_clock(item),
    )


def _action(dossier_id: int, fn: Callable[[Dossier], object], success: str) -> Response:
    item = load_dossier(dossier_id)[0]
    return act(lambda: fn(item), success, url_for("commission.dossier", dossier_id=dossier_id))


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
        commission_sessions.schedule_dossier(db.session, d, target, actor=current_user)

    return _action(dossier_id, run, _("Dossier inscrit à l'ordre du jour."))


@bp.route("/dossiers/<int:dossier_id>/incomplet", methods=["GET", "POST"])
@roles_required(Role.SECRETARIAT)
def incomplete(dossier_id: int) -> Any:
    """Declare the dossier incomplete, requirement by requirement."""
    item = load_dossier(dossier_id)[0]
    requirements = dossier_queries.applicable_requirements(db.session, item)
    form = incomplete_form([r.code for r in requirements])
    if form.validate_on_submit() and apply_form(
            form, lambda: commission.declare_incomplete(db.session, item, actor=current_user,
                                                        missing_items=form.missing_items()),
            _("Dossier déclaré incomplet : l'éditeur voit chaque élément manquant.")):
        return redirect(url_for("commission.dossier", dossier_id=dossier_id))
    errors = error_messages(form)
    values = {field.name: field.data or "" for field in form if field.name.startswith("missing-")}
    return render_template("commission/incomplete.html", dossier=item, requirements=requirements,
                           values=values, error=next(iter(errors.values()), None)), 422 if errors else 200


@bp.route("/dossiers/<int:dossier_id>/rapporteurs", methods=["GET", "POST"])
@roles_required(Role.SECRETARIAT)
def rapporteurs(dossier_id: int) -> Any:
    """The automatic proposal, which the secretariat confirms or overrides with a reason."""
    item = load_dossier(dossier_id)[0]
    session = db.session
    candidates = commission.rapporteur_candidates(session, item)
    proposed = [c.user.id for c in candidates[:2]]
    form = RapporteursForm(data={"rapporteur_ids": proposed})
    if form.validate_on_submit() and apply_form(
            form, lambda: commission.assign_rapporteurs(session, item, form.rapporteur_ids.data or [],
                                                        actor=current_user,
                                                        override_reason=form.override_reason.data),
            _("Rapporteurs désignés.")):
        return redirect(url_for("commission.dossier", dossier_id=dossier_id))
    errors = error_messages(form, general="rapporteurs")
    current = {a.rapporteur_id for a in session.scalars(select(Assignment).where(
        Assignment.dossier_id == item.id, Assignment.released_at.is_(None)))}
    return render_template("commission/rapporteurs.html", dossier=item, candidates=candidates,
                           proposed=proposed, chosen=set(form.rapporteur_ids.data or []),
                           reason=form.override_reason.data or "", errors=errors,
                           current=current), 422 if errors else 200


@bp.route("/dossiers/<int:dossier_id>/complements", methods=["GET", "POST"])
@roles_required(Role.SECRETARIAT, Role.RAPPORTEUR)
def information(dossier_id: int) -> Any:
    """Questions to the publisher; the review clock stops until the answer."""
    item = load_dossier(dossier_id)[0]
    form = InformationRequestForm()
    if form.validate_on_submit() and apply_form(
            form, lambda: commission.request_information(db.session, item, actor=current_user,
                                                         questions=form.questions.data),
            _("Demande envoyée : le délai d'instruction est suspendu jusqu'à la réponse.")):
        return redirect(url_for("commission.dossier", dossier_id=dossier_id))
    if form.form_errors:
        form.questions.errors = [*form.questions.errors, *form.form_errors]
    return render_template("commission/information.html", dossier=item, form=form), \
        422 if form.errors else 200


@bp.route("/dossiers/<int:dossier_id>/rapport", methods=["GET", "POST"])
@roles_required(Role.RAPPORTEUR)
def report(dossier_id: int) -> Any:
    """The rapporteur's report: a verdict and comments per applicable requirement."""
    item, roles = load_dossier(dossier_id)
    session = db.session
    if "rapporteur" not in roles:
        raise NotFound(_("Dossier introuvable."))
    requirements = dossier_queries.applicable_requirements(session, item)
    existing = commission.current_report(session, item, current_user)
    saved: dict[str, Any] = {"proposed_opinion": existing.proposed_opinion.value
                             if existing and existing.proposed_opinion else "",
                             "summary": existing.summary if existing else ""}
    for assessment in existing.assessments if existing else []:
        rid = assessment.requirement_id
        saved |= {f"verdict_{rid}": assessment.verdict.value if assessment.verdict else "",
                  f"public_{rid}": assessment.public_comment, f"internal_{rid}": assessment.internal_comment}
    answers = dossier_queries.current_answers(session, item)
    # One category at a time (the side menu); a POST without a category carries them all.
    layout = report_layout.categories(dossier_queries.progress(session, item, answers), saved)
    chosen = report_layout.chosen(layout, request.values.get("categorie"), posted=request.method == "POST")
    shown = requirements if chosen is None else ([] if chosen == report_layout.CONCLUSION
                                                 else layout.by_code[chosen].requirements)
    form = report_form([r.id for r in shown], data=saved)
    marked = form.mark_rest_compliant(shown) if form.marking else []
    if form.validate_on_submit() and apply_form(
            form, lambda: commission.file_report(session, item, actor=current_user,
                                                 assessments=form.assessments(),
                                                 proposed_opinion=form.proposed_opinion.data or None,
                                                 summary=form.summary.data or "", submit=form.filing,
                                                 marked_compliant=[r.code for r in marked]),
            _("Rapport déposé.") if form.filing else _("Brouillon du rapport enregistré.")):
        return redirect(url_for("commission.dossier", dossier_id=dossier_id) if form.filing
                        else report_layout.after_save(layout, chosen, form.action.data,
                                                      url_for("commission.report", dossier_id=dossier_id)))
    errors = error_messages(form, general="report")
    values = {"assessments": form.assessments(), "proposed_opinion": form.proposed_opinion.data or "",
              "summary": form.summary.data or ""}
    return render_template("commission/report.html", dossier=item, requirements=shown,
                           answers=answers, values=values, layout=layout, chosen=chosen,
                           errors=errors, filed=existing is not None and existing.filed_at is not None,
                           verdicts=[v.value for v in Verdict],
                           opinions=[o.value for o in OpinionValue]), 422 if errors else 200


@bp.route("/dossiers/<int:dossier_id>/decision", methods=["GET", "POST"])
@roles_required(Role.DECISION_MAKER)
def decision(dossier_id: int) -> Any:
    """The State's decision, motivated requirement by requirement."""
    item = load_dossier(dossier_id)[0]
    session = db.session
    requirements = dossier_queries.applicable_requirements(session, item)
    opinion = commission_queries.latest_opinion(session, item)
    form = decision_form([r.code for r in requirements])
    if form.validate_on_submit() and apply_form(
            form, lambda: commission.decide(session, item, actor=current_user, outcome=form.outcome.data,
                                            motivation=form.motivation.data or "", reasons=form.reasons()),
            _("Décision enregistrée.")):
        return redirect(url_for("commission.dossier", dossier_id=dossier_id))
    errors = error_messages(form)
    values = {"outcome": form.outcome.data or "", "motivation": form.motivation.data or "",
              "reasons": {r["requirement_code"]: r["reason"] for r in form.reasons()}}
    findings: dict[int, list[Any]] = {}
    for report_row in commission.visible_reports(session, item, current_user):
        if report_row.round != item.round:
            continue
        for assessment in report_row.assessments:
            findings.setdefault(assessment.requirement_id, []).append(assessment)
    # What needs a motive first (a reservation or a non-conformity found), the rest folded;
    # an outcome the rules refuse is shown disabled with the reason.
    flagged = [r for r in requirements if any(a.verdict in (Verdict.NOT_COMPLIANT, Verdict.RESERVATION)
                                              for a in findings.get(r.id, []))]
    refusals = {"referenced": commission_queries.decision_refusal(session, item, "referenced", "-", [])}
    return render_template("commission/decision.html", dossier=item, requirements=requirements,
                           opinion=opinion, values=values, error=next(iter(errors.values()), None),
                           findings=findings, flagged=flagged, refusals=refusals), 422 if errors else 200
