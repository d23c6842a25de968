"""The decision governs what is published (issue 11), in a real browser.

A listed app changes its host through a modification dossier: the publisher opens it, edits
the proposed profile and files it; the commission's steps (already walked in a browser by
``test_commission_journey.py``) run through the services; the publisher accepts the
agreement; the public page shows the new host and a history line naming the change. Then
the clock passes the newer wave's compliance deadline and the listing, referenced under the
older wave, is suspended with the reason shown publicly.

The clock moves every listing of the catalogue, so this module has its own live server.
"""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ROOT, serve_live

pytestmark = pytest.mark.browser

SLUG = "demo-commission-reference"
OWNER = "editeur@demo.ens.fr"
NEW_HOST = "Nuage Santé Certifié"

# Runs in the live server's environment (its database), through the public services.
_SERVER_SIDE = """
import sys
from datetime import date, timedelta
from sqlalchemy import select
from catalogue import db
from catalogue.app import create_app
from catalogue.accounts.models import User
from catalogue.clock import now
from catalogue.commission import services as commission
from catalogue.commission import sessions
from catalogue.dossiers import queries as dossier_queries
from catalogue.dossiers.models import Dossier
from catalogue.schedule import tick

app = create_app()
with app.app_context():
    session = db.session
    user = lambda email: session.scalar(select(User).where(User.email == email + "@demo.ens.fr"))
    if sys.argv[1] == "decide":
        dossier = session.get(Dossier, int(sys.argv[2]))
        secretariat, chair = user("secretariat"), user("president")
        rapporteurs = [user("rapporteur1"), user("rapporteur2")]
        commission.assign_rapporteurs(session, dossier, [r.id for r in rapporteurs], actor=secretariat,
                                      override_reason="Rapporteurs disponibles.")
        commission.accept_dossier(session, dossier, actor=secretariat)
        for rapporteur in rapporteurs:
            commission.file_report(
                session, dossier, actor=rapporteur, proposed_opinion="favourable",
                summary="Nouvel hébergeur certifié HDS.", submit=True,
                assessments={r.id: {"verdict": "compliant", "public_comment": "Vu.",
                                    "internal_comment": ""}
                             for r in dossier_queries.applicable_requirements(session, dossier)})
        commission.complete_evaluation(session, dossier, actor=secretariat)
        planned = sessions.plan_session(session, actor=secretariat, title="Séance modification",
                                        scheduled_at=now() + timedelta(days=1), dossier_ids=[dossier.id])
        voters = [user(name) for name in ("membre1", "membre3", "membre4", "membre5", "president")]
        sessions.open_session(session, planned, actor=chair)
        sessions.record_attendance(session, planned, actor=chair, present_ids=[v.id for v in voters])
        for voter in voters:
            sessions.cast_vote(session, planned.items[0], actor=voter, choice="favourable")
        sessions.issue_opinion(session, planned.items[0], actor=chair)
        commission.decide(session, dossier, actor=user("decideur"), outcome="referenced",
                          motivation="Au vu de l'avis de la commission.", reasons=[])
    else:
        print(tick(session, date.fromisoformat(sys.argv[2])).summary())
    db.commit()
"""


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory, pages_dir: Path,
                seeded_demo: Path) -> Iterator[dict[str, Any]]:
    with serve_live(tmp_path_factory.mktemp("live-decision"), pages_dir, seeded_demo) as server:
        yield server


@pytest.fixture(scope="module")
def live_url(live_server: dict[str, Any]) -> str:
    return live_server["url"]


@pytest.fixture(scope="module")
def live_db(live_server: dict[str, Any]) -> Path:
    return live_server["database"]


