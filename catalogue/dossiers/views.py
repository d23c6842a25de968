"""Dossier pages of the publisher space and the evidence download (thin views)."""

from __future__ import annotations

from datetime import date
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Response, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select

from catalogue import db
from catalogue.accounts.auth import login_required
from catalogue.apps import services as apps
from catalogue.audit import services as audit
from catalogue.clock import today
from catalogue.commission.models import (
    AdmissibilityDecision,
    AdmissibilityOutcome,
    Agreement,
    Decision,
    Opinion,
)
from catalogue.dossiers import evidence as evidence_files
from catalogue.dossiers import information
from catalogue.dossiers import permissions as dossier_permissions
from catalogue.dossiers import queries as dossier_queries
from catalogue.dossiers import services as dossiers
from catalogue.dossiers.forms import InformationAnswerForm, SelfAssessmentForm, self_assessment_form
from catalogue.dossiers.lifecycle import DOSSIER_LIFECYCLE
from catalogue.dossiers.models import Dossier, DossierKind, DossierState, Evidence, InformationRequest
from catalogue.errors import Conflict, DomainError, NotFound, ValidationFailed
from catalogue.frameworks.vocabulary import EVIDENCE_KINDS
from catalogue.publishers import queries as publisher_queries
from catalogue.publishers.models import MemberRole
from catalogue.web import act, apply_form, commit
from workflows.engine import available

bp = Blueprint("dossiers", __name__)

S = DossierState


def _upload_limit() -> int:
    return int(current_app.config["UPLOAD_MAX_MB"]) * 1024 * 1024


@bp.post("/editeur/applications/<int:app_id>/dossiers")
@login_required
def open(app_id: int) -> Any:
    """Open a dossier of the given kind for the app."""
    app = apps.app_for_user(db.session, app_id, current_user)
    try:
        kind = DossierKind(request.form.get("kind", "initial"))
    except ValueError:
        flash(_("Type de dossier inconnu."), "danger")
        return redirect(url_for("apps.show", app_id=app.id))
    opened: list[Dossier] = []
    return act(lambda: opened.append(dossiers.open_dossier(db.session, app, actor=current_user, kind=kind)),
               _("Dossier ouvert : complétez l'auto-évaluation, catégorie par catégorie."),
               lambda: url_for("dossiers.assessment", dossier_id=opened[0].id),
               failed_to=url_for("apps.show", app_id=app.id))


def _dossier(dossier_id: int) -> tuple[Dossier, frozenset[str]]:
    return dossier_permissions.publisher_dossier(db.session, dossier_id, current_user)


@bp.get("/editeur/dossiers/<int:dossier_id>")
@login_required
def show(dossier_id: int) -> Any:
    """Follow-up: state, next actor, clock, timeline, requests, rounds, opinion, decision."""
    dossier, roles = _dossier(dossier_id)
    session = db.session
    role = publisher_queries.member_role(session, dossier.organisation_id, current_user.id)
    actions = {a.transition.name: a for a in available(session, DOSSIER_LIFECYCLE, dossier, current_user,
                                                           roles=roles)}
    requests = list(session.scalars(
        select(InformationRequest).where(InformationRequest.dossier_id == dossier.id)
        .order_by(InformationRequest.requested_at)))
    evidence_ids = {i for r in requests for i in (r.answer_evidence_ids or [])}
    request_evidence = {e.id: e for e in session.scalars(
        select(Evidence).where(Evidence.id.in_(evidence_ids)))} if evidence_ids else {}
    opinion = session.scalar(select(Opinion).where(Opinion.dossier_id == dossier.id)
                             .order_by(Opinion.issued_at.desc(), Opinion.id.desc()).limit(1))
    decision = session.scalar(select(Decision).where(Decision.dossier_id == dossier.id))
    agreement = session.scalar(select(Agreement).where(Agreement.dossier_id == dossier.id))
    events = audit.events_for(session, "Dossier", dossier.id)
    open_request = next((r for r in requests if r.answered_at is None), None)
    reply = None
    if open_request is not None and "answer_information" in actions:
        reply = information.reply_evidence(session, dossier, open_request, dossier_queries.evidence_library(
            session, dossier.organisation, dossier.app))
    return render_template(
        "dossiers/show.html", dossier=dossier, role=role, is_owner=role == MemberRole.OWNER,
        actions=actions, requests=requests, request_evidence=request_evidence,
        open_request=open_request, reply=reply,
        clock=dossier_queries.review_clock(dossier),
        next_actor=dossier_queries.NEXT_ACTOR.get(dossier.state, ""),
        opinion=opinion, decision=decision, agreement=agreement, events=_timeline(events),
        changes=dossier_queries.round_changes(session, dossier),
        missing_items=_missing_items(dossier),
        form_errors=request.args.get("erreur"),
    )


