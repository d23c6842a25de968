"""Public pages: home, catalogue with facets and pagination, listing page, feed, open
data, statistics, reports; caching headers, 304 and anonymity (no cookie)."""

from __future__ import annotations

import csv
import io
from typing import Any
from xml.etree import ElementTree

import pytest

from catalogue import db
from catalogue.accounts.models import Role
from catalogue.listings import services as listings
from tests.accounts.helpers import post_form
from tests.factories_listings import reload

PROFILES = [
    {"name": "Glycémie Facile", "category": "chronic_disease", "platforms": ["ios", "android"],
     "pricing": "free", "summary": "Suivi du diabète."},
    {"name": "Sérénité", "category": "mental_health", "platforms": ["web"], "pricing": "paid",
     "summary": "Gérer le stress.", "price_text": "4,99 € par mois"},
    {"name": "Écoute Bébé", "category": "pregnancy_parenthood", "platforms": ["ios"],
     "pricing": "freemium", "summary": "Grossesse sereine.", "is_medical_device": True,
     "medical_device_class": "IIa", "connected_services": ["mes_dmp"]},
]


@pytest.fixture
def catalogue(bulk_listings: Any) -> list[Any]:
    return bulk_listings(PROFILES)


def test_home_shows_search_categories_with_counts_and_newest(client: Any, catalogue: list[Any]) -> None:
    response = client.get("/")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'name="q"' in html and 'role="search"' in html
    assert "Suivi des maladies chroniques" in html and "1 application" in html
    assert "/catalogue?category=chronic_disease" in html
    assert "Écoute Bébé" in html and "Que signifie" in html


def test_public_pages_are_anonymous_and_cacheable(client: Any, catalogue: list[Any]) -> None:
    slug = catalogue[0].app.slug
    for url in ("/", "/catalogue", "/catalogue?q=diabete", f"/catalogue/{slug}", "/statistiques",
                "/catalogue/feed.atom", "/opendata/catalogue.csv", "/opendata/catalogue.json",
                "/api/v1/apps", f"/api/v1/apps/{slug}", "/api/v1/categories"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "Set-Cookie" not in response.headers, url
        assert response.headers["Cache-Control"] == "public, max-age=60", url
        etag = response.headers["ETag"]
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304, url
        assert again.headers["ETag"] == etag and not again.data


def test_etag_changes_when_a_shown_listing_changes(client: Any, session: Any, catalogue: list[Any],
                                                   make_user: Any) -> None:
    from catalogue.web import commit

    slug = catalogue[1].app.slug
    before = {u: client.get(u).headers["ETag"] for u in ("/catalogue", f"/catalogue/{slug}", "/api/v1/apps")}
    listings.suspend_listing(session, reload(catalogue[1]), actor=make_user(roles=[Role.SECRETARIAT]),
                             reason="Faille de sécurité en cours d'analyse.")
    commit()
    for url, etag in before.items():
        response = client.get(url, headers={"If-None-Match": etag})
        assert response.status_code == 200, url
        assert response.headers["ETag"] != etag


def test_signed_in_pages_are_not_stored(client: Any, login: Any, make_patient: Any,
                                        catalogue: list[Any]) -> None:
    login(make_patient())
    response = client.get("/catalogue")
    assert response.headers["Cache-Control"] == "no-store"
    assert "ETag" not in response.headers


def test_catalogue_facets_counts_filters_and_sort(client: Any, catalogue: list[Any]) -> None:
    html = client.get("/catalogue?platform=ios").get_data(as_text=True)
    assert "2 applications" in html
    assert "Glycémie Facile" in html and "Écoute Bébé" in html and "Sérénité</a>" not in html
    # Disjunctive counts: the platform facet still offers "web (1)".
    assert 'id="f-platform-web"' in html and "Site web <span class=\"count\">(1)</span>" in html
    assert 'value="ios" id="f-platform-ios" checked' in html
    # Removing a filter keeps the rest of the query.
    html = client.get("/catalogue?q=grossesse&platform=ios&pricing=freemium").get_data(as_text=True)
    assert "/catalogue?q=grossesse&amp;platform=ios" in html
    names = client.get("/catalogue?sort=name").get_data(as_text=True)
    assert names.index("Écoute Bébé") < names.index("Glycémie Facile") < names.index("Sérénité")


def test_catalogue_pagination_keeps_the_query_and_past_the_end(client: Any, bulk_listings: Any) -> None:
    bulk_listings([{"name": f"Appli Diabète {i:02d}"} for i in range(25)])
    first = client.get("/catalogue?q=diabete&sort=name").get_data(as_text=True)
    assert "Page 1 sur 2" in first
    assert 'href="/catalogue?q=diabete&amp;sort=name&amp;page=2"' in first
    second = client.get("/catalogue?q=diabete&sort=name&page=2").get_data(as_text=True)
    assert "Appli Diabète 24" in second and "Appli Diabète 00" not in second
    past = client.get("/catalogue?q=diabete&page=9")
    assert past.status_code == 200
    html = past.get_data(as_text=True)
    assert "Cette page est vide" in html and "page=2" in html


def test_catalogue_empty_state_and_bad_input(client: Any, catalogue: list[Any]) -> None:
    html = client.get("/catalogue?q=xylophone").get_data(as_text=True)
    assert "Aucune application ne correspond" in html
    response = client.get("/catalogue?category=inconnue&page=abc")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Valeur inconnue pour ce filtre" in html and "Numéro de page invalide" in html


def test_listing_page_shows_everything_a_patient_needs(client: Any, catalogue: list[Any]) -> None:
    listing = catalogue[2]
    slug, reference = listing.app.slug, listing.dossier.reference
    html = client.get(f"/catalogue/{slug}").get_data(as_text=True)
    for expected in ("Écoute Bébé", "Grossesse sereine.", "Patients", "iPhone et iPad (iOS)",
                     "Gratuit avec options payantes", "Documents de santé",
                     "Mesures de santé", "Hébergeur Santé", "Hébergeur certifié HDS",
                     "Classe IIa", "Mon Espace Santé – dossier médical partagé",
                     "ENS 2026.1", "Favorable", "Valable jusqu", reference,
                     "Historique public", "Référencée et publiée au catalogue",
                     "Connecter à mon espace santé", "Signaler un problème"):
        assert expected in html, expected
    assert "Application suspendue" not in html


def test_suspended_listing_shows_a_banner_and_no_connect(client: Any, session: Any,
                                                         catalogue: list[Any], make_user: Any) -> None:
    listing, slug = catalogue[0], catalogue[0].app.slug
    secretariat, decider = make_user(roles=[Role.SECRETARIAT]), make_user(roles=[Role.DECISION_MAKER])
    listings.suspend_listing(session, listing, actor=secretariat,
                             reason="Incident de sécurité en cours d'analyse.")
    db.commit()
    html = client.get(f"/catalogue/{slug}").get_data(as_text=True)
    assert "Application suspendue" in html and "Incident de sécurité" in html
    assert "Connecter à mon espace santé" not in html
    assert "Suspendue" in html
    listings.delist_listing(session, reload(listing), actor=reload(decider),
                            reason="Faille non corrigée.")
    db.commit()
    # The page stays, marked delisted with its reason (issue 11).
    delisted = client.get(f"/catalogue/{slug}").get_data(as_text=True)
    assert "Application déréférencée" in delisted and "Faille non corrigée." in delisted
    assert client.get("/catalogue/jamais-publiee").status_code == 404


def test_feed_lists_publications_suspensions_and_delistings(client: Any, session: Any,
                                                            catalogue: list[Any], make_user: Any) -> None:
    listings.suspend_listing(session, catalogue[0], actor=make_user(roles=[Role.SECRETARIAT]),
                             reason="Alerte <sécurité> & suivi")
    db.commit()
    response = client.get("/catalogue/feed.atom")
    assert response.mimetype == "application/atom+xml"
    root = ElementTree.fromstring(response.data)  # well-formed, entities escaped
    ns = {"a": "http://www.w3.org/2005/Atom"}
    titles = [e.findtext("a:title", namespaces=ns) for e in root.findall("a:entry", ns)]
    assert "Glycémie Facile — Suspendue" in titles
    assert "Sérénité — Référencée et publiée au catalogue" in titles


def test_opendata_csv_is_formula_safe_and_complete(client: Any, bulk_listings: Any) -> None:
    bulk_listings([{"name": "=HYPERLINK(\"http://x\")", "summary": "+33 1 23 45 67 89"},
                   {"name": "Normale", "summary": "@SUM(A1)"}])
    response = client.get("/opendata/catalogue.csv")
    assert response.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))
    by_summary = {r["summary"]: r for r in rows}
    assert by_summary["'+33 1 23 45 67 89"]["name"] == "'=HYPERLINK(\"http://x\")"
    assert "'@SUM(A1)" in by_summary
    assert {"slug", "category", "valid_until", "url"} <= set(rows[0])
    data = client.get("/opendata/catalogue.json").json
    assert data["count"] == len(data["items"]) == 2
    assert data["items"][0]["name"] == "=HYPERLINK(\"http://x\")"  # JSON keeps the raw value


