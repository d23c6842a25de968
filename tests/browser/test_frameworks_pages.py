"""The public framework pages in a real browser: axe-clean at 1280 and 390 px, no sideways
scrolling on a phone, the profile filter without JavaScript, the diff and the print view."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

pytestmark = pytest.mark.browser

PAGES = (
    "/referentiels",
    "/referentiels/ENS/2026.1",
    "/referentiels/ENS/2027.1?lang=en",
    "/referentiels/ENS/2026.1?filtre=1&profil=processes_health_data&profil=uses_ai",
    "/referentiels/ENS/2026.1?filtre=1&profil=flies",
    "/referentiels/ENS/2026.1/diff/2027.1",
    "/referentiels/ENS/comparer?de=2026.1&a=2026.1",
)


@pytest.mark.parametrize("path", PAGES)
def test_framework_pages_are_accessible_and_fit_a_phone(page, live_url, assert_accessible, path):
    response = page.goto(live_url + path)
    assert response.status in (200, 400)
    assert_accessible(page)
    page.set_viewport_size({"width": 390, "height": 900})
    assert page.evaluate("document.documentElement.scrollWidth") <= 390


def test_profile_filter_works_without_javascript(browser, live_url):
    context = browser.new_context(java_script_enabled=False, locale="fr-FR",
                                  viewport={"width": 390, "height": 900})
    try:
        page = context.new_page()
        page.goto(live_url + "/referentiels/ENS/2026.1")
        every = page.locator("article.requirement").count()
        assert every > 45

        page.get_by_label("Le service utilise de l'intelligence artificielle").check()
        page.get_by_label("Le service s'adresse aussi à des mineurs").check()
        page.get_by_role("button", name="Afficher les exigences applicables").click()
        page.wait_for_load_state()

        assert "profil=uses_ai" in page.url and "profil=targets_minors" in page.url
        shown = page.locator("article.requirement").count()
        assert 0 < shown < every
        status = page.get_by_role("status").first.inner_text()
        assert re.search(rf"{shown} exigences s'appliquent à un service comme le vôtre", status)
        assert page.get_by_label("Le service utilise de l'intelligence artificielle").is_checked()
        assert page.locator("#IA-01").count() == 1

        # Nothing ticked: only the requirements that apply to every service remain.
        page.get_by_label("Le service utilise de l'intelligence artificielle").uncheck()
        page.get_by_label("Le service s'adresse aussi à des mineurs").uncheck()
        page.get_by_role("button", name="Afficher les exigences applicables").click()
        page.wait_for_load_state()
        assert page.locator("article.requirement").count() < shown
        assert page.locator("#IA-01").count() == 0
    finally:
        context.close()


def test_diff_highlights_changed_words(page, live_url):
    page.goto(live_url + "/referentiels")
    page.get_by_role("link", name="Nouveautés depuis 2026.1").first.click()
    page.wait_for_load_state()
    assert page.url.endswith("/referentiels/ENS/2026.1/diff/2027.1")
    expect(page.get_by_role("heading", name="Ce qui change de ENS 2026.1 à ENS 2027.1")).to_be_visible()
    reworded = page.locator("#reformulees")
    assert reworded.locator("ins").count() > 0 and reworded.locator("del").count() > 0
    assert page.locator("#ajoutees article.requirement").count() > 0
    assert page.locator("#retirees li").count() > 0


def test_print_view_hides_the_forms(page, live_url):
    page.goto(live_url + "/referentiels/ENS/2026.1")
    expect(page.locator(".profile-filter")).to_be_visible()
    page.emulate_media(media="print")
    expect(page.locator(".profile-filter")).to_be_hidden()
    expect(page.locator("header.site-header")).to_be_hidden()
    expect(page.locator("article.requirement").first).to_be_visible()