_EVENT_LABELS = {
    "dossier.opened": "Dossier ouvert",
    "dossier.submit": "Dossier déposé",
    "dossier.resubmit": "Dossier déposé à nouveau",
    "dossier.declare_incomplete": "Dossier déclaré incomplet",
    "dossier.accept": "Dossier déclaré recevable ; instruction ouverte",
    "dossier.request_information": "Compléments demandés",
    "dossier.answer_information": "Réponse aux compléments envoyée",
    "dossier.lapse": "Dossier devenu caduc",
    "dossier.complete_evaluation": "Instruction close",
    "dossier.schedule": "Inscrit à une séance de la commission",
    "dossier.postpone": "Examen reporté",
    "dossier.issue_opinion": "Avis de la commission rendu",
    "dossier.lift_reservations": "Levée des réserves déclarée",
    "dossier.confirm_lift": "Levée des réserves confirmée",
    "dossier.decide": "Décision rendue",
    "dossier.sign_agreement": "Convention acceptée ; application référencée",
    "dossier.withdraw": "Dossier retiré",
}


def _timeline(events: list[Any]) -> list[dict[str, Any]]:
    # The publisher sees the milestones, not each saved answer.
    return [{"at": e.occurred_at, "label": _(_EVENT_LABELS[e.action])}
            for e in events if e.action in _EVENT_LABELS]


def _missing_items(dossier: Any) -> list[dict[str, Any]]:
    if dossier.state != S.INCOMPLETE:
        return []
    decision = db.session.scalar(
        select(AdmissibilityDecision).where(AdmissibilityDecision.dossier_id == dossier.id,
                                            AdmissibilityDecision.outcome == AdmissibilityOutcome.INCOMPLETE)
        .order_by(AdmissibilityDecision.decided_at.desc()).limit(1))
    return list(decision.missing_items) if decision else []


@bp.get("/editeur/dossiers/<int:dossier_id>/auto-evaluation")
@login_required
def assessment(dossier_id: int) -> Any:
    """Self-assessment overview: progress per category and the completeness panel."""
    return _assessment_page(_dossier(dossier_id)[0])


def _assessment_page(dossier: Dossier, submit_errors: list[str] | None = None) -> str:
    # One reading of the round being edited serves the progress and the completeness panel.
    check = dossier_queries.completeness(db.session, dossier)
    return render_template(
        "dossiers/assessment.html", dossier=dossier,
        progress=dossier_queries.progress(db.session, dossier, check.answers),
        problems=check.problems, editable=dossier_queries.working_round(dossier) is not None,
        submit_errors=submit_errors,
    )


def _category_page(dossier: Any, category: str, *, errors: dict[str, dict[str, str]] | None = None,
                   typed: dict[str, dict[str, Any]] | None = None, status: int = 200) -> Any:
    session = db.session
    answers = dossier_queries.current_answers(session, dossier, working=True)
    progress = dossier_queries.progress(session, dossier, answers)
    current = next((p for p in progress if p.code == category), None)
    if current is None:
        raise NotFound("Catégorie introuvable.")
    index = progress.index(current)
    return render_template(
        "dossiers/category.html", dossier=dossier, category=current, progress=progress,
        previous=progress[index - 1] if index > 0 else None,
        next=progress[index + 1] if index + 1 < len(progress) else None,
        answers=answers, library=dossier_queries.evidence_library(session, dossier.organisation, dossier.app),
        changes=dossier_queries.requirement_changes(session, dossier),
        editable=dossier_queries.working_round(dossier) is not None, errors=errors or {},
        typed=typed or {}, evidence_kinds=EVIDENCE_KINDS, today=today(),
    ), status