def test_reporting_a_problem(client: Any, login: Any, make_patient: Any, catalogue: list[Any]) -> None:
    slug = catalogue[0].app.slug
    anonymous = client.get(f"/catalogue/{slug}/signaler")
    assert anonymous.status_code == 302 and "/connexion" in anonymous.headers["Location"]
    login(make_patient())
    form = client.get(f"/catalogue/{slug}/signaler")
    assert form.status_code == 200
    bad = post_form(client, f"/catalogue/{slug}/signaler", {"kind": "security", "text": "court"})
    assert bad.status_code == 422 and "Entre 10 et 5000 caractères" in bad.get_data(as_text=True)
    ok = post_form(client, f"/catalogue/{slug}/signaler",
                   {"kind": "security", "text": "Les mots de passe sont envoyés en clair."})
    assert ok.status_code == 302 and ok.headers["Location"].endswith("/compte/signalements")
    mine = client.get("/compte/signalements").get_data(as_text=True)
    assert "Glycémie Facile" in mine and "Reçu" in mine and "Sécurité" in mine


def test_catalogue_page_and_api_query_count_does_not_grow_with_results(
        client: Any, bulk_listings: Any, count_queries: Any) -> None:
    bulk_listings([{"name": f"Appli {i:02d}", "platforms": ["web", "ios"]} for i in range(3)])
    with count_queries() as few:
        client.get("/catalogue?platform=web")
        client.get("/api/v1/apps?platform=web")
    bulk_listings([{"name": f"Autre {i:02d}", "platforms": ["web"]} for i in range(15)])
    with count_queries() as many:
        assert "18 applications" in client.get("/catalogue?platform=web").get_data(as_text=True)
        assert client.get("/api/v1/apps?platform=web").json["total"] == 18
    assert many.count == few.count
