"""Modification dossiers carry a proposed profile (issue 11, step 2): the publisher edits a
draft of the assessed facts, the dossier shows the diff and the requirements it adds or
removes, a favourable decision switches the listing to the new snapshot with a public
history line, a refusal keeps the old one."""

from __future__ import annotations

from typing import Any

from catalogue import db
from catalogue.dossiers import services as dossiers
from catalogue.dossiers.models import Dossier, DossierKind
from catalogue.listings.models import Listing
from tests.accounts.helpers import csrf_token
from tests.factories_publishers import fill_answers, owner_of

NEW_FACTS = {"audiences": ["chronic_patients"], "platforms": ["ios", "android"],
             "data_categories": ["measurements", "documents"],
             "hosting_provider": "Nouvel Hébergeur HDS", "hds_certified": "y",
             "hds_certificate_ref": "HDS-2026-0100", "connected_services": ["mes_dmp"],
             "medical_device_class": "", "predicates": ["processes_health_data", "uses_ai"]}


def _open_modification(client: Any, login: Any, make_listing: Any) -> tuple[Listing, Dossier, Any]:
    listing = make_listing()
    app = listing.app
    owner = owner_of(db.session, app.organisation)
    db.commit()
    login(owner)
    page = f"/editeur/applications/{app.id}"
    opened = client.post(f"{page}/dossiers", data={"kind": "modification",
                                                    "csrf_token": csrf_token(client, page)})
    assert opened.status_code == 302
    dossier = db.session.query(Dossier).filter_by(app_id=app.id, kind=DossierKind.MODIFICATION).one()
    return listing, dossier, owner


def test_modification_proposes_a_profile_and_its_decision_switches_the_listing(
        client: Any, login: Any, make_listing: Any, advance: Any) -> None:
    listing, dossier, owner = _open_modification(client, login, make_listing)
    slug, dossier_id = listing.app.slug, dossier.id
    url = f"/editeur/dossiers/{dossier_id}/profil-propose"
    form = client.get(url).get_data(as_text=True)
    assert "Hébergeur Santé SAS" in form and 'name="version" type="hidden" value="1"' in form

    saved = client.post(url, data={**NEW_FACTS, "version": "1", "csrf_token": csrf_token(client, url)})
    assert saved.status_code == 302
    # A form built from the first version is now stale: refused, named, nothing merged.
    stale = client.post(url, data={**NEW_FACTS, "hosting_provider": "Autre", "version": "1",
                                   "csrf_token": csrf_token(client, url)})
    assert stale.status_code == 409 and "rechargez la page" in stale.get_data(as_text=True)

    page = client.get(f"/editeur/dossiers/{dossier_id}").get_data(as_text=True)
    assert "Modification proposée" in page
    assert "<del>Hébergeur Santé SAS</del>" in page and "<ins>Nouvel Hébergeur HDS</ins>" in page
    assert "Exigences ajoutées" in page and "IA-01" in page
    # The public still reads the decided profile while the modification is under way.
    assert client.get(f"/api/v1/apps/{slug}").get_json()["hosting"]["provider"] == "Hébergeur Santé SAS"

    dossier = db.session.get(Dossier, dossier_id)
    fill_answers(db.session, dossier, owner)
    dossiers.submit_dossier(db.session, dossier, actor=owner)
    db.commit()
    frozen = client.post(url, data={**NEW_FACTS, "hosting_provider": "Autre", "version": "2",
                                    "csrf_token": csrf_token(client, url)})
    assert frozen.status_code == 400 and "gelé" in frozen.get_data(as_text=True)
    advance(db.session.get(Dossier, dossier_id), "agreement_pending")
    dossiers.sign_agreement(db.session, db.session.get(Dossier, dossier_id), actor=owner)
    db.commit()

    api = client.get(f"/api/v1/apps/{slug}").get_json()
    assert api["hosting"]["provider"] == "Nouvel Hébergeur HDS"
    assert api["data_categories"] == ["documents", "measurements"]
    assert api["history"][-1]["kind"] == "modified"
    assert "Hébergeur des données : Hébergeur Santé SAS → Nouvel Hébergeur HDS" in api["history"][-1]["note"]
    public = client.get(f"/catalogue/{slug}").get_data(as_text=True)
    assert "Nouvel Hébergeur HDS" in public and "Modification évaluée" in public
    db.session.expire_all()
    assert db.session.get(Listing, listing.id).app.hosting_provider == "Nouvel Hébergeur HDS"


def test_a_refused_modification_leaves_the_listing_on_its_decided_profile(
        client: Any, login: Any, make_listing: Any, advance: Any) -> None:
    listing, dossier, owner = _open_modification(client, login, make_listing)
    slug, dossier_id, listing_id = listing.app.slug, dossier.id, listing.id
    url = f"/editeur/dossiers/{dossier_id}/profil-propose"
    client.post(url, data={**NEW_FACTS, "version": "1", "csrf_token": csrf_token(client, url)})
    dossier = db.session.get(Dossier, dossier_id)
    fill_answers(db.session, dossier, owner)
    dossiers.submit_dossier(db.session, dossier, actor=owner)
    advance(dossier, "refused", outcome="refused")
    db.commit()
    api = client.get(f"/api/v1/apps/{slug}").get_json()
    assert api["hosting"]["provider"] == "Hébergeur Santé SAS" and api["status"] == "published"
    assert db.session.get(Listing, listing_id).app.hosting_provider == "Hébergeur Santé SAS"
