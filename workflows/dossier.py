"""The dossier lifecycle (DESIGN §4), as a table.

Guards and effects live with the rules of their side: the publisher's in
``catalogue.dossiers.rules``, the commission's in ``catalogue.commission.rules``.
Roles on a dossier are computed per object by ``roles_on_dossier``: publisher
roles only for members of its organisation, ``rapporteur`` only for those
assigned, and no commission role at all for a member with a declared interest.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.accounts.models import COMMISSION_ROLES, User
from catalogue.clock import today
from catalogue.commission.models import Assignment, InterestDeclaration
from catalogue.dossiers.models import Dossier, DossierState
from catalogue.publishers.models import MemberRole, Membership
from workflows.engine import Lifecycle, Transition

S = DossierState
P = "catalogue.dossiers.rules:"
C = "catalogue.commission.rules:"

PUBLISHER = "publisher"  # any member of the dossier's organisation
PUBLISHER_OWNER = "publisher_owner"

STATE_LABELS = {
    S.DRAFT: "brouillon",
    S.SUBMITTED: "déposé",
    S.INCOMPLETE: "incomplet",
    S.UNDER_EVALUATION: "en instruction",
    S.INFORMATION_REQUESTED: "compléments demandés",
    S.READY_FOR_COMMISSION: "prêt pour la commission",
    S.SCHEDULED: "inscrit à l'ordre du jour",
    S.OPINION_ISSUED: "avis rendu",
    S.AGREEMENT_PENDING: "convention à signer",
    S.REFERENCED: "référencé",
    S.REFUSED: "refusé",
    S.LAPSED: "caduc",
    S.WITHDRAWN: "retiré",
}


def has_declared_interest(session: Session, user_id: int, organisation_id: int) -> bool:
    """Whether the user has an interest in the organisation that is current today."""
    on = today()
    return session.scalar(
        select(InterestDeclaration.id).where(
            InterestDeclaration.user_id == user_id,
            InterestDeclaration.organisation_id == organisation_id,
            InterestDeclaration.started_on <= on,
            (InterestDeclaration.ended_on.is_(None)) | (InterestDeclaration.ended_on >= on),
        ).limit(1)
    ) is not None


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


def _decision_target(ctx: Any) -> str:
    return S.AGREEMENT_PENDING if ctx.data.get("outcome") == "referenced" else S.REFUSED


WITHDRAWABLE = (
    S.DRAFT, S.SUBMITTED, S.INCOMPLETE, S.UNDER_EVALUATION, S.INFORMATION_REQUESTED,
    S.READY_FOR_COMMISSION, S.SCHEDULED,
)

DOSSIER_LIFECYCLE = Lifecycle(
    name="dossier",
    states=tuple(s.value for s in S),
    final=frozenset({S.REFERENCED, S.REFUSED, S.LAPSED, S.WITHDRAWN}),
    roles_of=roles_on_dossier,
    state_labels={s.value: label for s, label in STATE_LABELS.items()},
    transitions=(
        Transition("submit", (S.DRAFT,), S.SUBMITTED, frozenset({PUBLISHER}),
                   "Déposer le dossier",
                   guards=(P + "guard_submittable",), effects=(P + "effect_submitted",)),
        Transition("declare_incomplete", (S.SUBMITTED,), S.INCOMPLETE, frozenset({"secretariat"}),
                   "Déclarer incomplet",
                   guards=(C + "guard_missing_items_given",),
                   effects=(C + "effect_declared_incomplete",)),
        Transition("resubmit", (S.INCOMPLETE,), S.SUBMITTED, frozenset({PUBLISHER}),
                   "Déposer à nouveau",
                   guards=(P + "guard_submittable",), effects=(P + "effect_submitted",)),
        Transition("accept", (S.SUBMITTED,), S.UNDER_EVALUATION, frozenset({"secretariat"}),
                   "Déclarer recevable",
                   guards=(C + "guard_rapporteurs_assigned",), effects=(C + "effect_accepted",)),
        Transition("request_information", (S.UNDER_EVALUATION,), S.INFORMATION_REQUESTED,
                   frozenset({"rapporteur", "secretariat"}), "Demander des compléments",
                   guards=(C + "guard_questions_given",),
                   effects=(C + "effect_information_requested",)),
        Transition("answer_information", (S.INFORMATION_REQUESTED,), S.UNDER_EVALUATION,
                   frozenset({PUBLISHER}), "Répondre à la demande",
                   guards=(P + "guard_information_answerable",),
                   effects=(P + "effect_information_answered",)),
        Transition("lapse", (S.INFORMATION_REQUESTED,), S.LAPSED, frozenset({"system"}),
                   "Constater la caducité",
                   guards=(C + "guard_information_overdue",), effects=(C + "effect_lapsed",)),
        Transition("complete_evaluation", (S.UNDER_EVALUATION,), S.READY_FOR_COMMISSION,
                   frozenset({"secretariat"}), "Clore l'instruction",
                   guards=(C + "guard_reports_filed",),
                   effects=(C + "effect_evaluation_completed",)),
        Transition("schedule", (S.READY_FOR_COMMISSION,), S.SCHEDULED, frozenset({"secretariat"}),
                   "Inscrire à une séance",
                   guards=(C + "guard_session_planned",), effects=(C + "effect_scheduled",)),
        Transition("postpone", (S.SCHEDULED,), S.READY_FOR_COMMISSION, frozenset({"chair"}),
                   "Reporter", guards=(C + "guard_reason_given",),
                   effects=(C + "effect_postponed",)),
        Transition("issue_opinion", (S.SCHEDULED,), S.OPINION_ISSUED, frozenset({"chair"}),
                   "Rendre l'avis", guards=(C + "guard_opinion_recordable",),
                   effects=(C + "effect_opinion_issued",)),
        # DESIGN's single "lift_reservations" is two acts by two people: the publisher
        # states the reservations lifted, then a rapporteur confirms it.
        Transition("lift_reservations", (S.OPINION_ISSUED,), S.OPINION_ISSUED,
                   frozenset({PUBLISHER}), "Déclarer les réserves levées",
                   guards=(P + "guard_reservations_liftable",),
                   effects=(P + "effect_reservations_lift_requested",)),
        Transition("confirm_lift", (S.OPINION_ISSUED,), S.OPINION_ISSUED,
                   frozenset({"rapporteur"}), "Confirmer la levée des réserves",
                   guards=(C + "guard_lift_confirmable",), effects=(C + "effect_lift_confirmed",)),
        Transition("decide", (S.OPINION_ISSUED,), _decision_target, frozenset({"decision_maker"}),
                   "Décider", guards=(C + "guard_decidable",), effects=(C + "effect_decided",),
                   alternative_targets=(S.AGREEMENT_PENDING, S.REFUSED)),
        Transition("sign_agreement", (S.AGREEMENT_PENDING,), S.REFERENCED,
                   frozenset({PUBLISHER_OWNER}), "Accepter la convention",
                   guards=(P + "guard_agreement_signable",),
                   effects=(P + "effect_agreement_signed",)),
        Transition("withdraw", WITHDRAWABLE, S.WITHDRAWN, frozenset({PUBLISHER}),
                   "Retirer le dossier", guards=(P + "guard_withdrawable",),
                   effects=(P + "effect_withdrawn",)),
    ),
)
