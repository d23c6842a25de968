"""The landing page after sign-in: each role's work first (``/travail``)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template
from flask_login import current_user
from werkzeug.wrappers import Response

from catalogue import db
from catalogue.accounts.auth import login_required
from catalogue.accounts.models import Role
from catalogue.clock import today
from catalogue.core import work
from catalogue.dossiers.steps import next_step

bp = Blueprint("work", __name__)


@bp.get("/travail")
@login_required
def landing() -> str | Response:
    """One section per role the user holds, the most urgent first; counts link to lists."""
    user = current_user._get_current_object()
    roles = user.role_set
    if roles == {Role.ADMIN}:
        return redirect("/admin/")
    session, on = db.session, today()
    sections = {
        "secretariat": work.secretariat(session, on) if Role.SECRETARIAT in roles else None,
        "rapporteur": work.rapporteur(session, user, on) if Role.RAPPORTEUR in roles else None,
        "decisions": work.decisions(session, user) if Role.DECISION_MAKER in roles else None,
        "agenda": work.next_session(session, user)
        if roles & {Role.MEMBER, Role.CHAIR, Role.SECRETARIAT} else None,
        "publisher": work.publisher(session, user),
        "patient": work.patient(session, user) if Role.PATIENT in roles else None,
    }
    return render_template("core/work.html", today=on, next_step=next_step,
                           is_chair=Role.CHAIR in roles, **sections)
