"""Who may see or act on a dossier and its evidence, and why not (DESIGN §3).

Publisher roles are per organisation; commission roles are global but hold on a dossier
only without a declared interest in its publisher, and ``rapporteur`` only when assigned.
Views, services, the lifecycle engine and templates all ask these predicates.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from catalogue.accounts.models import COMMISSION_ROLES, Role, User
from catalogue.commission.models import AgendaItem, Assignment
from catalogue.commission.queries import has_declared_interest
from catalogue.dossiers.models import Answer, Dossier, DossierState, Evidence, answer_evidence
from catalogue.errors import NotFound
from catalogue.publishers.models import MemberRole, Membership

PUBLISHER = "publisher"  # any member of the dossier's organisation
PUBLISHER_OWNER = "publisher_owner"
# Roles that see every filed dossier (the secretariat's queue, the chair, the State).
OVERSIGHT_ROLES = frozenset({"secretariat", "chair", "decision_maker"})


def roles_on_dossier(session: Session, dossier: Dossier, actor: User) -> frozenset[str]:
    """The roles ``actor`` holds on this dossier (object-level authorisation)."""
    roles = {r.value for r in actor.role_set}
    commission = {r.value for r in COMMISSION_ROLES}
    if roles & commission and has_declared_interest(session, actor.id, dossier.organisation_id):
        roles -= commission
    if "rapporteur" in roles:
        assigned = session.scalar(
            select(Assignment.id).where(
                Assignment.dossier_id == dossier.id,
                Assignment.rapporteur_id == actor.id,
                Assignment.released_at.is_(None),
            )
        )
        if assigned is None:
            roles.discard("rapporteur")
    member_role = session.scalar(
        select(Membership.role).where(
            Membership.organisation_id == dossier.organisation_id, Membership.user_id == actor.id
        )
    )
    if member_role is not None:
        roles.add(PUBLISHER)
        if member_role == MemberRole.OWNER:
            roles.add(PUBLISHER_OWNER)
    return frozenset(roles)


def can_see_dossier(session: Session, dossier: Dossier, user: User,
                    roles: frozenset[str] | None = None) -> bool:
    """Whether ``user`` may read the dossier's content in the commission space: the
    secretariat, chair and decision maker once filed, its assigned rapporteurs, and members
    once it is on a session's agenda; never anyone with a declared interest."""
    if dossier.state == DossierState.DRAFT:
        return False
    roles = roles if roles is not None else roles_on_dossier(session, dossier, user)
    if roles & OVERSIGHT_ROLES or "rapporteur" in roles:
        return True
    if "member" in roles:
        return session.scalar(
            select(AgendaItem.id).where(AgendaItem.dossier_id == dossier.id).limit(1)
        ) is not None
    return False


def _load(session: Session, dossier_id: int) -> Dossier | None:
    return session.scalar(
        select(Dossier).where(Dossier.id == dossier_id)
        .options(selectinload(Dossier.app), selectinload(Dossier.framework),
                 selectinload(Dossier.organisation))
    )


def dossier_for_commission(session: Session, dossier_id: int, user: User) -> tuple[Dossier, frozenset[str]]:
    """A dossier the user may see in the commission space, with the user's roles on it;
    ``NotFound`` otherwise (never reveal that it exists)."""
    dossier = _load(session, dossier_id)
    if dossier is None:
        raise NotFound("Dossier introuvable.")
    roles = roles_on_dossier(session, dossier, user)
    if not can_see_dossier(session, dossier, user, roles):
        raise NotFound("Dossier introuvable.")
    return dossier, roles


def publisher_dossier(session: Session, dossier_id: int, user: User) -> tuple[Dossier, frozenset[str]]:
    """A dossier of one of the user's organisations, with the user's roles on it (publisher
    pages); ``NotFound`` otherwise."""
    dossier = _load(session, dossier_id)
    if dossier is None or user is None:
        raise NotFound("Dossier introuvable.")
    roles = roles_on_dossier(session, dossier, user)
    if PUBLISHER not in roles:
        raise NotFound("Dossier introuvable.")
    return dossier, roles


def require_member(session: Session, dossier: Dossier, actor: User,
                   roles: frozenset[str] | None = None) -> frozenset[str]:
    """The actor's roles on the dossier for a publisher action (``roles`` when the caller
    already has them); anyone outside the organisation learns nothing (404)."""
    roles = roles if roles is not None else roles_on_dossier(session, dossier, actor)
    if PUBLISHER not in roles:
        raise NotFound("Dossier introuvable.")
    return roles


def can_download_evidence(session: Session, evidence: Evidence, user: User) -> bool:
    """Members of the publisher, the secretariat, and the chair and assigned rapporteurs of a
    filed dossier using it; nobody with a declared interest in the publisher."""
    if session.scalar(select(Membership.id).where(
            Membership.organisation_id == evidence.organisation_id,
            Membership.user_id == user.id)) is not None:
        return True
    roles = user.role_set
    if not roles & {Role.SECRETARIAT, Role.CHAIR, Role.RAPPORTEUR}:
        return False
    if has_declared_interest(session, user.id, evidence.organisation_id):
        return False
    if Role.SECRETARIAT in roles:
        return True  # also checks registration extracts, before any dossier
    used_in = select(Answer.dossier_id).join(
        answer_evidence, answer_evidence.c.answer_id == Answer.id
    ).where(answer_evidence.c.evidence_id == evidence.id)
    filed = select(Dossier.id).where(Dossier.id.in_(used_in), Dossier.state != DossierState.DRAFT)
    if Role.CHAIR in roles and session.scalar(filed.limit(1)) is not None:
        return True
    if Role.RAPPORTEUR in roles:
        assigned = session.scalar(
            select(Assignment.id).where(
                Assignment.rapporteur_id == user.id, Assignment.released_at.is_(None),
                Assignment.dossier_id.in_(filed),
            ).limit(1)
        )
        return assigned is not None
    return False
