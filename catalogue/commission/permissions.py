"""Who of the commission may see a dossier (object-level access, DESIGN §3).

A member who declared an interest in the publisher sees nothing of its dossiers
(404, as if they did not exist); a rapporteur sees only the dossiers assigned to
them; members see the dossiers put on a session's agenda (they vote on them).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from catalogue.accounts.models import User
from catalogue.commission.models import AgendaItem
from catalogue.dossiers.models import Dossier, DossierState
from catalogue.errors import NotFound
from workflows.dossier import roles_on_dossier

# Roles that see every submitted dossier (the secretariat's queue, the chair, the State).
OVERSIGHT_ROLES = frozenset({"secretariat", "chair", "decision_maker"})


def can_see_dossier(session: Session, dossier: Dossier, user: User) -> bool:
    """Whether ``user`` may read the dossier's content in the commission space."""
    if dossier.state == DossierState.DRAFT:
        return False
    roles = roles_on_dossier(session, dossier, user)
    if roles & OVERSIGHT_ROLES or "rapporteur" in roles:
        return True
    if "member" in roles:
        return session.scalar(
            select(AgendaItem.id).where(AgendaItem.dossier_id == dossier.id).limit(1)
        ) is not None
    return False


def dossier_for_commission(session: Session, dossier_id: int, user: User) -> Dossier:
    """Load a dossier the user may see, else ``NotFound`` (never reveal that it exists)."""
    dossier = session.scalar(
        select(Dossier).options(selectinload(Dossier.app), selectinload(Dossier.organisation),
                                selectinload(Dossier.framework))
        .where(Dossier.id == dossier_id)
    )
    if dossier is None or not can_see_dossier(session, dossier, user):
        raise NotFound("Dossier introuvable.")
    return dossier
