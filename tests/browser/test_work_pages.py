"""Each role lands on its own work after sign-in (issue 13): checked with axe-core at 1280
and 390 px; screenshots of each landing go to $SCREENSHOTS (default /tmp/ui-shots)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

SHOTS = Path(os.environ.get("SCREENSHOTS", "/tmp/ui-shots"))

ROLES = [
    ("secretariat@demo.ens.fr", "Secrétariat"),
    ("rapporteur1@demo.ens.fr", "Mes rapports"),
    ("membre1@demo.ens.fr", "Prochaine séance"),
    ("president@demo.ens.fr", "Prochaine séance"),
    ("decideur@demo.ens.fr", "Décisions à prendre"),
    ("editeur@demo.ens.fr", "Mes organisations"),
    ("patient@demo.ens.fr", "Mes applications connectées"),
]


def _shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        page.set_viewport_size({"width": width, "height": 900})
        page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


@pytest.mark.parametrize(("email", "section"), ROLES)
def test_each_role_lands_on_its_work(page, live_url, sign_in, assert_accessible, email, section):
    sign_in(page, email)
    assert page.url.endswith("/travail"), page.url
    expect(page.get_by_role("heading", name="Mon travail")).to_be_visible()
    expect(page.get_by_role("heading", name=section).first).to_be_visible()
    assert_accessible(page)
    _shoot(page, "travail-" + email.split("@")[0])


def test_secretariat_count_opens_the_sorted_queue(page, live_url, sign_in, assert_accessible):
    sign_in(page, "secretariat@demo.ens.fr")
    page.get_by_role("link", name="Recevabilité à vérifier").click()
    # A click returns once the navigation commits, before the new page is parsed: wait on
    # what the page shows, not on the URL alone.
    expect(page).to_have_url(re.compile(r"/commission/dossiers\?etat=submitted"))
    page.get_by_role("link", name="Application").click()
    expect(page).to_have_url(re.compile(r"tri=application"))
    expect(page.locator("th[aria-sort=ascending]")).to_have_count(1)
    assert_accessible(page)
    _shoot(page, "queue")


def test_work_page_in_english(page, live_url, sign_in, assert_accessible):
    sign_in(page, "decideur@demo.ens.fr")
    page.goto(live_url + "/travail?lang=en")
    expect(page.get_by_role("heading", name="My work")).to_be_visible()
    expect(page.get_by_role("heading", name="Decisions to make")).to_be_visible()
    assert page.locator("html").get_attribute("lang") == "en"
    assert_accessible(page, widths=(1280,))


def test_report_is_filled_one_category_at_a_time(page, live_url, sign_in, assert_accessible):
    sign_in(page, "rapporteur1@demo.ens.fr")
    page.locator("main table a[href$='/rapport']").first.click()
    page.wait_for_load_state()
    expect(page.get_by_role("navigation", name="Catégories")).to_be_visible()
    expect(page.locator(".sticky-save-bar")).to_be_visible()
    assert_accessible(page)
    _shoot(page, "rapport")


def test_publisher_dossier_is_a_step_tracker(page, live_url, sign_in, assert_accessible):
    sign_in(page, "editeur@demo.ens.fr")
    page.locator("main a[href^='/editeur/dossiers/']").first.click()
    page.wait_for_load_state()
    assert page.locator("ol.tracker li").count() == 7
    expect(page.locator("main").get_by_text(re.compile("Prochaine étape|Dossier clos")).first).to_be_visible()
    assert_accessible(page)
    _shoot(page, "dossier-editeur")


def test_catalogue_synonym_search_and_folded_filters(page, live_url, assert_accessible):
    # "glycémie" and "diabète" are one group of the thesaurus: the same apps either way.
    page.goto(live_url + "/catalogue?q=glyc%C3%A9mie")
    by_glycemia = page.locator("article.listing-card").count()
    page.goto(live_url + "/catalogue?q=diab%C3%A8te")
    assert page.locator("article.listing-card").count() == by_glycemia
    # The filters fold; they show (with "Appliquer" first) wherever results can be filtered.
    page.goto(live_url + "/catalogue")
    page.locator("details.filters > summary").click()
    expect(page.get_by_role("button", name="Appliquer les filtres").first).to_be_visible()
    assert_accessible(page)
    _shoot(page, "catalogue-diabete")