@bp.get("/editeur/dossiers/<int:dossier_id>/auto-evaluation/<category>")
@login_required
def category(dossier_id: int, category: str) -> Any:
    """One category of requirements: status, justification and evidence of each."""
    return _category_page(_dossier(dossier_id)[0], category)


def _parse_date(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        raise ValidationFailed("Date invalide.", errors={"valid_until": "Date invalide (jj/mm/aaaa)."}) \
            from None


def _store_uploads(form: SelfAssessmentForm, dossier: Dossier) -> tuple[dict[str, int], dict[str, str]]:
    """Each new file into the library: its evidence id by requirement code, and the refusals
    by input name (a refused file's answer is then left out)."""
    added: dict[str, int] = {}
    refused: dict[str, str] = {}
    for code, upload in form.uploads().items():
        try:
            added[code] = evidence_files.add_evidence(
                db.session, dossier.organisation, actor=current_user, app=dossier.app,
                filename=upload["file"].filename, data=upload["file"].read(_upload_limit() + 1),
                kind=upload["kind"], title=upload["title"] or upload["file"].filename,
                valid_until=_parse_date(upload["valid_until"]), max_bytes=_upload_limit(),
            ).id
        except ValidationFailed as exc:
            for key, message in (exc.errors or {"file": exc.message}).items():
                refused[f"{'file' if key in ('file', 'kind', 'title') else key}-{code}"] = message
    return added, refused


@bp.post("/editeur/dossiers/<int:dossier_id>/auto-evaluation/<category>")
@login_required
def save_category(dossier_id: int, category: str) -> Any:
    """Save every answer of the category (and upload new files) in one transaction."""
    dossier, roles = _dossier(dossier_id)
    form = self_assessment_form([r.code for r in dossier_queries.applicable_requirements(db.session, dossier)
                                 if r.category == category])

    def action() -> None:
        added, refused = _store_uploads(form, dossier)
        try:
            dossiers.save_answers(db.session, dossier, form.answers(added, skip=[k.partition("-")[2]
                                                                              for k in refused]),
                                  actor=current_user, roles=roles)
        except ValidationFailed as exc:
            if not refused:
                raise
            refused |= exc.errors if isinstance(exc.errors, dict) else {}
        if refused:
            # Nothing is kept when one answer is refused: the page shows what was typed.
            raise ValidationFailed(next(iter(refused.values())), errors=refused)

    here = url_for("dossiers.category", dossier_id=dossier.id, category=category)
    if form.validate_on_submit() and apply_form(form, action, _("Réponses enregistrées.")):
        target = form.next_category.data
        return redirect(url_for("dossiers.category", dossier_id=dossier.id, category=target) if target
                        else here)
    errors = form.errors_by_code()
    if not errors:
        # Refused as a whole (the dossier was filed or changed meanwhile): the rule's reason.
        if form.form_errors:
            flash(str(form.form_errors[0]), "danger")
        return redirect(here)
    return _category_page(dossier, category, errors=errors, typed=form.typed(), status=422)


@bp.post("/editeur/dossiers/<int:dossier_id>/deposer")
@login_required
def submit(dossier_id: int) -> Any:
    """Submit (or resubmit): a receipt on success, every problem listed otherwise."""
    dossier, roles = _dossier(dossier_id)
    refused: list[DomainError] = []

    def action() -> None:
        try:
            dossiers.submit_dossier(db.session, dossier, actor=current_user, roles=roles)
        except DomainError as exc:
            # The page lists every problem, and a concurrent filing answers 409.
            refused.append(exc)
            raise

    if apply_form(FlaskForm(), action, _("Dossier déposé. Voici votre accusé de réception.")):
        return redirect(url_for("dossiers.receipt", dossier_id=dossier.id))
    exc = refused[0]
    errors = exc.errors if isinstance(exc.errors, list) and not isinstance(exc, Conflict) else [exc.message]
    return _assessment_page(dossier, errors), 409 if isinstance(exc, Conflict) else 422


@bp.get("/editeur/dossiers/<int:dossier_id>/accuse")
@login_required
def receipt(dossier_id: int) -> Any:
    """Printable receipt: reference, framework, applicable requirements, evidence SHA-256."""
    dossier = _dossier(dossier_id)[0]
    if dossier.reference is None or dossier.submitted_at is None:
        flash(_("Ce dossier n'a pas encore été déposé."), "info")
        return redirect(url_for("dossiers.show", dossier_id=dossier.id))
    requirements = dossier_queries.applicable_requirements(db.session, dossier)
    answers = dossier_queries.current_answers(db.session, dossier)
    evidence = sorted({e.id: e for a in answers.values() for e in a.evidence}.values(),
                      key=lambda e: e.title.lower())
    return render_template("dossiers/receipt.html", dossier=dossier, requirements=requirements,
                           evidence=evidence)


def _show(dossier: Dossier, anchor: str = "") -> str:
    # Actions go back to the top of the dossier when done, to the form's section when refused.
    return url_for("dossiers.show", dossier_id=dossier.id) + anchor


@bp.post("/editeur/dossiers/<int:dossier_id>/complements")
@login_required
def answer(dossier_id: int) -> Any:
    """Answer the information request (text, optional new file, files from the library)."""
    dossier = _dossier(dossier_id)[0]
    form = InformationAnswerForm()

    def action() -> None:
        # A file offered under several requirements posts its id once per ticked box.
        ids = list(dict.fromkeys(form.evidence.data))
        upload = form.upload
        if upload is not None:
            ids.append(evidence_files.add_evidence(
                db.session, dossier.organisation, actor=current_user, app=dossier.app,
                filename=upload.filename, data=upload.read(_upload_limit() + 1),
                kind=form.kind.data or "", title=form.title.data or upload.filename,
                max_bytes=_upload_limit()).id)
        dossiers.answer_information(db.session, dossier, actor=current_user, answer=form.answer.data or "",
                                    evidence_ids=ids)

    return act(action, _("Réponse envoyée : l'instruction reprend."), _show(dossier),
               failed_to=_show(dossier, "#complements"))


@bp.post("/editeur/dossiers/<int:dossier_id>/reserves")
@login_required
def lift(dossier_id: int) -> Any:
    dossier = _dossier(dossier_id)[0]
    return act(lambda: dossiers.lift_reservations(
        db.session, dossier, actor=current_user, statement=request.form.get("statement", "")),
        _("Levée des réserves déclarée : un rapporteur va la confirmer."), _show(dossier),
        failed_to=_show(dossier, "#reserves"))


@bp.post("/editeur/dossiers/<int:dossier_id>/convention")
@login_required
def sign(dossier_id: int) -> Any:
    dossier = _dossier(dossier_id)[0]

    def action() -> None:
        if request.form.get("accept") != "1":
            raise ValidationFailed(_("Cochez la case pour accepter les termes de la convention."))
        dossiers.sign_agreement(db.session, dossier, actor=current_user)

    return act(action, _("Convention acceptée : l'application est référencée."), _show(dossier),
               failed_to=_show(dossier, "#convention"))


@bp.post("/editeur/dossiers/<int:dossier_id>/retrait")
@login_required
def withdraw(dossier_id: int) -> Any:
    dossier = _dossier(dossier_id)[0]
    return act(lambda: dossiers.withdraw_dossier(
        db.session, dossier, actor=current_user, reason=request.form.get("reason", "")),
        _("Dossier retiré."), _show(dossier), failed_to=_show(dossier, "#retrait"))


@bp.get("/pieces/<int:evidence_id>")
@login_required
def download_evidence(evidence_id: int) -> Response:
    """Download an evidence file: attachment, nosniff, audited; 404 for anyone not entitled."""
    evidence = evidence_files.evidence_for_download(db.session, evidence_id, current_user)
    data = evidence_files.evidence_content(evidence)
    commit()
    response = Response(data, mimetype=evidence.content_type)
    ascii_name = evidence.filename.encode("ascii", "replace").decode().replace("?", "_")
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(evidence.filename)}")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "no-store"
    return response
