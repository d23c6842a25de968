"""Authorisation matrix: every route × every role → the expected answer, with real objects.

The table is checked against ``app.url_map``: a new route without an entry here fails
``test_every_route_has_an_expectation`` until someone decides who may reach it. Codes:
``ok`` (200), ``login`` (redirect to /connexion), ``redirect`` (any other redirect),
``400``, ``403``, ``404``. The object in each URL belongs to organisation A (see
``tests/security/world.py``): its owner is ``owner``, the owner of organisation B is
``other_owner`` (who must get 404, never learn that A's objects exist), ``rapporteur`` is
assigned to the dossier under evaluation and ``rapporteur_other`` is not,
``member_conflicted`` declared an interest in A.

GET answers are compared for every role. POST routes are sent by every role that must be
refused (``login``/``403``/``404``), with the CSRF check lifted so that the role and object
checks are what answers, and the database must be unchanged afterwards.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from sqlalchemy import select, text

from catalogue import db
from catalogue.db import Base
from catalogue.dossiers.models import Dossier
from catalogue.listings.models import Listing
from tests.security.urls import url_for_endpoint
from tests.security.world import ROLES, build_world

ANON = "anonymous"
# In POST_ONLY, "redirect" means: refused with a message on the next page, nothing written.
REFUSED = ("login", "403", "404")
COMMISSION = ("secretariat", "rapporteur", "rapporteur_other", "member", "member_conflicted",
              "chair", "decision_maker")


def expect(default: str, **overrides: str) -> dict[str, str]:
    """One expected answer per role: ``default`` unless overridden."""
    table = dict.fromkeys(ROLES, default)
    unknown = set(overrides) - set(ROLES)
    assert not unknown, unknown
    table.update(overrides)
    return table


def public() -> dict[str, str]:
    return expect("ok")


def signed_in(code: str = "ok", **overrides: str) -> dict[str, str]:
    """Anonymous visitors are sent to the login page; signed-in users get ``code``."""
    return expect(code, **{"anonymous": "login", **overrides})


def only(*roles: str, refused: str = "403", **overrides: str) -> dict[str, str]:
    """Reserved to ``roles`` (200); other signed-in users get ``refused``."""
    return signed_in(refused, **{**dict.fromkeys(roles, "ok"), **overrides})


def guests_only() -> dict[str, str]:
    """Pages for visitors (sign in, sign up): signed-in users are sent on."""
    return expect("redirect", anonymous="ok")


def publisher_a(**overrides: str) -> dict[str, str]:
    """An object of organisation A: its owner only; everyone else 404 (object hidden)."""
    return only("owner", refused="404", **overrides)


def commission_only(*roles: str, **overrides: str) -> dict[str, str]:
    return only(*roles, **overrides)


ALL_COMMISSION = COMMISSION

# Endpoint → expected GET answers (``None``: the route has no GET; see POST_ONLY).
GET: dict[str, dict[str, str]] = {
    # Public pages, API, open data.
    "listings.home": public(), "listings.catalogue": public(), "listings.listing": public(),
    "listings.feed": public(), "listings.opendata_csv": public(), "listings.opendata_json": public(),
    "listings.statistics_page": public(), "core.accessibility": public(), "core.legal": public(),
    "core.healthz": public(), "api.list_apps": public(), "api.get_app": public(),
    "api.list_categories": public(), "api.list_frameworks": public(), "api.get_framework": public(),
    "api.openapi": public(), "frameworks.index": public(), "frameworks.show": public(),
    "frameworks.diff": public(),
    "frameworks.compare": expect("redirect"),  # to the diff page of the two versions chosen
    "frameworks.latest": expect("redirect"),
    "apps.logo_image": public(),
    # A screenshot of an app that is not listed is the publisher's until published.
    "apps.screenshot_image": publisher_a(anonymous="404"),
    # Account pages.
    "accounts.login": guests_only(), "accounts.signup": guests_only(),
    "publishers.signup": guests_only(), "accounts.second_factor": expect("redirect", anonymous="login"),
    "accounts.forgot_password": public(),
    "accounts.reset_password": expect("400"), "accounts.verify_email": expect("400"),
    "publishers.accept": expect("400"),
    "accounts.logout": expect("ok", anonymous="redirect"),
    "accounts.account": signed_in(), "accounts.notifications_page": signed_in(),
    "accounts.security": signed_in(),
    "work.landing": signed_in(admin="redirect"),  # an admin-only account goes to /admin/
    # The only page of an unconfirmed account; confirmed ones are sent to their account.
    "accounts.confirm_pending": signed_in("redirect"),
    # Any signed-in account may connect an app to its own space (its own consents only);
    # whether staff accounts should be able to is a product question (see SECURITY.md).
    "consents.connections": signed_in(), "consents.connect": signed_in(),
    "consents.export": signed_in(), "consents.reports": signed_in(),
    "consents.delete_account": signed_in(), "listings.report": signed_in(),
    # Administration.
    "admin.index": only("admin"), "admin.audit_log": only("admin"), "admin.outbox": only("admin"),
    "admin.outbox_message": only("admin"), "admin.users": only("admin"),
    "admin.user_detail": only("admin"), "jobs.failed": only("admin"),
    # Publisher space: organisation A's objects.
    "publishers.home": signed_in(owner="redirect", other_owner="redirect"),
    "publishers.new_organisation": signed_in(),
    "publishers.organisation": publisher_a(), "publishers.edit_organisation": publisher_a(),
    "apps.new": publisher_a(), "apps.show": publisher_a(), "apps.edit": publisher_a(),
    "dossiers.show": publisher_a(), "dossiers.receipt": publisher_a(),
    "dossiers.assessment": publisher_a(), "dossiers.category": publisher_a(),
    # The draft in the world is an initial dossier: its owner is sent back to the dossier.
    "proposals.edit": publisher_a(owner="redirect"),
    # Evidence filed in the dossier under evaluation: its publisher, the secretariat, the
    # rapporteurs assigned and the chair; not a conflicted member, not another rapporteur.
    "dossiers.download_evidence": only("owner", "secretariat", "rapporteur", "chair", refused="404"),
    # Commission space. The dossier in the URL is under evaluation (not on an agenda).
    "commission.home": only(*ALL_COMMISSION),
    "commission.queue": only("secretariat", "chair", "decision_maker"),
    "commission.dossier": only("secretariat", "rapporteur", "chair", "decision_maker",
                               rapporteur_other="404", member="404", member_conflicted="404"),
    "commission.information": only("secretariat", "rapporteur", rapporteur_other="404"),
    "commission.report": only("rapporteur", rapporteur_other="404"),
    "commission.incomplete": only("secretariat"), "commission.rapporteurs": only("secretariat"),
    "commission.decision": only("decision_maker"),
    "commission.interests": only(*ALL_COMMISSION),
    # A declaration is its author's; others of the commission do not learn it exists.
    "commission.interest": only("member_conflicted", refused="404", patient="403", owner="403",
                                other_owner="403", admin="403"),
    "publishers_staff.organisations": only("secretariat"), "commission.plan": only("secretariat"),
    "listings_staff.reports": only("secretariat"),
    "listings_staff.listings": only("secretariat", "decision_maker"),
    "commission.sessions": only(*ALL_COMMISSION), "commission.session_page": only(*ALL_COMMISSION),
    # The session in minutes URLs is the closed one.
    "commission.minutes": only(*ALL_COMMISSION), "commission.minutes_download": only(*ALL_COMMISSION),
    # OAuth server for referenced apps (issue #16): the consent screen without a valid
    # request is an error page; the stand-in resource wants a bearer token, not a session.
    "oauth.metadata": public(), "oauth.authorize": signed_in("400"),
    "oauth.client_page": publisher_a(), "oauth.patient_data": expect("401"),
    # FHIR R4 view: public, read-only; other resources and writes are not supported.
    "fhir.metadata": public(), "fhir.structure_definition": public(),
    "fhir.search_device_definitions": public(), "fhir.read_device_definition": public(),
    "fhir.read_organization": public(), "fhir.unsupported": expect("404"),
    # OpenID Connect sign-in: no provider is configured in the tests' settings.
    "accounts.oidc.start": expect("404"), "accounts.oidc.callback": expect("404"),
}

# POST-only endpoints → roles allowed to act (not sent); everyone else must be refused with
# the answer given (``login`` for anonymous is implied).
POST_ONLY: dict[str, dict[str, str]] = {
    "admin.grant_role": only("admin"), "admin.revoke_role": only("admin"),
    "admin.reset_second_factor": only("admin"), "jobs.requeue": only("admin"),
    "apps.add_screenshot": publisher_a(), "apps.remove_screenshot": publisher_a(),
    "apps.logo": publisher_a(), "dossiers.open": publisher_a(),
    "dossiers.save_category": publisher_a(), "dossiers.submit": publisher_a(),
    "dossiers.withdraw": publisher_a(), "dossiers.answer": publisher_a(),
    "dossiers.sign": publisher_a(), "dossiers.lift": publisher_a(),
    "publishers.upload_extract": publisher_a(), "publishers.invite": publisher_a(),
    "publishers.revoke": publisher_a(), "publishers.remove": publisher_a(),
    "publishers.change_role": publisher_a(),
    "commission.accept": only("secretariat"), "commission.complete": only("secretariat"),
    "commission.schedule": only("secretariat"), "publishers_staff.verify": only("secretariat"),
    "listings_staff.triage": only("secretariat"),
    "commission.confirm_lift": only("rapporteur", rapporteur_other="404"),
    "listings_staff.listing_action": only("secretariat", "decision_maker"),
    "commission.open_session": only("chair"), "commission.attendance": only("chair"),
    "commission.opinion": only("chair"), "commission.postpone": only("chair"),
    "commission.close": only("chair"),
    # The dossier on that agenda item is organisation A's: the conflicted member may not vote
    # (sent back to the session page with the reason, nothing written).
    "commission.vote": only("member", "chair", member_conflicted="redirect"),
    "consents.revoke": only("patient", refused="404"),
    # Marking another user's notification read is a no-op (the update filters on the
    # user): same answer as for an unknown id, nothing changed.
    "accounts.notification_read": only("patient", refused="redirect"),
    "accounts.notifications_read_all": signed_in(), "accounts.set_locale": expect("ok"),
    "accounts.recovery_codes": signed_in(), "accounts.change_password": signed_in(),
    "accounts.resend_verification": signed_in(),
    "oauth.set_redirect_uris": publisher_a(), "oauth.rotate_secret": publisher_a(),
    # Machine endpoints for apps: no session; without client credentials, RFC errors.
    "oauth.token": expect("400"), "oauth.revoke": expect("401"), "oauth.introspect": expect("401"),
}

# Routes with both GET and POST whose POST is open to anyone (forms for visitors: fuzzed
# in test_fuzz_forms.py) or to every signed-in user; the GET expectations cover the rest.
POST_OPEN = {"accounts.login", "accounts.signup", "publishers.signup", "accounts.forgot_password",
             "accounts.reset_password", "publishers.accept", "accounts.second_factor",
             "accounts.logout", "listings.report", "consents.connect", "consents.export",
             "consents.delete_account", "publishers.new_organisation", "admin.audit_log",
             # Answers 405 to everyone (the FHIR view is read-only).
             "fhir.unsupported"}

# Known defects found by this matrix: (endpoint, role, method) → (answer seen, why, owner).
# Each one is excluded from the sweeping tests below and proven by its own
# xfail(strict=True) test, listed in docs/SECURITY.md. None open today.
KNOWN_DEFECTS: dict[tuple[str, str, str], tuple[str, str]] = {}


def rules_of(app: Any) -> list[Any]:
    return sorted((r for r in app.url_map.iter_rules() if r.endpoint != "static"), key=lambda r: r.rule)


def test_every_route_has_an_expectation(app):
    """GET routes need a GET row; POST-only routes a POST_ONLY row. A GET+POST form's POST
    is checked against its GET row unless it is listed in POST_OPEN."""
    missing = []
    endpoints = set()
    for rule in rules_of(app):
        endpoints.add(rule.endpoint)
        has_get = "GET" in rule.methods
        if has_get and rule.endpoint not in GET:
            missing.append(f"GET {rule.rule} ({rule.endpoint})")
        if not has_get and rule.endpoint not in POST_ONLY:
            missing.append(f"POST {rule.rule} ({rule.endpoint})")
    stale = sorted((set(GET) | set(POST_ONLY)) - endpoints)
    assert not missing, "routes without an entry in the authorisation matrix:\n" + "\n".join(missing)
    assert not stale, f"entries for routes that no longer exist: {stale}"


def classify(response: Any) -> str:
    if response.status_code in (301, 302, 303, 307, 308):
        location = response.headers.get("Location", "")
        return "login" if "/connexion?" in location or location.endswith("/connexion") else "redirect"
    return "ok" if response.status_code == 200 else str(response.status_code)


def fingerprint() -> tuple[Any, ...]:
    """Row counts of every table, the states of dossiers and listings: what a refused
    request must leave as it was (one query for the counts)."""
    tables = [t.name for t in Base.metadata.sorted_tables]
    counts = db.session.execute(text(
        "SELECT " + ", ".join(f'(SELECT count(*) FROM "{name}")' for name in tables))).one()
    dossiers = db.session.execute(select(Dossier.id, Dossier.state, Dossier.version_id)
                                  .order_by(Dossier.id)).all()
    listings = db.session.execute(select(Listing.id, Listing.state).order_by(Listing.id)).all()
    others = db.session.execute(text(
        "SELECT (SELECT count(*) FROM notifications WHERE read_at IS NOT NULL),"
        " (SELECT count(*) FROM consents WHERE revoked_at IS NOT NULL),"
        " (SELECT count(*) FROM reports WHERE status <> 'new'),"
        " (SELECT count(*) FROM memberships WHERE role = 'owner'),"
        " (SELECT count(*) FROM commission_sessions WHERE state <> 'planned'),"
        " (SELECT coalesce(sum(session_version), 0) FROM users)")).one()
    db.session.rollback()
    return (dict(zip(tables, counts, strict=True)), tuple(dossiers), tuple(listings), tuple(others))


@pytest.fixture
def world(request, app):
    return build_world(request)


def test_get_matrix(app, world):
    """Every GET route × every role answers as the table says; every page a signed-in
    user gets is ``Cache-Control: no-store``."""
    mismatches = []
    for role in ROLES:
        client = world.client(app, role)
        for rule in rules_of(app):
            if "GET" not in rule.methods or rule.endpoint not in GET:
                continue
            if (rule.endpoint, role, "GET") in KNOWN_DEFECTS:
                continue
            path = url_for_endpoint(rule, world.ids)
            response = client.get(path)
            got = classify(response)
            wanted = GET[rule.endpoint][role]
            if got != wanted:
                mismatches.append(f"{role:18} GET {path} → {got}, expected {wanted}")
            if role != ANON and got == "ok" and response.headers.get("Cache-Control") != "no-store":
                mismatches.append(f"{role:18} GET {path} is not Cache-Control: no-store")
    assert not mismatches, "\n".join(mismatches)


def refused_posts(app: Any) -> list[tuple[Any, str, str]]:
    """(rule, role, expected) for every POST a role must be refused."""
    cases = []
    for rule in rules_of(app):
        if "POST" not in rule.methods or rule.endpoint in POST_OPEN:
            continue
        refused = (*REFUSED, "redirect") if rule.endpoint in POST_ONLY else REFUSED
        table = POST_ONLY.get(rule.endpoint) or GET[rule.endpoint]
        for role in ROLES:
            if table[role] in refused:
                cases.append((rule, role, table[role]))
    return cases


def test_refused_posts_change_nothing(app, world, monkeypatch):
    """Every POST a role may not send is refused with the table's answer and the database
    is left exactly as it was."""
    # The CSRF check would answer 400 first; lift it so the role and object checks answer.
    monkeypatch.setitem(app.config, "WTF_CSRF_ENABLED", False)
    before = fingerprint()
    mismatches = []
    clients = {role: world.client(app, role) for role in ROLES}
    cases = refused_posts(app)
    assert len(cases) > 100
    for rule, role, wanted in cases:
        if (rule.endpoint, role, "POST") in KNOWN_DEFECTS:
            continue
        path = url_for_endpoint(rule, world.ids)
        got = classify(clients[role].post(path, data={"reason": "x" * 20, "role": "editor",
                                                        "choice": "favourable"}))
        if got != wanted:
            mismatches.append(f"{role:18} POST {path} → {got}, expected {wanted}")
        after = fingerprint()
        if after != before:
            mismatches.append(f"{role:18} POST {path} changed the database")
            before = after
    assert not mismatches, "\n".join(mismatches)


def test_csrf_is_enforced_on_posts(app, world):
    """Without the CSRF token a POST is refused with a French message and changes nothing."""
    before = fingerprint()
    client = world.client(app, "secretariat")
    response = client.post(f"/commission/dossiers/{world.ids['evaluation']}/cloturer-instruction")
    assert response.status_code == 400
    assert "formulaire a expiré" in response.get_data(as_text=True)
    assert fingerprint() == before


def test_publisher_of_another_organisation_gets_404_on_every_object_of_a(app, world):
    """Organisation B's owner probes A's objects: every answer is 404, like a missing id."""
    client = world.client(app, "other_owner")
    ids = world.ids
    paths = [f"/editeur/organisations/{ids['org_a']}", f"/editeur/applications/{ids['app_a']}",
             f"/editeur/dossiers/{ids['draft']}", f"/editeur/dossiers/{ids['evaluation']}/accuse",
             f"/pieces/{ids['evidence']}", f"/pieces/{ids['evidence_unfiled']}",
             f"/applications/{ids['app_a']}/captures/{ids['screenshot']}"]
    missing = [f"/editeur/dossiers/{10**6}", f"/editeur/applications/{10**6}", f"/pieces/{10**6}"]
    answers = {path: client.get(path) for path in paths + missing}
    assert {path: r.status_code for path, r in answers.items()} == dict.fromkeys(answers, 404)
    # Same page for an existing and a missing object: nothing tells them apart (but the
    # path itself, which the page repeats in its language links).
    # The CSRF token of the page's logout form is signed with a timestamp (seconds): two
    # requests straddling a second differ there only.
    def page(path: str) -> str:
        html = answers[path].get_data(as_text=True).replace(path, "PATH")
        return re.sub(r'(name="csrf_token" value=")[^"]+', r"\1TOKEN", html)

    assert page(paths[2]) == page(missing[0])
    # Their own dossier is reachable: the 404s above are about the object, not the role.
    assert client.get(f"/editeur/dossiers/{ids['other_dossier']}").status_code == 200


def test_member_sees_a_dossier_on_the_agenda_unless_conflicted(app, world):
    path = f"/commission/dossiers/{world.ids['scheduled']}"
    assert world.client(app, "member").get(path).status_code == 200
    assert world.client(app, "chair").get(path).status_code == 200
    assert world.client(app, "member_conflicted").get(path).status_code == 404
    assert world.client(app, "rapporteur_other").get(path).status_code == 404


def test_unfiled_evidence_is_the_publishers_and_the_secretariats_only(app, world):
    path = f"/pieces/{world.ids['evidence_unfiled']}"
    answers = {role: world.client(app, role).get(path).status_code for role in ROLES}
    assert answers == {**dict.fromkeys(ROLES, 404), "anonymous": 302, "owner": 200, "secretariat": 200}
