"""A submitted dossier taken, in a real browser, through admissibility, two reports, a
session with votes, the opinion and the decision, to the agreement signed by the publisher
and the published listing. Every commission page visited is checked with axe-core."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser


def _query(live_db, sql, *params):
    with sqlite3.connect(f"file:{live_db}?mode=ro", uri=True) as conn:
        return conn.execute(sql, params).fetchall()


def _as(browser, sign_in, email):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    context.set_default_timeout(20_000)
    tab = context.new_page()
    sign_in(tab, email)
    return tab


def test_submitted_dossier_to_published_listing(browser, live_url, live_db, sign_in, assert_accessible):
    ((dossier_id, reference, slug, app_name),) = _query(
        live_db, "SELECT d.id, d.reference, a.slug, a.name FROM dossiers d JOIN apps a ON a.id = d.app_id "
                 "WHERE a.slug = 'demo-commission-depose' AND d.state = 'submitted'")
    dossier_url = f"{live_url}/commission/dossiers/{dossier_id}"

    # Secretariat: the queue, the rapporteurs' proposal, admissibility.
    secretariat = _as(browser, sign_in, "secretariat@demo.ens.fr")
    secretariat.goto(live_url + "/commission/dossiers?etat=submitted")
    assert_accessible(secretariat)
    secretariat.get_by_role("link", name=reference).click()
    expect(secretariat.get_by_text("Deux rapporteurs distincts doivent être désignés")).to_be_visible()
    assert_accessible(secretariat)
    secretariat.get_by_role("link", name="Désigner les rapporteurs").click()
    assert_accessible(secretariat)
    assert secretariat.locator("input[name=rapporteur_ids]:checked").count() == 2
    secretariat.get_by_role("button", name="Désigner").click()
    secretariat.get_by_role("button", name="Déclarer recevable").click()
    expect(secretariat.get_by_text("l'instruction commence")).to_be_visible()
    rapporteurs = [row[0] for row in _query(
        live_db, "SELECT u.email FROM assignments a JOIN users u ON u.id = a.rapporteur_id "
                 "WHERE a.dossier_id = ? AND a.released_at IS NULL ORDER BY u.email", dossier_id)]
    assert len(rapporteurs) == 2

    # Each rapporteur files a report; the first cannot see the other's before filing.
    for email in rapporteurs:
        tab = _as(browser, sign_in, email)
        tab.goto(dossier_url)
        assert_accessible(tab)
        tab.get_by_role("link", name="Rédiger mon rapport").click()
        # Category by category: the first rapporteur ticks each verdict, the second marks
        # the rest of each category compliant in one click. The categories share one page
        # template: the first is checked at both widths.
        assert_accessible(tab)
        while tab.locator("input[name^=verdict-]").count():
            if email == rapporteurs[0]:
                for radio in tab.locator("input[name^=verdict-][value=compliant]").all():
                    radio.check()
            else:
                tab.get_by_role("button", name="Marquer le reste de la catégorie conforme").click()
            tab.get_by_role("button", name="Enregistrer et continuer").click()
            tab.wait_for_load_state()
        tab.get_by_label("Avis proposé à la commission").select_option("favourable")
        tab.get_by_label("Synthèse").fill("Dossier complet ; pièces probantes.")
        assert_accessible(tab)
        tab.get_by_role("button", name="Déposer le rapport").click()
        expect(tab.get_by_text("Rapport déposé.")).to_be_visible()
        tab.context.close()

    # Secretariat closes the evaluation and plans a session with the dossier on its agenda.
    secretariat.goto(dossier_url)
    secretariat.get_by_role("button", name="Clore l'instruction").click()
    expect(secretariat.get_by_text("prêt pour la commission").first).to_be_visible()
    secretariat.goto(live_url + "/commission/seances/nouvelle")
    assert_accessible(secretariat)
    secretariat.get_by_label("Intitulé de la séance").fill("Séance du parcours navigateur")
    when = datetime.now(UTC) + timedelta(days=2)
    secretariat.get_by_label("Date et heure (heure de Paris)").fill(when.strftime("%Y-%m-%dT%H:%M"))
    secretariat.locator(f"#position-{dossier_id}").fill("1")
    secretariat.get_by_role("button", name="Programmer").click()
    expect(secretariat.get_by_role("heading", name="Séance du parcours navigateur")).to_be_visible()
    session_url = secretariat.url
    assert_accessible(secretariat)
    secretariat.context.close()

    # The chair opens the session and records attendance.
    chair = _as(browser, sign_in, "president@demo.ens.fr")
    chair.goto(session_url)
    chair.get_by_role("button", name="Ouvrir la séance").click()
    # The attendance boxes are those of the page the opening leads to, not of the one it leaves.
    expect(chair.get_by_text("Séance ouverte : enregistrez les présences.")).to_be_visible()
    for checkbox in chair.locator("input[name=present]").all():
        checkbox.check()
    chair.get_by_role("button", name="Enregistrer les présences").click()
    expect(chair.get_by_text("Présences enregistrées.")).to_be_visible()
    assert_accessible(chair)
    chair.get_by_label("Favorable", exact=True).check()
    chair.get_by_role("button", name="Voter").click()
    expect(chair.get_by_text("Vote enregistré.")).to_be_visible()

    # membre2 declared an interest in this publisher: no vote form, the reason instead.
    conflicted = _as(browser, sign_in, "membre2@demo.ens.fr")
    conflicted.goto(session_url)
    expect(conflicted.get_by_text("Vous avez déclaré un intérêt lié à cet éditeur")).to_be_visible()
    assert conflicted.get_by_role("button", name="Voter").count() == 0
    conflicted.goto(dossier_url)
    expect(conflicted.get_by_role("heading", name="Page introuvable")).to_be_visible()
    conflicted.context.close()
    for email in ("membre1@demo.ens.fr", "membre3@demo.ens.fr", "membre4@demo.ens.fr"):
        member = _as(browser, sign_in, email)
        member.goto(session_url)
        member.get_by_label("Favorable", exact=True).check()
        member.get_by_role("button", name="Voter").click()
        expect(member.get_by_text("Vote enregistré.")).to_be_visible()
        member.context.close()

    # The chair records the opinion and closes the session: the minutes exist.
    chair.goto(session_url)
    expect(chair.get_by_text("Avis résultant du vote : Favorable")).to_be_visible()
    chair.get_by_role("button", name="Rendre l'avis").click()
    expect(chair.get_by_text("Avis de la commission enregistré.")).to_be_visible()
    chair.get_by_role("button", name="Clore la séance et établir le procès-verbal").click()
    chair.get_by_role("link", name="Procès-verbal").click()
    expect(chair.get_by_text("Sophie Laurent : intérêt déclaré lié à l'éditeur")).to_be_visible()
    assert_accessible(chair)
    chair.context.close()

    # The decision maker references the app.
    decider = _as(browser, sign_in, "decideur@demo.ens.fr")
    decider.goto(dossier_url)
    decider.get_by_role("link", name="Décider").click()
    assert_accessible(decider)
    decider.get_by_label("Référencer l'application").check()
    decider.get_by_label("Motivation").fill("Avis favorable unanime de la commission.")
    decider.get_by_role("button", name="Enregistrer la décision").click()
    expect(decider.get_by_text("Décision enregistrée.")).to_be_visible()
    decider.context.close()

    # The publisher's owner accepts the agreement: the listing is published.
    owner = _as(browser, sign_in, "editeur2@demo.ens.fr")
    owner.goto(f"{live_url}/editeur/dossiers/{dossier_id}")
    owner.get_by_label("J'accepte, au nom de l'organisation, les termes de cette convention.").check()
    owner.get_by_role("button", name="Accepter la convention").click()
    owner.wait_for_load_state()
    owner.context.close()
    assert _query(live_db, "SELECT state FROM dossiers WHERE id = ?", dossier_id) == [("referenced",)]
    assert _query(live_db, "SELECT l.state FROM listings l JOIN apps a ON a.id = l.app_id WHERE a.slug = ?",
                  slug) == [("published",)]
    visitor = browser.new_page()
    response = visitor.goto(f"{live_url}/catalogue/{slug}")
    assert response.status == 200
    expect(visitor.get_by_role("heading", name=app_name).first).to_be_visible()
    visitor.close()
