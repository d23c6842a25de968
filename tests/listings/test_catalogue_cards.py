"""Catalogue cards and folded filters (issue 13, item 5)."""

from __future__ import annotations

import re
from typing import Any

from tests.accounts.helpers import text


def test_cards_are_one_link_with_initials_date_and_chips(client: Any, bulk_listings: Any) -> None:
    bulk_listings([{"name": "Glyco Suivi", "summary": "Carnet de glycémie.", "category": "chronic_disease"}])
    html = text(client.get("/catalogue"))
    card = re.search(r'<article class="card listing-card.*?</article>', html, re.S).group(0)
    assert 'class="stretched-link"' in card
    assert 'class="listing-initials' in card and ">GS<" in card
    assert "Référencée le " in card and 'class="chip"' in card


def test_filters_show_apply_first_fold_long_groups_and_skip_to_results(client: Any,
                                                                      bulk_listings: Any) -> None:
    categories = ["chronic_disease", "mental_health", "pregnancy_parenthood", "teleconsultation",
                  "medication", "prevention", "nutrition_activity"]
    bulk_listings([{"name": f"App {i}", "summary": "Suivi.", "category": c}
                   for i, c in enumerate(categories)])
    html = text(client.get("/catalogue"))
    assert 'href="#resultats">Aller aux résultats' in html and 'id="resultats"' in html
    filters = html[html.index('<details class="filters"'):]
    assert filters.index("Appliquer les filtres") < filters.index('name="category"')
    assert '<details class="facet-more">' in filters and "Voir 2 de plus" in filters
    # A value with no result (and not chosen) is hidden; a group left empty is hidden too.
    assert 'value="caregivers"' not in filters


def test_listing_page_shows_screenshots_with_alt_and_marks_french_text(client: Any, session: Any,
                                                                       bulk_listings: Any) -> None:
    from catalogue import db
    from catalogue.apps.models import Screenshot

    listing = bulk_listings([{"name": "Glyco Suivi", "summary": "Carnet.", "category": "chronic_disease"}])[0]
    db.session.add(Screenshot(app_id=listing.app_id, storage_key="x/1.png", alt_text="Écran d'accueil",
                              position=0))
    slug = listing.app.slug
    db.commit()
    html = text(client.get(f"/catalogue/{slug}"))
    assert 'alt="Écran d&#39;accueil"' in html or "alt=\"Écran d'accueil\"" in html
    english = text(client.get(f"/catalogue/{slug}?lang=en"))
    assert '<div class="description" lang="fr">' in english and "Screenshots" in english


def test_statistics_say_what_each_figure_counts_and_how_they_add_up(client: Any,
                                                                    bulk_listings: Any) -> None:
    bulk_listings([{"name": f"App {i}", "summary": "Suivi.", "category": "prevention"} for i in range(3)])
    html = text(client.get("/statistiques"))
    assert "applications au catalogue aujourd" in html
    assert "dont 0 suspendue" in html and "décisions de référencement" in html
    assert 'id="recoupement"' in html and "suspendues comprises" in html
