"""A stateful Hypothesis test of the dossier lifecycle.

Random sequences of transitions fired by random actors through ``workflows.engine.fire``
(with plausible or missing data), mixed with the commission's preparatory acts
(assignments, reports, sessions, attendance, votes, conflicted members declaring an
interest). After every step the invariants of DESIGN §4 must hold:

- no published listing without a favourable opinion and a ``referenced`` decision;
- no vote cast by a member who declared an interest in the publisher;
- the review clock never runs while information is requested;
- every state change has its audit event;

and at the end of each run the audit chain verifies.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule, run_state_machine_as_test
from sqlalchemy import func, select

from catalogue import db
from catalogue.accounts.models import Role
from catalogue.audit import services as audit
from catalogue.audit.models import AuditEvent
from catalogue.clock import now, today
from catalogue.commission import services as commission
from catalogue.commission import sessions as commission_sessions
from catalogue.commission.models import (
    AgendaItem,
    CommissionSession,
    Decision,
    InterestDeclaration,
    Opinion,
    OpinionValue,
    Vote,
)
from catalogue.dossiers.lifecycle import DOSSIER_LIFECYCLE
from catalogue.dossiers.models import Dossier, DossierState
from catalogue.errors import DomainError
from catalogue.listings.models import Listing, ListingState
from tests.factories_commission import full_report
from tests.factories_publishers import owner_of
from tests.security.conftest import bounded
from workflows import engine

S = DossierState
TRANSITIONS = [t.name for t in DOSSIER_LIFECYCLE.transitions]
ACTORS = ["owner", "other_owner", "secretariat", "rapporteur1", "rapporteur2", "rapporteur3",
          "member", "conflicted", "chair", "decision_maker", "system"]
ROLE_OF = {key: {role} for key, role in (
    ("secretariat", "secretariat"), ("rapporteur1", "rapporteur"), ("rapporteur2", "rapporteur"),
    ("rapporteur3", "rapporteur"), ("member", "member"), ("conflicted", "member"), ("chair", "chair"),
    ("decision_maker", "decision_maker"), ("system", "system"))}
ROLE_OF["owner"] = ROLE_OF["other_owner"] = {"publisher", "publisher_owner"}
REACHED: set[str] = set()
FAVOURABLE = {OpinionValue.FAVOURABLE, OpinionValue.FAVOURABLE_WITH_RESERVATIONS,
              OpinionValue.FAVOURABLE_WITH_SUSPENSIVE_RESERVATIONS}


def data_for(name: str, machine: Any, complete: bool) -> dict[str, Any]:
    """Plausible data for a transition (or none at all when ``complete`` is False)."""
    if not complete:
        return {}
    item = machine.item()
    return {
        "missing_items": [{"requirement_code": None, "field": "evidence",
                           "message": "Pièce illisible."}],
        "questions": "Précisez l'hébergeur des sauvegardes.",
        "answer": "L'hébergeur des sauvegardes est certifié HDS.", "evidence_ids": [],
        "reason": "Dossier à compléter avant la séance.",
        "outcome": "referenced" if machine.draw_referenced else "refused",
        "motivation": "Au vu de l'avis de la commission.",
        "reasons": [] if machine.draw_referenced else
        [{"requirement_code": None, "reason": "Exigence non satisfaite."}],
        "commission_session": machine.planned_session(), "item": item,
        "reservations": "", "statement": "Les réserves sont levées.", "accepted": True,
        "withdrawal_terms": True, "on": today() + timedelta(days=90),
    }


class DossierLifecycle(RuleBasedStateMachine):
    """One dossier per example, driven by the team built in the test."""

    world: dict[str, Any]

    @initialize()
    def start(self) -> None:
        self.session = db.session
        dossier = self.world["new_dossier"]()
        self.dossier_id = dossier.id
        self.organisation_id = dossier.organisation_id
        self.actors = dict(self.world["actors"])
        self.actors["owner"] = owner_of(self.session, dossier.organisation)
        self.draw_referenced = True
        self.fired: list[str] = []
        self.session_id: int | None = None
        # Rapporteurs proposed from the start, so that walks go deep within a bounded run
        # (the "assign" rule still changes them, including invalid pairs).
        commission.assign_rapporteurs(self.session, dossier, [self.actors["rapporteur1"].id,
                                                              self.actors["rapporteur2"].id],
                                      actor=self.actors["secretariat"], override_reason="Compétences.")

    # --- helpers ---------------------------------------------------------------------------

    @property
    def dossier(self) -> Dossier:
        return self.session.get(Dossier, self.dossier_id)

    def planned_session(self) -> CommissionSession | None:
        return self.session.get(CommissionSession, self.session_id) if self.session_id else None

    def item(self) -> AgendaItem | None:
        return self.session.scalar(select(AgendaItem).where(
            AgendaItem.dossier_id == self.dossier_id).order_by(AgendaItem.id.desc()).limit(1))

    def attempt(self, action: Any, label: str = "") -> bool:
        """Run ``action`` in a savepoint: a refusal (any domain error) changes nothing."""
        before = self.dossier.state
        events = self.events()
        try:
            with self.session.begin_nested():
                action()
        except DomainError as exc:
            import os
            if os.environ.get("SM_DEBUG"):
                print("refused", label, exc)
            assert self.dossier.state == before
            assert self.events() == events, "a refused action left an audit event"
            return False
        return True

    def events(self) -> int:
        return self.session.scalar(select(func.count(AuditEvent.id)))

    # --- rules -----------------------------------------------------------------------------

    @rule(name=st.sampled_from(["<from this state>"] * (3 * len(TRANSITIONS)) + TRANSITIONS),
          who=st.sampled_from(["<holding the role>"] * (3 * len(ACTORS)) + ACTORS),
          complete=st.sampled_from([True, True, True, False]), referenced=st.booleans(),
          pick=st.randoms(use_true_random=False))
    def fire(self, name: str, who: str, complete: bool, referenced: bool, pick: Any) -> None:
        """Mostly a transition leaving the current state by someone holding its role (so the
        walk goes deep), sometimes anything by anyone (which must be refused cleanly)."""
        if name.startswith("<"):
            # Withdrawing ends the walk: leave it to the "anything" draws.
            leaving = [t.name for t in DOSSIER_LIFECYCLE.transitions
                       if self.dossier.state in t.sources and t.name != "withdraw"]
            if not leaving:
                return
            name = pick.choice(leaving)
        if who.startswith("<"):
            roles = DOSSIER_LIFECYCLE.transition(name).roles
            fitting = [key for key in ACTORS if ROLE_OF[key] & roles] or ACTORS
            who = pick.choice(fitting)
        self.draw_referenced = referenced
        actor = None if who == "system" else self.actors[who]
        before = self.dossier.state
        count = self.events()
        if self.attempt(lambda: engine.fire(self.session, DOSSIER_LIFECYCLE, self.dossier, name, actor,
                                            **data_for(name, self, complete)), f"{name}/{who}"):
            self.fired.append(name)
            REACHED.add(str(self.dossier.state))
            # The change has its audit event, written with it.
            actions = self.session.scalars(select(AuditEvent.action).where(
                AuditEvent.id > 0).order_by(AuditEvent.id.desc()).limit(self.events() - count)).all()
            assert f"dossier.{name}" in actions, (name, before, actions)

    @rule(pair=st.sampled_from([(1, 2), (1, 2), (1, 3), (2, 3), (1, 1)]))
    def assign(self, pair: tuple[int, int]) -> None:
        ids = [self.actors[f"rapporteur{i}"].id for i in pair]
        self.attempt(lambda: commission.assign_rapporteurs(
            self.session, self.dossier, ids, actor=self.actors["secretariat"],
            override_reason="Compétences."), "assign")

    @rule(which=st.sampled_from(["rapporteur1", "rapporteur2", "rapporteur3"]),
          opinion=st.sampled_from(["favourable", "unfavourable"]))
    def report(self, which: str, opinion: str) -> None:
        self.attempt(lambda: full_report(self.session, self.dossier, self.actors[which], opinion=opinion),
                     "report")

    @rule()
    def plan_session(self) -> None:
        def plan() -> None:
            planned = commission_sessions.plan_session(self.session, actor=self.actors["secretariat"],
                                              title="Séance", scheduled_at=now() + timedelta(days=1),
                                              dossier_ids=[])
            self.session_id = planned.id

        self.attempt(plan)

    @rule()
    def open_with_everyone(self) -> None:
        planned = self.item().session if self.item() else None
        if planned is None:
            return
        voters = [self.actors[k] for k in ("member", "conflicted", "chair")] + self.world["extra_voters"]
        self.attempt(lambda: commission_sessions.open_session(self.session, planned,
                                                              actor=self.actors["chair"]))
        self.attempt(lambda: commission_sessions.record_attendance(
            self.session, planned, actor=self.actors["chair"], present_ids=[u.id for u in voters]))

    @rule(who=st.sampled_from(["member", "conflicted", "chair", "extra0", "extra1", "extra2"]),
          choice=st.sampled_from(["favourable", "unfavourable", "abstention",
                                  "favourable_with_reservations"]))
    def vote(self, who: str, choice: str) -> None:
        item = self.item()
        if item is None:
            return
        voter = (self.world["extra_voters"][int(who[-1])] if who.startswith("extra") else self.actors[who])
        self.attempt(lambda: commission_sessions.cast_vote(self.session, item, actor=voter, choice=choice))

    @rule()
    def conflicted_member_declares_interest_again(self) -> None:
        self.attempt(lambda: commission.declare_interest(
            self.session, actor=self.actors["conflicted"], organisation_id=self.organisation_id,
            nature="Conseil rémunéré.", started_on=today() - timedelta(days=10)))

    # --- invariants ------------------------------------------------------------------------

    @invariant()
    def no_listing_without_favourable_opinion_and_decision(self) -> None:
        if not hasattr(self, "dossier_id"):
            return
        dossier = self.dossier
        listing = self.session.scalar(select(Listing).where(Listing.app_id == dossier.app_id))
        if listing is not None and listing.state == ListingState.PUBLISHED:
            opinion = self.session.scalar(select(Opinion).where(Opinion.dossier_id == dossier.id)
                                          .order_by(Opinion.id.desc()).limit(1))
            decision = self.session.scalar(select(Decision).where(Decision.dossier_id == dossier.id)
                                           .order_by(Decision.id.desc()).limit(1))
            assert opinion is not None and opinion.value in FAVOURABLE
            assert decision is not None and decision.outcome == "referenced"
            assert dossier.state == S.REFERENCED

    @invariant()
    def no_vote_by_a_conflicted_member(self) -> None:
        conflicted = self.session.scalar(
            select(func.count(Vote.id)).join(AgendaItem, AgendaItem.id == Vote.item_id)
            .join(Dossier, Dossier.id == AgendaItem.dossier_id)
            .join(InterestDeclaration, (InterestDeclaration.user_id == Vote.voter_id)
                  & (InterestDeclaration.organisation_id == Dossier.organisation_id)))
        assert conflicted == 0

    @invariant()
    def clock_stopped_while_information_requested(self) -> None:
        if not hasattr(self, "dossier_id"):
            return
        dossier = self.dossier
        if dossier.state == S.INFORMATION_REQUESTED:
            assert dossier.clock_stopped_on is not None
        elif dossier.state == S.UNDER_EVALUATION:
            assert dossier.clock_stopped_on is None and dossier.review_due_on is not None

    def teardown(self) -> None:
        # Once per run, not per step: the chain is re-hashed from its start, and a break made
        # at any step is still there at the end.
        assert audit.verify_chain(self.session) is None


def test_dossier_lifecycle_under_random_transitions(app, team, review_dossier, make_user, make_organisation):
    other = make_organisation()
    conflicted = make_user(roles=[Role.MEMBER], display_name="Membre en conflit")
    extra = [make_user(roles=[Role.MEMBER]) for _ in range(3)]
    organisations = []

    def new_dossier() -> Dossier:
        dossier = review_dossier()
        organisations.append(dossier.organisation_id)
        commission.declare_interest(db.session, actor=conflicted, organisation_id=dossier.organisation_id,
                                    nature="Ancien salarié.", started_on=today() - timedelta(days=400))
        return dossier

    DossierLifecycle.world = {
        "new_dossier": new_dossier, "extra_voters": extra,
        "actors": {"other_owner": owner_of(db.session, other), "secretariat": team.secretariat,
                   "rapporteur1": team.rapporteurs[0], "rapporteur2": team.rapporteurs[1],
                   "rapporteur3": team.rapporteurs[2], "member": team.members[0],
                   "conflicted": conflicted, "chair": team.chair,
                   "decision_maker": team.decision_maker},
    }
    REACHED.clear()
    run_state_machine_as_test(DossierLifecycle, settings=settings(bounded(10), stateful_step_count=40))
    # The walk went past the secretariat's desk (a machine refusing everything proves nothing).
    assert {"under_evaluation", "information_requested"} & REACHED, REACHED
