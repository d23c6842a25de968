"""The framework data sets the review track per dossier kind (``tracks:``) and the listing
state at a wave's compliance deadline (``on_compliance_deadline:``), not the code (issue 11)."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
import yaml

from catalogue import db
from catalogue.core.formatting import day
from catalogue.dossiers import services as dossiers
from catalogue.dossiers.models import Dossier, DossierKind
from catalogue.frameworks.lifecycle import bring_into_force
from catalogue.frameworks.loader import FrameworkFileError, content_hash, parse_framework
from catalogue.frameworks.services import import_framework
from catalogue.settings import setting
from tests.accounts.helpers import csrf_token
from tests.factories_publishers import fill_answers, owner_of
from tests.waves import WAVE_2026, WAVE_2027


def wave(path: Any, **extra: Any) -> dict[str, Any]:
    """A shipped wave's data with some fields replaced."""
    return {**yaml.safe_load(path.read_text(encoding="utf-8")), **extra}


@pytest.fixture
def short_track(app: Any) -> Any:
    """ENS 2026.1 with a 30-day track for modifications, in force."""
    framework = import_framework(db.session, wave(WAVE_2026, tracks={"modification": 30})).framework
    bring_into_force(db.session, date(2026, 6, 1))
    db.commit()
    return framework


def test_the_loader_reads_tracks_and_the_deadline_outcome_with_defaults() -> None:
    plain = parse_framework(wave(WAVE_2026))
    assert plain.tracks == () and plain.on_compliance_deadline == "suspended"
    spec = parse_framework(wave(WAVE_2026, tracks={"modification": 30, "renewal": 45},
                                on_compliance_deadline="delisted"))
    assert spec.tracks == (("renewal", 45), ("modification", 30))
    assert spec.on_compliance_deadline == "delisted"
    # Files written before these fields keep their hash; setting one changes it.
    assert content_hash(plain) == content_hash(parse_framework(WAVE_2026.read_text(encoding="utf-8")))
    assert content_hash(spec) != content_hash(plain)
    shipped = parse_framework(WAVE_2027.read_text(encoding="utf-8"))
    assert dict(shipped.tracks) == {"modification": 30}


@pytest.mark.parametrize(("extra", "message"), [
    ({"tracks": {"urgent": 10}}, "« tracks » : type de dossier inconnu « urgent »"),
    ({"tracks": {"modification": 0}}, "la durée d'instruction « modification » doit être un nombre entier"),
    ({"tracks": {"modification": "trente"}}, "la durée d'instruction « modification »"),
    ({"tracks": [30]}, "« tracks » doit associer un type de dossier à un nombre de jours"),
    ({"on_compliance_deadline": "expired"}, "« on_compliance_deadline » doit valoir suspended ou delisted"),
    ({"on_compliance_deadline": ["delisted"]}, "« on_compliance_deadline » doit valoir"),
])
def test_bad_tracks_and_outcomes_are_refused_in_french(extra: dict[str, Any], message: str) -> None:
    with pytest.raises(FrameworkFileError) as refused:
        parse_framework(wave(WAVE_2026, **extra))
    assert any(message in error for error in refused.value.errors), refused.value.errors


def test_the_api_exposes_the_track_and_the_outcome(client: Any, short_track: Any) -> None:
    answer = client.get("/api/v1/frameworks/ENS/2026.1").get_json()
    assert answer["tracks"] == {"modification": 30}
    assert answer["on_compliance_deadline"] == "suspended"
    listed = client.get("/api/v1/frameworks").get_json()["items"][0]
    assert listed["tracks"] == {"modification": 30}


def test_a_modification_runs_on_the_frameworks_shorter_track(
        client: Any, login: Any, short_track: Any, make_listing: Any, advance: Any) -> None:
    listing = make_listing()
    initial = db.session.get(Dossier, listing.dossier_id)
    # No track for initial dossiers: the platform's default.
    assert initial.review_due_on == initial.review_started_on + timedelta(days=int(setting("REVIEW_DAYS")))
    app_id = listing.app_id
    owner = owner_of(db.session, listing.app.organisation)
    db.commit()
    login(owner)
    page = f"/editeur/applications/{app_id}"
    opened = client.post(f"{page}/dossiers", data={"kind": "modification",
                                                    "csrf_token": csrf_token(client, page)})
    assert opened.status_code == 302
    dossier = db.session.query(Dossier).filter_by(app_id=app_id, kind=DossierKind.MODIFICATION).one()
    fill_answers(db.session, dossier, owner)
    dossiers.submit_dossier(db.session, dossier, actor=owner)
    advance(dossier, "under_evaluation")
    db.commit()
    dossier_id = dossier.id
    due = dossier.review_due_on
    assert due == dossier.review_started_on + timedelta(days=30)
    shown = client.get(f"/editeur/dossiers/{dossier_id}").get_data(as_text=True)
    assert f"<strong>Instruction à terminer au plus tard le</strong> {day(due, locale='fr')}" in shown
