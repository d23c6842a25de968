"""Public framework pages under /referentiels, through HTTP."""

from __future__ import annotations

import re
from html import unescape

import pytest

from catalogue import db
from catalogue.frameworks import queries as framework_queries
from catalogue.frameworks.applicability import applicable_requirements
from catalogue.frameworks.vocabulary import EVIDENCE_KINDS, PREDICATES


def wave(version: str):
    """A fresh copy of a version: each request ends with a rollback that expires and
    detaches what the test loaded before it."""
    return framework_queries.get_framework(db.session, "ENS", version)


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


def article(html: str, code: str) -> str:
    """The HTML of one requirement's article."""
    match = re.search(rf'<article class="requirement[^"]*" id="{code}".*?</article>', html, re.S)
    assert match, f"no article for {code}"
    return match.group(0)


def shown_codes(html: str) -> list[str]:
    return re.findall(r'<article class="requirement" id="([A-Z]+-\d+)"', html)


def test_index_lists_versions_with_status_dates_and_counts(client, ens_waves):
    response = client.get("/referentiels")

    assert response.status_code == 200
    html = text(response)
    rows = re.findall(r"<tr>.*?</tr>", html, re.S)[1:]
    assert len(rows) == 2
    assert "ENS 2027.1" in rows[0] and "à venir" in rows[0] and "1er janvier 2027" in rows[0]
    assert "31 décembre 2027" in rows[0] and ">76<" in rows[0]
    assert "Nouveautés depuis 2026.1" in rows[0]
    assert "ENS 2026.1" in rows[1] and "en vigueur" in rows[1] and ">67<" in rows[1]
    assert 'href="/referentiels/ENS/2026.1"' in html
    assert 'action="/referentiels/ENS/comparer"' in html
    assert "/static/css/frameworks.css" in html


def test_index_without_any_framework(client):
    response = client.get("/referentiels")
    assert response.status_code == 200
    assert "Aucun référentiel n'a encore été publié." in text(response)


def test_version_page_groups_requirements_by_category(client, ens_waves):
    response = client.get("/referentiels/ENS/2026.1")

    assert response.status_code == 200
    html = text(response)
    framework = wave("2026.1")
    assert shown_codes(html) == [r.code for r in framework.requirements]
    positions = [html.index(f'id="cat-{c.code}-titre"') for c in framework.categories]
    assert positions == sorted(positions)
    assert "Toutes les exigences" in html
    assert "67, dont 51 obligatoires" in html
    assert framework.content_hash in html

    heb = next(r for r in framework.requirements if r.code == "HEB-01")
    card = article(html, "HEB-01")
    assert heb.title in card and heb.statement in card
    assert "Obligatoire" in card
    assert PREDICATES["processes_health_data"][0] in card
    assert EVIDENCE_KINDS["hds_certificate"][0] in card
    # A requirement of a category appears under that category's heading.
    hosting = html[html.index('id="cat-hosting-titre"'):html.index('id="cat-identity-titre"')]
    assert 'id="HEB-01"' in hosting


def test_optional_and_not_applicable_requirements_say_so(client, ens_waves):
    html = text(client.get("/referentiels/ENS/2026.1"))
    optional = next(r for r in wave("2026.1").requirements if not r.mandatory)
    assert "Facultative" in article(html, optional.code)
    allowing = next(r for r in wave("2026.1").requirements if r.allow_not_applicable)
    assert "Admise, avec une justification" in article(html, allowing.code)
    universal = next(r for r in wave("2026.1").requirements if not r.applies_if)
    assert "À tous les services" in article(html, universal.code)


@pytest.mark.parametrize("profile", [[], ["uses_ai"], ["processes_health_data", "targets_minors"]])
def test_profile_filter_shows_the_applicable_requirements_and_their_count(client, ens_waves, profile):
    expected = [(r.code, r.mandatory) for r in applicable_requirements(wave("2026.1"), profile)]
    query = "&".join(["filtre=1", *(f"profil={p}" for p in profile)])

    response = client.get(f"/referentiels/ENS/2026.1?{query}")

    assert response.status_code == 200
    html = text(response)
    assert shown_codes(html) == [code for code, _ in expected]
    mandatory = sum(1 for _, is_mandatory in expected if is_mandatory)
    assert re.search(rf"{len(expected)} exigences s'appliquent à un service comme le vôtre\s*"
                     rf"\(dont {mandatory} obligatoires\)", html)
    for code in PREDICATES:
        checkbox = re.search(rf'<input[^>]*value="{code}"[^>]*>', html).group(0)
        assert ("checked" in checkbox) is (code in profile)


def test_profile_filter_without_javascript_is_a_plain_get_form(client, ens_waves):
    html = text(client.get("/referentiels/ENS/2026.1"))
    form = re.search(r'<form method="get" action="/referentiels/ENS/2026.1#resultat".*?</form>',
                     html, re.S).group(0)
    assert 'type="checkbox"' in form and 'name="profil"' in form
    assert 'name="filtre"' in form
    assert "csrf_token" not in form
    assert "<script" not in html


