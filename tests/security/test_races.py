"""Races on PostgreSQL: two requests fired at once on the same object, on two connections,
with real commits, repeated. Exactly one wins, the other gets a clear French answer, and
nothing is half-written. Already covered elsewhere (not repeated here):
two submissions (tests/dossiers/test_concurrency.py), two acceptances
(tests/workflows/test_concurrency.py), framework imports (tests/frameworks/test_concurrency.py).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalogue import db
from catalogue.accounts.models import User
from catalogue.audit import services as audit
from catalogue.commission import services as commission
from catalogue.commission import sessions as commission_sessions
from catalogue.commission.models import AgendaItem, Decision, Vote
from catalogue.dossiers.models import Dossier, DossierState
from catalogue.errors import DomainError
from tests.conftest import committed_data, is_postgres

REPEAT = 5

pytestmark = [pytest.mark.committing, pytest.mark.postgres]


@pytest.fixture
def committed(app, request):
    """Run a builder with real commits; afterwards empty every table that was empty before."""
    if not is_postgres(app):
        pytest.skip("needs PostgreSQL (two real connections, row locks); SQLite serialises writers")

    def build(builder: Callable[[], Any]) -> Any:
        result = builder()
        db.commit()
        db.session.remove()
        return result

    with committed_data(app):
        yield build


def race(app: Any, *actions: Callable[[Session], Any]) -> list[str]:
    """Run each action in its own thread and session at the same instant; commit the
    winners. Returns "won" or the French message of the refusal, per action."""
    engine = app.extensions["engine"]
    barrier = threading.Barrier(len(actions))
    outcomes: list[str] = [""] * len(actions)

    def run(index: int, action: Callable[[Session], Any]) -> None:
        with app.app_context(), Session(engine, expire_on_commit=False) as session:
            prepare = action(session)
            barrier.wait()
            try:
                prepare()
                session.commit()
                outcomes[index] = "won"
            except DomainError as exc:
                session.rollback()
                outcomes[index] = exc.message

    threads = [threading.Thread(target=run, args=(i, a)) for i, a in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return outcomes


def assert_one_winner(outcomes: list[str]) -> None:
    assert outcomes.count("won") == 1, outcomes
    loser = next(o for o in outcomes if o != "won")
    assert len(loser) > 10 and " " in loser, loser  # a sentence for the user, not a code


def test_two_decisions_on_one_dossier_exactly_one_is_recorded(app, committed, request):
    advance, team = request.getfixturevalue("advance"), request.getfixturevalue("team")
    review_dossier = request.getfixturevalue("review_dossier")
    ids = committed(lambda: ([advance(review_dossier(), "opinion_issued").id for _ in range(REPEAT)],
                             team.decision_maker.id))
    dossier_ids, maker_id = ids
    for dossier_id in dossier_ids:

        def decide(outcome: str, dossier_id: int = dossier_id) -> Callable[[Session], Any]:
            def load(session: Session) -> Callable[[], Any]:
                dossier, actor = session.get(Dossier, dossier_id), session.get(User, maker_id)
                reasons = [] if outcome == "referenced" else [
                    {"requirement_code": None, "reason": "Exigence non satisfaite."}]
                return lambda: commission.decide(session, dossier, actor=actor, outcome=outcome,
                                                 motivation="Au vu de l'avis.", reasons=reasons)
            return load

        assert_one_winner(race(app, decide("referenced"), decide("refused")))
        with Session(app.extensions["engine"]) as session:
            decisions = select(func.count(Decision.id)).where(Decision.dossier_id == dossier_id)
            assert session.scalar(decisions) == 1
            state = session.scalar(select(Dossier.state).where(Dossier.id == dossier_id))
            assert state in (DossierState.AGREEMENT_PENDING, DossierState.REFUSED)
            assert audit.verify_chain(session) is None


def test_two_votes_by_one_member_exactly_one_is_counted(app, committed, request):
    advance, team = request.getfixturevalue("advance"), request.getfixturevalue("team")
    review_dossier = request.getfixturevalue("review_dossier")
    from tests.factories_commission import open_with_attendance

    def build() -> list[int]:
        items = []
        for _ in range(REPEAT):
            dossier = advance(review_dossier(), "scheduled")
            item = db.session.scalar(select(AgendaItem).where(AgendaItem.dossier_id == dossier.id))
            open_with_attendance(item.session, team)
            items.append(item.id)
        return items

    item_ids = committed(build)
    member_id = team.members[0].id
    for item_id in item_ids:

        def vote(choice: str, item_id: int = item_id) -> Callable[[Session], Any]:
            def load(session: Session) -> Callable[[], Any]:
                item, actor = session.get(AgendaItem, item_id), session.get(User, member_id)
                return lambda: commission_sessions.cast_vote(session, item, actor=actor, choice=choice)
            return load

        outcomes = race(app, vote("favourable"), vote("unfavourable"))
        with Session(app.extensions["engine"]) as session:
            votes = session.scalars(select(Vote).where(Vote.item_id == item_id,
                                                       Vote.voter_id == member_id)).all()
            # One vote row per member and item, whoever won (a change of mind may replace it).
            assert len(votes) == 1, outcomes
            assert audit.verify_chain(session) is None
        assert "won" in outcomes
        assert all(o == "won" or o for o in outcomes)


def test_accept_and_declare_incomplete_at_once_exactly_one_wins(app, committed, request):
    team = request.getfixturevalue("team")
    review_dossier = request.getfixturevalue("review_dossier")

    def build() -> list[int]:
        ids = []
        for _ in range(REPEAT):
            dossier = review_dossier()
            commission.assign_rapporteurs(db.session, dossier, [r.id for r in team.rapporteurs[:2]],
                                          actor=team.secretariat, override_reason="Test de concurrence.")
            ids.append(dossier.id)
        return ids

    dossier_ids = committed(build)
    secretariat_id = team.secretariat.id
    for dossier_id in dossier_ids:

        def accept(session: Session, dossier_id: int = dossier_id) -> Callable[[], Any]:
            dossier, actor = session.get(Dossier, dossier_id), session.get(User, secretariat_id)
            return lambda: commission.accept_dossier(session, dossier, actor=actor)

        def incomplete(session: Session, dossier_id: int = dossier_id) -> Callable[[], Any]:
            dossier, actor = session.get(Dossier, dossier_id), session.get(User, secretariat_id)
            return lambda: commission.declare_incomplete(
                session, dossier, actor=actor,
                missing_items=[{"requirement_code": None, "field": "evidence", "message": "Illisible."}])

        assert_one_winner(race(app, accept, incomplete))
        with Session(app.extensions["engine"]) as session:
            state = session.scalar(select(Dossier.state).where(Dossier.id == dossier_id))
            assert state in (DossierState.UNDER_EVALUATION, DossierState.INCOMPLETE)
            if state == DossierState.INCOMPLETE:
                assert session.scalar(select(Dossier.review_due_on).where(Dossier.id == dossier_id)) is None
            assert audit.verify_chain(session) is None
