"""The proposed profile of a modification dossier (publisher space; thin views)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, session, url_for
from flask_babel import gettext as _
from flask_login import current_user

from catalogue import db
from catalogue.accounts.auth import login_required
from catalogue.dossiers import feedback, modification, timing
from catalogue.dossiers import permissions as dossier_permissions
from catalogue.dossiers import queries as dossier_queries
from catalogue.dossiers.proposal_forms import ProposedProfileForm
from catalogue.errors import Conflict, DomainError, ValidationFailed
from catalogue.web import commit

bp = Blueprint("proposals", __name__)


@bp.app_template_global()
def dossier_proposal(dossier: Any) -> modification.Proposal | None:
    """The modification's diff for the dossier pages (publisher and commission)."""
    return modification.proposal(db.session, dossier)


@bp.app_template_global()
def dossier_stage_clock(dossier: Any) -> timing.StageClock:
    """Stage, next actor and the date that matters now, for the publisher's dossier page."""
    return timing.stage_clock(db.session, dossier)


@bp.app_template_global()
def dossier_feedback(dossier: Any) -> dict[str, dict[str, list[str]]]:
    """Per requirement: the secretariat's notes still open and, once the opinion is issued,
    the rapporteurs' comments for the publisher (shown at each question)."""
    return {"notes": feedback.admissibility_notes(db.session, dossier),
            "open": feedback.unanswered_notes(db.session, dossier),
            "comments": feedback.public_comments(db.session, dossier)}


@bp.app_template_global()
def answer_round_changes(dossier: Any) -> list[Any]:
    """Per round, the requirements whose answer changed (commission's dossier page)."""
    return dossier_queries.round_changes(db.session, dossier)


@bp.app_template_filter("proposal_value")
def proposal_value(value: Any, field: str) -> str:
    """An assessed value as the diff shows it (labels, "—" when empty)."""
    return modification.shown(field, value)


def _lang() -> str:
    return "en" if session.get("lang") == "en" or current_user.locale == "en" else "fr"


@bp.route("/editeur/dossiers/<int:dossier_id>/profil-propose", methods=["GET", "POST"])
@login_required
def edit(dossier_id: int) -> Any:
    """Edit the draft of the assessed facts that the modification dossier proposes."""
    dossier, _roles = dossier_permissions.publisher_dossier(db.session, dossier_id, current_user)
    if modification.proposal(db.session, dossier) is None:
        flash(_("Seul un dossier de modification propose un nouveau profil."), "danger")
        return redirect(url_for("dossiers.show", dossier_id=dossier.id))
    form = ProposedProfileForm(lang=_lang())
    status = 200
    if form.validate_on_submit():
        try:
            modification.save_proposed_profile(
                db.session, dossier, actor=current_user, version=int(form.version.data),
                **form.values())
        except ValidationFailed as exc:
            db.rollback()
            for name, message in (exc.errors or {}).items() if isinstance(exc.errors, dict) else []:
                if name in form:
                    form[name].errors = [*form[name].errors, message]
            status = 422
        except (Conflict, DomainError) as exc:
            db.rollback()
            flash(exc.message, "danger")
            status = exc.status
        else:
            commit()
            flash(_("Profil proposé enregistré : les exigences du dossier suivent."), "success")
            return redirect(url_for("dossiers.show", dossier_id=dossier.id) + "#modification")
    elif form.is_submitted():
        status = 422
    if status != 422:
        db.session.refresh(dossier)
        form.fill(dossier.profile_snapshot or {}, dossier.profile_version)
    return render_template("dossiers/proposal.html", dossier=dossier, form=form,
                           proposal=modification.proposal(db.session, dossier)), status