def test_unknown_predicate_is_a_french_error_next_to_the_field(client, ens_waves):
    response = client.get("/referentiels/ENS/2026.1?filtre=1&profil=flies")

    assert response.status_code == 400
    html = text(response)
    assert 'id="profil-error"' in html
    assert "Caractéristique inconnue\u202f: flies." in html
    assert re.search(r'<fieldset aria-describedby="profil-hint profil-error">', html)
    assert "Voir toutes les exigences" in html


def test_english_ui_shows_english_titles(client, ens_waves):
    html = text(client.get("/referentiels/ENS/2026.1?lang=en"))
    heb = next(r for r in wave("2026.1").requirements if r.code == "HEB-01")
    assert heb.title_en in article(html, "HEB-01")
    assert wave("2026.1").title_en in html
    assert PREDICATES["processes_health_data"][1] in html
    assert EVIDENCE_KINDS["hds_certificate"][1] in article(html, "HEB-01")
    assert "Hosting" in html


def test_diff_shows_added_retired_mandatory_and_reworded_with_highlights(client, ens_waves):
    response = client.get("/referentiels/ENS/2026.1/diff/2027.1")

    assert response.status_code == 200
    html = response.get_data(as_text=True)
    old = {r.code: r for r in wave("2026.1").requirements}
    new = {r.code: r for r in wave("2027.1").requirements}
    added = [c for c in new if c not in old]
    retired = [c for c in old if c not in new]
    mandatory = [c for c in new if c in old and new[c].mandatory and not old[c].mandatory]
    assert added and retired and mandatory

    def section(anchor: str) -> str:
        return re.search(rf'<section id="{anchor}".*?</section>', html, re.S).group(0)

    assert re.findall(r'<article class="requirement" id="([A-Z]+-\d+)"', section("ajoutees")) == added
    for code in retired:
        assert code in section("retirees")
    for code in mandatory:
        assert code in section("obligatoires")
    reworded = section("reformulees")
    assert "<ins>" in reworded and "<del>" in reworded
    assert "SEC-06" in reworded
    assert re.search(r"<ins><span class=\"visually-hidden\">\[ajouté\u202f: </span>[^<]*exercice", reworded)


def test_diff_in_english_uses_english_titles(client, ens_waves):
    html = text(client.get("/referentiels/ENS/2026.1/diff/2027.1?lang=en"))
    added = next(r for r in wave("2027.1").requirements if r.code == "SEC-11")
    assert added.title_en in html


@pytest.mark.parametrize("url", [
    "/referentiels/ENS/1999.1",
    "/referentiels/XYZ/2026.1",
    "/referentiels/ENS/2026.1/diff/1999.1",
    "/referentiels/ENS/2026.1/diff/2026.1",
    "/referentiels/XYZ",
    "/referentiels/XYZ/comparer?de=1&a=2",
])
def test_unknown_versions_are_french_404_pages(client, ens_waves, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "text/html" in response.content_type


def test_code_alone_leads_to_the_version_in_force(client, ens_waves):
    response = client.get("/referentiels/ENS")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/referentiels/ENS/2026.1")


def test_compare_form_leads_to_the_diff_or_explains(client, ens_waves):
    response = client.get("/referentiels/ENS/comparer?de=2026.1&a=2027.1")
    assert response.status_code == 302
    assert response.headers["Location"].endswith("/referentiels/ENS/2026.1/diff/2027.1")

    same = client.get("/referentiels/ENS/comparer?de=2026.1&a=2026.1")
    assert same.status_code == 400
    assert "Choisissez deux versions différentes." in text(same)
    unknown = client.get("/referentiels/ENS/comparer?de=2026.1&a=1999.1")
    assert unknown.status_code == 400
    assert 'aria-invalid="true"' in text(unknown)


def test_pages_are_cacheable_and_answer_304(client, ens_waves, session):
    from catalogue.frameworks.lifecycle import bring_into_force

    for url in ("/referentiels", "/referentiels/ENS/2026.1",
                "/referentiels/ENS/2026.1?filtre=1&profil=uses_ai",
                "/referentiels/ENS/2026.1/diff/2027.1"):
        first = client.get(url)
        assert first.headers["Cache-Control"] == "public, max-age=60"
        etag = first.headers["ETag"]
        again = client.get(url, headers={"If-None-Match": etag})
        assert again.status_code == 304 and again.headers["ETag"] == etag
        assert again.get_data() == b""

    etag = client.get("/referentiels").headers["ETag"]
    bring_into_force(session, __import__("datetime").date(2027, 1, 1))
    changed = client.get("/referentiels", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag


def test_version_page_runs_a_fixed_number_of_queries(client, ens_waves, count_queries):
    client.get("/referentiels/ENS/2026.1")  # warm up
    with count_queries() as counter:
        client.get("/referentiels/ENS/2026.1?filtre=1&profil=uses_ai")
    assert counter.count <= 8, counter.statements
    with count_queries() as counter:
        client.get("/referentiels")
    assert counter.count <= 4, counter.statements


def test_pages_are_printable(client, ens_waves, app):
    css = (app.static_folder + "/css/frameworks.css")
    with open(css, encoding="utf-8") as handle:
        rules = handle.read()
    print_rules = rules[rules.index("@media print"):]
    assert ".profile-filter" in print_rules and "break-inside: avoid" in print_rules
    html = text(client.get("/referentiels/ENS/2026.1"))
    assert 'class="profile-filter no-print"' in html