def _server_side(live_server: dict[str, Any], *args: str) -> str:
    result = subprocess.run([sys.executable, "-c", _SERVER_SIDE, *args], cwd=ROOT, env=live_server["env"],
                            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _query(live_db: Path, sql: str, *params: Any) -> list[tuple[Any, ...]]:
    with sqlite3.connect(f"file:{live_db}?mode=ro", uri=True) as conn:
        return conn.execute(sql, params).fetchall()


def _public_page(browser: Any, live_url: str) -> Any:
    """The listing's public page in a fresh anonymous context: public answers may be kept
    by the browser for a minute (``max-age``), and this test changes the page meanwhile."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    page = context.new_page()
    page.goto(f"{live_url}/catalogue/{SLUG}")
    return page


def test_modification_changes_the_host_then_the_wave_deadline_suspends(
        browser: Any, live_url: str, live_db: Path, live_server: dict[str, Any],
        sign_in: Callable[..., None], assert_accessible: Callable[..., None]) -> None:
    ((app_id, old_host),) = _query(live_db, "SELECT id, hosting_provider FROM apps WHERE slug = ?", SLUG)
    assert old_host and old_host != NEW_HOST
    public = _public_page(browser, live_url)
    assert old_host in public.locator("main").inner_text()

    # The publisher opens a modification dossier and proposes another HDS host.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    context.set_default_timeout(20_000)
    page = context.new_page()
    sign_in(page, OWNER)
    page.goto(f"{live_url}/editeur/applications/{app_id}")
    page.get_by_role("button", name="Ouvrir un dossier de modification").click()
    page.wait_for_load_state()
    ((dossier_id,),) = _query(live_db, "SELECT id FROM dossiers WHERE app_id = ? AND kind = 'modification'",
                              app_id)
    page.goto(f"{live_url}/editeur/dossiers/{dossier_id}")
    page.get_by_role("link", name="Modifier le profil proposé").click()
    expect(page.get_by_role("heading", name="Profil proposé").first).to_be_visible()
    assert page.get_by_label("Hébergeur des données").input_value() == old_host
    assert_accessible(page)
    page.get_by_label("Hébergeur des données").fill(NEW_HOST)
    page.get_by_label("Référence du certificat HDS").fill("HDS-2026-0777")
    page.get_by_role("button", name="Enregistrer le profil proposé").click()
    expect(page.get_by_text("Profil proposé enregistré")).to_be_visible()
    diff = page.locator("section[aria-labelledby=modification]").inner_text()
    assert old_host in diff and NEW_HOST in diff
    assert_accessible(page)
    # The public page still shows the decided host while the modification is under way.
    public = _public_page(browser, live_url)
    assert old_host in public.locator("main").inner_text()

    # Answers were carried over from the referenced dossier: it can be filed at once.
    page.get_by_role("link", name="Compléter l'auto-évaluation").click()
    completeness = page.locator("#completude").locator("..").inner_text()
    assert "Toutes les exigences applicables sont renseignées." in completeness, completeness
    page.get_by_role("button", name="Déposer le dossier").click()
    expect(page.get_by_role("heading", name="Accusé de réception").first).to_be_visible()

    # The commission reviews and the State decides (services); the owner accepts the agreement.
    _server_side(live_server, "decide", str(dossier_id))
    page.goto(f"{live_url}/editeur/dossiers/{dossier_id}")
    page.get_by_label("J'accepte, au nom de l'organisation, les termes de cette convention.").check()
    page.get_by_role("button", name="Accepter la convention").click()
    page.wait_for_load_state()
    assert _query(live_db, "SELECT state FROM dossiers WHERE id = ?", dossier_id) == [("referenced",)]
    context.close()

    # The public page shows the new host and says what changed.
    public = _public_page(browser, live_url)
    main = public.locator("main").inner_text()
    assert NEW_HOST in main
    history = public.locator("section[aria-labelledby=t-historique]").inner_text()
    assert f"Hébergeur des données : {old_host} → {NEW_HOST}" in history, history
    assert_accessible(public)

    # The newer wave's compliance deadline passes: the clock suspends the listing, which has
    # no compliance decision, and the page says why.
    ((deadline,),) = _query(live_db, "SELECT max(compliance_deadline) FROM frameworks")
    after = date.fromisoformat(deadline) + timedelta(days=1)
    summary = _server_side(live_server, "tick", after.isoformat())
    assert "suspendues" in summary, summary
    public = _public_page(browser, live_url)
    suspension = public.locator("section.suspension").inner_text()
    assert "Application suspendue" in suspension
    assert "Mise en conformité avec la vague ENS 2027.1" in suspension, suspension
    assert public.get_by_role("link", name="Connecter à mon espace santé").count() == 0
    assert_accessible(public)
