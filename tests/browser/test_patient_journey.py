"""A patient's journey in Chromium, on a desktop and on a phone: search without accents,
filter, open a listing, connect the app with two data categories, revoke it. Every page
is checked with axe-core."""

from __future__ import annotations

import json
import urllib.request

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

DEMO_PASSWORD = "Demo-ENS-2026!"
PATIENT = "patient@demo.ens.fr"


def _target(live_url: str) -> dict:
    """A teleconsultation app of the demo with at least two data categories (via the API)."""
    with urllib.request.urlopen(live_url + "/api/v1/apps?category=teleconsultation") as answer:
        items = json.load(answer)["items"]
    assert items, "the demo seed has no teleconsultation app"
    slug = items[0]["slug"]
    with urllib.request.urlopen(f"{live_url}/api/v1/apps/{slug}") as answer:
        detail = json.load(answer)
    assert len(detail["data_categories"]) >= 2
    return detail


@pytest.mark.parametrize("width", [1280, 390], ids=["desktop", "phone"])
def test_patient_searches_filters_connects_and_revokes(browser, live_url, sign_in,
                                                       assert_accessible, width):
    app = _target(live_url)
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="fr-FR")
    page = context.new_page()
    try:
        sign_in(page, PATIENT, DEMO_PASSWORD)
        page.goto(live_url + "/")
        assert_accessible(page)

        # Search without accents: "teleconsultation" finds "Téléconsultation et télésoin".
        page.get_by_label("Rechercher une application").fill("teleconsultation")
        page.get_by_role("button", name="Rechercher").click()
        page.wait_for_load_state()
        assert "/catalogue?q=teleconsultation" in page.url
        expect(page.get_by_role("link", name=app["name"]).first).to_be_visible()
        assert_accessible(page)

        # Filter by category (on a phone the filters are folded under "Filtres").
        summary = page.locator("details.filters > summary")
        if not page.locator("#f-category-teleconsultation").is_visible():
            summary.click()
        page.locator("#f-category-teleconsultation").check()
        page.get_by_role("button", name="Appliquer les filtres").first.click()  # the one at the top
        page.wait_for_load_state()
        assert "category=teleconsultation" in page.url and "q=teleconsultation" in page.url
        expect(page.get_by_text("Catégorie : Téléconsultation et télésoin")).to_be_visible()
        assert_accessible(page)

        # Open the listing.
        page.get_by_role("link", name=app["name"]).first.click()
        page.wait_for_load_state()
        expect(page.get_by_role("heading", name=app["name"], level=1)).to_be_visible()
        expect(page.get_by_text("Historique public")).to_be_visible()
        assert_accessible(page)

        # Connect it with two data categories, one by one.
        page.get_by_role("link", name="Connecter à mon espace santé").click()
        page.wait_for_load_state()
        checkboxes = page.get_by_role("checkbox")
        assert checkboxes.count() == len(app["data_categories"])
        assert_accessible(page)
        checkboxes.nth(0).check()
        checkboxes.nth(1).check()
        page.get_by_role("button", name="Autoriser et connecter").click()
        page.wait_for_load_state()
        assert page.url.endswith("/compte/connexions")
        card = page.locator("article", has_text=app["name"])
        assert card.locator("li").count() == 2
        expect(page.get_by_text("Autorisation accordée").first).to_be_visible()
        assert_accessible(page)

        # Revoke it.
        # Revoking asks for confirmation and says what stops.
        card.locator("summary", has_text="Révoquer").click()
        expect(card.get_by_text("ne pourra plus lire ni recevoir de données")).to_be_visible()
        card.get_by_role("button", name="Confirmer la révocation").click()
        page.wait_for_load_state()
        expect(page.get_by_text("Autorisation révoquée").first).to_be_visible()
        assert page.locator("article", has_text=app["name"]).count() == 0
        assert_accessible(page)
    finally:
        context.close()


def test_every_other_public_and_patient_page_is_accessible(page, live_url, sign_in,
                                                           assert_accessible):
    app = _target(live_url)
    for path in ("/statistiques", "/catalogue?q=xylophone", "/catalogue?q=sante&page=99",
                 "/catalogue/demo-commission-suspendu"):
        page.goto(live_url + path)
        assert_accessible(page)
    sign_in(page, PATIENT, DEMO_PASSWORD)
    for path in (f"/catalogue/{app['slug']}/signaler", "/compte/export", "/compte/suppression",
                 "/compte/signalements", "/compte/connexions"):
        page.goto(live_url + path)
        assert_accessible(page)
    # Errors shown next to the fields are accessible too.
    page.goto(f"{live_url}/catalogue/{app['slug']}/signaler")
    page.get_by_role("button", name="Envoyer le signalement").click()
    page.wait_for_load_state()
    expect(page.get_by_text("Choisissez le type de problème.").first).to_be_visible()
    assert_accessible(page)
