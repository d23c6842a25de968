"""``flask workflows tick`` and ``run``: the clock from the command line."""

from __future__ import annotations

from datetime import timedelta

from catalogue import db
from catalogue.commission import services as commission
from catalogue.dossiers.models import Dossier, DossierState


def test_tick_command_lapses_and_is_idempotent(app, session, team, review_dossier, advance, clock):
    dossier = advance(review_dossier(), "under_evaluation")
    commission.request_information(session, dossier, actor=team.secretariat, questions="Hébergeur ?")
    db.commit()
    clock.shift(timedelta(days=31))
    runner = app.test_cli_runner()
    first = runner.invoke(args=["workflows", "tick"])
    assert first.exit_code == 0, first.output
    assert "caducs : 1" in first.output
    assert db.session.get(Dossier, dossier.id).state == DossierState.LAPSED
    second = runner.invoke(args=["workflows", "run", "--every", "5", "--times", "1"])
    assert second.exit_code == 0 and "caducs : 0" in second.output
