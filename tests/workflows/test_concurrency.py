"""Two secretaries accept the same dossier at once, on two connections: one wins."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue import db
from catalogue.accounts.models import User
from catalogue.commission import services as commission
from catalogue.dossiers.models import Dossier, DossierState
from catalogue.errors import Conflict
from tests.conftest import committed_data, is_postgres


@pytest.mark.committing
def test_two_concurrent_accepts_exactly_one_wins(app, team_committed):
    if not is_postgres(app):
        pytest.skip("needs PostgreSQL (two real connections, row versions)")
    engine = app.extensions["engine"]
    dossier_id, secretary_ids = team_committed
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def accept(secretary_id: int) -> None:
        with app.app_context(), Session(engine, expire_on_commit=False) as session:
            dossier = session.get(Dossier, dossier_id)
            actor = session.get(User, secretary_id)
            assert dossier.state == DossierState.SUBMITTED
            barrier.wait()
            try:
                commission.accept_dossier(session, dossier, actor=actor)
                session.commit()
                outcomes.append("won")
            except Conflict:
                session.rollback()
                outcomes.append("conflict")

    threads = [threading.Thread(target=accept, args=(sid,)) for sid in secretary_ids]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["conflict", "won"]
    with Session(engine) as session:
        assert session.scalar(select(Dossier.state).where(Dossier.id == dossier_id)) == "under_evaluation"


@pytest.fixture
def team_committed(app, request):
    """A submitted dossier with its rapporteurs assigned, committed for real; every table
    that was empty before is emptied afterwards."""
    if not is_postgres(app):
        yield None, []
        return

    from catalogue.accounts.models import Role

    with committed_data(app):
        make_user = request.getfixturevalue("make_user")
        team = request.getfixturevalue("team")
        dossier = request.getfixturevalue("review_dossier")()
        second = make_user(roles=[Role.SECRETARIAT])
        commission.assign_rapporteurs(db.session, dossier, [r.id for r in team.rapporteurs[:2]],
                                      actor=team.secretariat, override_reason="Test de concurrence")
        db.commit()
        ids = (dossier.id, [team.secretariat.id, second.id])
        db.session.remove()
        yield ids
