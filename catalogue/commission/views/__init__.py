"""The commission space (``/commission/…``): its blueprint and what every page shares.

Every route needs a commission role with the second factor; each loads its object through
a function that checks what the user may see (404 otherwise). Refusals from the rules come
back as the rule's own message, never a 500. The routes live beside this file, by subject:
``dossiers`` (queue, dossier page, admissibility, reports, decision), ``sessions`` and
``interests``.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from catalogue import db
from catalogue.accounts.models import COMMISSION_ROLES
from catalogue.clock import today
from catalogue.commission.labels import OPINION_LABELS, SESSION_STATE_LABELS, VERDICT_LABELS
from catalogue.commission.models import AgendaItem, CommissionSession, Vote
from catalogue.dossiers.labels import KIND_LABELS, STATE_LABELS
from catalogue.dossiers.models import Dossier, DossierState
from catalogue.dossiers.permissions import dossier_for_commission

bp = Blueprint("commission", __name__, url_prefix="/commission")

S = DossierState
ANY_COMMISSION = tuple(COMMISSION_ROLES)


@bp.context_processor
def _labels() -> dict[str, Any]:
    return {"state_labels": {k.value: v for k, v in STATE_LABELS.items()},
            "opinion_labels": OPINION_LABELS, "verdict_labels": VERDICT_LABELS,
            "session_state_labels": SESSION_STATE_LABELS, "kind_labels": KIND_LABELS, "today": today()}


def load_dossier(dossier_id: int) -> tuple[Dossier, frozenset[str]]:
    """The dossier the user may see, with their roles on it (404 otherwise)."""
    return dossier_for_commission(db.session, dossier_id, current_user)


def load_session(session_id: int) -> CommissionSession:
    """A commission session with its agenda, dossiers and votes loaded (404 otherwise)."""
    row = db.session.scalar(select(CommissionSession).options(
        selectinload(CommissionSession.items).selectinload(AgendaItem.dossier).selectinload(Dossier.app),
        selectinload(CommissionSession.items).selectinload(AgendaItem.votes).selectinload(Vote.voter),
    ).where(CommissionSession.id == session_id))
    if row is None:
        abort(404)
    return row
