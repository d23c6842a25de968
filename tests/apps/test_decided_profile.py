"""The decision governs (issue 11, F1): from submission on, the assessed facts are frozen
in the dossier's snapshot, and the listing, the API, the exports and the consent screen
read the snapshot of the decision in force, never the live profile. The whole F1 scenario
runs once, in the security suite (tests/security/test_f1_assessed_facts.py)."""

from __future__ import annotations

import json
from typing import Any

from catalogue import db
from catalogue.apps.models import App
from catalogue.dossiers import services as dossiers
from catalogue.listings.queries import decided_profile
from catalogue.listings.services import listing_for_app
from tests.accounts.helpers import csrf_token, post_form
from tests.factories_publishers import DEFAULT_PROFILE, owner_of

# What editeur2 posted in the F1 reproduction: a non-HDS host, identity and medical
# profile data, a class III medical device.
UNASSESSED = {"hosting_provider": "Cloud Discount", "hds_certified": "", "hds_certificate_ref": "",
              "data_categories": ["measurements", "identity", "medical_profile"],
              "is_medical_device": "y", "medical_device_class": "III"}


def _form(app: App, **changes: Any) -> dict[str, Any]:
    data = {**DEFAULT_PROFILE, "name": app.name, "slug": app.slug, "price_text": "",
            "medical_device_class": "", **changes}
    data["hds_certified"] = "y" if data.get("hds_certified") is True else data.get("hds_certified")
    return {k: v for k, v in data.items() if v not in (None, False, "")}


def run_f1_scenario(client: Any, login: Any, make_submitted_dossier: Any, advance: Any,
                    make_patient: Any) -> None:
    """The F1 reproduction through HTTP, asserting the fixed behaviour."""
    dossier = make_submitted_dossier()
    app = dossier.app
    owner = owner_of(db.session, app.organisation)
    app_id, reference, slug = app.id, dossier.reference, app.slug
    db.commit()
    login(owner)
    url = f"/editeur/applications/{app_id}/modifier"

    # Submitted: the assessed facts are frozen; the refusal names the fields in French.
    refused = client.post(url, data={**_form(app, **UNASSESSED), "csrf_token": csrf_token(client, url)})
    assert refused.status_code == 409
    html = refused.get_data(as_text=True)
    assert reference in html
    for name in ("Hébergeur des données", "Données de l&#39;espace santé",
                 "Dispositif médical", "Classe du dispositif médical"):
        assert name in html
    db.session.expire_all()
    live = db.session.get(App, app_id)
    assert live.hosting_provider == "Hébergeur Santé SAS" and live.data_categories == ["measurements"]

    # Free text stays editable (and audited).
    ok = client.post(url, data={**_form(live, summary="Un résumé revu par l'éditeur."),
                                "csrf_token": csrf_token(client, url)})
    assert ok.status_code == 302

    # Agreement pending: still refused.
    dossier = db.session.merge(dossier)
    advance(dossier, "agreement_pending")
    db.commit()
    again = client.post(url, data={**_form(db.session.get(App, app_id), **UNASSESSED),
                                   "csrf_token": csrf_token(client, url)})
    assert again.status_code == 409

    # Even a live profile changed behind the rules' back never reaches the public.
    db.session.expire_all()
    live = db.session.get(App, app_id)
    live.hosting_provider, live.hds_certified = "Cloud Discount", False
    live.data_categories = ["measurements", "identity", "medical_profile"]
    live.is_medical_device, live.medical_device_class = True, "III"
    dossiers.sign_agreement(db.session, db.session.merge(dossier),
                            actor=owner_of(db.session, live.organisation))
    db.commit()
    listing = listing_for_app(db.session, app_id)
    decided = decided_profile(db.session, listing)
    assert decided.data_categories == ("measurements",) and decided.hosting_provider == "Hébergeur Santé SAS"

    page = client.get(f"/catalogue/{slug}").get_data(as_text=True)
    assert "Hébergeur Santé SAS" in page and "Cloud Discount" not in page
    api = client.get(f"/api/v1/apps/{slug}").get_json()
    assert api["data_categories"] == ["measurements"]
    assert api["hosting"] == {"provider": "Hébergeur Santé SAS", "hds_certified": True,
                              "hds_certificate": "HDS-2025-0042"}
    assert api["medical_device_class"] is None and api["medical_device"] is False
    export = json.loads(client.get("/opendata/catalogue.json").get_data(as_text=True))
    rows = export["items"] if isinstance(export, dict) else export
    row = next(r for r in rows if r["slug"] == slug)
    assert row["medical_device"] is False
    assert client.get("/api/v1/apps?medical_device=true").get_json()["total"] == 0

    # The consent screen offers only what the decision covers; identity is refused.
    login(make_patient())
    connect = f"/compte/connexions/nouvelle/{slug}"
    screen = client.get(connect).get_data(as_text=True)
    assert 'value="measurements"' in screen and 'value="identity"' not in screen
    forged = post_form(client, connect, {"scopes": ["measurements", "identity", "medical_profile"]})
    assert forged.status_code == 422


def test_a_draft_dossier_follows_the_profile_until_submission(
        client: Any, login: Any, make_dossier: Any) -> None:
    dossier = make_dossier()
    app = dossier.app
    owner = owner_of(db.session, app.organisation)
    app_id, dossier_id = app.id, dossier.id
    db.commit()
    login(owner)
    url = f"/editeur/applications/{app_id}/modifier"
    done = client.post(url, data={**_form(app, hosting_provider="Autre Hébergeur"),
                                  "csrf_token": csrf_token(client, url)})
    assert done.status_code == 302
    db.session.expire_all()
    from catalogue.dossiers.models import Dossier

    assert db.session.get(Dossier, dossier_id).profile_snapshot["hosting_provider"] == "Autre Hébergeur"
