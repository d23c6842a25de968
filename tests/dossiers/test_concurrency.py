"""Two members submit the same dossier at once, on two connections: one wins, the other is told."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue import db
from catalogue.accounts.models import User
from catalogue.dossiers import services as dossiers
from catalogue.dossiers.models import Dossier, DossierState, ReferenceCounter
from catalogue.errors import Conflict
from catalogue.publishers.models import MemberRole, Membership
from tests.conftest import committed_data, is_postgres
from tests.factories_publishers import fill_answers, owner_of


@pytest.fixture
def committed_draft(app, request):
    """Two complete draft dossiers (two members each able to submit), committed for real;
    every table that was empty before is emptied afterwards."""
    if not is_postgres(app):
        pytest.skip("needs PostgreSQL (two real connections, row locks)")

    with committed_data(app):
        make_dossier = request.getfixturevalue("make_dossier")
        make_user = request.getfixturevalue("make_user")
        ids = []
        for _ in range(2):
            dossier = make_dossier()
            owner = owner_of(db.session, dossier.organisation)
            colleague = make_user()
            db.session.add(Membership(organisation_id=dossier.organisation_id, user_id=colleague.id,
                                      role=MemberRole.EDITOR))
            fill_answers(db.session, dossier, owner)
            ids.append((dossier.id, [owner.id, colleague.id]))
        db.commit()
        db.session.remove()
        yield ids


def _race(app, work: list[tuple[int, int]]) -> list[str]:
    engine = app.extensions["engine"]
    barrier = threading.Barrier(len(work))
    outcomes: list[str] = []

    def submit(dossier_id: int, user_id: int) -> None:
        with app.app_context(), Session(engine, expire_on_commit=False) as session:
            dossier = session.get(Dossier, dossier_id)
            actor = session.get(User, user_id)
            barrier.wait()
            try:
                dossiers.submit_dossier(session, dossier, actor=actor)
                session.commit()
                outcomes.append("won")
            except Conflict as exc:
                session.rollback()
                assert "rechargez" in exc.message or "déjà été déposé" in exc.message
                outcomes.append("conflict")

    threads = [threading.Thread(target=submit, args=item) for item in work]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return outcomes


@pytest.mark.committing
def test_double_submit_one_wins_the_other_gets_a_french_message(app, committed_draft):
    (dossier_id, (owner_id, colleague_id)), _other = committed_draft
    outcomes = _race(app, [(dossier_id, owner_id), (dossier_id, colleague_id)])
    assert sorted(outcomes) == ["conflict", "won"]
    engine = app.extensions["engine"]
    with Session(engine) as session:
        dossier = session.get(Dossier, dossier_id)
        assert dossier.state == DossierState.SUBMITTED
        # The loser's counter increment rolled back with it: no gap in the numbering.
        counter = session.scalar(select(ReferenceCounter.last_number))
        assert counter == 1 and dossier.reference.endswith("-00001")


@pytest.mark.committing
def test_concurrent_submissions_of_two_dossiers_get_distinct_sequential_references(app, committed_draft):
    (first_id, (first_owner, _)), (second_id, (second_owner, _)) = committed_draft
    outcomes = _race(app, [(first_id, first_owner), (second_id, second_owner)])
    assert outcomes == ["won", "won"]
    with Session(app.extensions["engine"]) as session:
        references = sorted(session.scalars(select(Dossier.reference).where(
            Dossier.id.in_([first_id, second_id]))).all())
    assert references[0].endswith("-00001") and references[1].endswith("-00002")
