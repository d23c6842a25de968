"""Every (state, role, transition) of the dossier table: a transition is offered and
fired only from its source states and for its declared roles; otherwise the engine
refuses with the reason (state or role), and the dossier does not move."""

from __future__ import annotations

import pytest

from catalogue.accounts.models import Role
from catalogue.commission import services as commission
from catalogue.commission.models import Assignment, InterestDeclaration
from catalogue.dossiers.lifecycle import DOSSIER_LIFECYCLE
from catalogue.dossiers.models import DossierState
from catalogue.dossiers.permissions import roles_on_dossier
from catalogue.publishers.models import MemberRole, Membership
from workflows import engine

S = DossierState
# How each state is reached: through the services where the commission owns the path;
# states owned by the publisher's services (draft, referenced, withdrawn) are set directly,
# since this test is about the table's gating, not the path.
REACHED_BY_SERVICES = {
    S.SUBMITTED, S.INCOMPLETE, S.UNDER_EVALUATION, S.INFORMATION_REQUESTED, S.LAPSED,
    S.READY_FOR_COMMISSION, S.SCHEDULED, S.OPINION_ISSUED, S.AGREEMENT_PENDING,
}
ACTORS = {
    "publisher_editor": frozenset({"publisher"}),
    "publisher_owner": frozenset({"publisher", "publisher_owner"}),
    "secretariat": frozenset({"secretariat"}),
    "assigned_rapporteur": frozenset({"rapporteur"}),
    "other_rapporteur": frozenset(),
    "member": frozenset({"member"}),
    "chair": frozenset({"chair", "member"}),
    "decision_maker": frozenset({"decision_maker"}),
    "conflicted_secretariat": frozenset(),
    "system": frozenset({"system"}),
}


@pytest.mark.parametrize("state", [s.value for s in S])
def test_transition_offered_only_from_its_states_to_its_roles(
    state, session, team, review_dossier, advance, make_user
):
    dossier = review_dossier()
    target = S(state)
    if target == S.REFUSED:
        advance(dossier, "refused", outcome="refused")
    elif target in REACHED_BY_SERVICES:
        advance(dossier, state)
    else:
        advance(dossier, "under_evaluation")
        dossier.state = target
        session.flush()
    assert dossier.state == target
    if not session.query(Assignment).filter_by(dossier_id=dossier.id).count():
        for r in team.rapporteurs[:2]:
            session.add(Assignment(dossier_id=dossier.id, rapporteur_id=r.id,
                                   assigned_by_id=team.secretariat.id))
        session.flush()

    owner = session.query(Membership).filter_by(organisation_id=dossier.organisation_id,
                                                role=MemberRole.OWNER).first().user
    editor = make_user()
    session.add(Membership(organisation_id=dossier.organisation_id, user_id=editor.id,
                           role=MemberRole.EDITOR))
    conflicted = make_user(roles=[Role.SECRETARIAT])
    session.add(InterestDeclaration(user_id=conflicted.id, organisation_id=dossier.organisation_id,
                                    nature="Ancien salarié", started_on=dossier.created_at.date()))
    session.flush()
    actors = {
        "publisher_editor": editor, "publisher_owner": owner, "secretariat": team.secretariat,
        "assigned_rapporteur": team.rapporteurs[0], "other_rapporteur": team.rapporteurs[2],
        "member": team.members[0], "chair": team.chair, "decision_maker": team.decision_maker,
        "conflicted_secretariat": conflicted, "system": None,
    }
    for actor_kind, actor in actors.items():
        roles = ACTORS[actor_kind]
        if actor is not None:
            assert roles_on_dossier(session, dossier, actor) == roles, actor_kind
        expected = {t.name for t in DOSSIER_LIFECYCLE.transitions
                    if target in t.sources and t.roles & roles}
        offered = {a.transition.name
                   for a in engine.available(session, DOSSIER_LIFECYCLE, dossier, actor)}
        assert offered == expected, actor_kind

        version = dossier.version_id
        for transition in DOSSIER_LIFECYCLE.transitions:
            if transition.name in expected:
                continue
            with pytest.raises(engine.TransitionRefused) as refused:
                engine.fire(session, DOSSIER_LIFECYCLE, dossier, transition.name, actor)
            if target not in transition.sources:
                assert "Action impossible" in refused.value.message
            else:
                assert refused.value.message == "Vous n'avez pas le rôle requis pour cette action."
            assert dossier.state == target and dossier.version_id == version


def test_every_dossier_state_is_reachable_and_final_states_have_no_exit():
    targets = {t for tr in DOSSIER_LIFECYCLE.transitions for t in tr.targets}
    assert set(DOSSIER_LIFECYCLE.states) - {"draft"} <= {str(t) for t in targets}
    for transition in DOSSIER_LIFECYCLE.transitions:
        assert not set(transition.sources) & DOSSIER_LIFECYCLE.final


def test_commission_actions_reach_the_engine_through_services(session, team, review_dossier):
    dossier = review_dossier()
    with pytest.raises(engine.TransitionRefused) as refused:
        commission.accept_dossier(session, dossier, actor=team.members[0])
    assert "rôle" in refused.value.message
