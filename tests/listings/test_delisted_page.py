"""Public history survives delisting (issue 11, step 6): the page stays at its URL, marked
delisted with the date and reason, without the connect button; the API answers for it."""

from __future__ import annotations

from typing import Any

from catalogue import db
from catalogue.accounts.models import Role
from catalogue.listings import services as listings
from tests.accounts.helpers import post_form


def test_a_delisted_listing_keeps_its_page_and_answers_in_the_api(
        client: Any, login: Any, bulk_listings: Any, make_user: Any, make_patient: Any) -> None:
    listing, _other = bulk_listings([{"name": "Retirée Santé"}, {"name": "Toujours Là"}])
    decider = make_user(roles=[Role.DECISION_MAKER])
    listings.suspend_listing(db.session, listing, actor=decider, reason="Incident de sécurité.")
    listings.delist_listing(db.session, listing, actor=decider,
                            reason="Faille non corrigée dans le délai imparti.")
    slug = listing.app.slug
    db.commit()

    page = client.get(f"/catalogue/{slug}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Application déréférencée" in html and "Faille non corrigée dans le délai imparti." in html
    assert "Connecter à mon espace santé" not in html and "Signaler un problème" not in html
    assert "Incident de sécurité." in html  # the history before the delisting stays

    api = client.get(f"/api/v1/apps/{slug}").get_json()
    assert api["status"] == "delisted" and api["referencing"]["status_reason"].startswith("Faille")
    delisted = client.get("/api/v1/apps?status=delisted").get_json()
    assert [i["slug"] for i in delisted["items"]] == [slug]
    assert slug not in [i["slug"] for i in client.get("/api/v1/apps").get_json()["items"]]
    assert client.get("/api/v1/apps?status=withdrawn").status_code == 400

    login(make_patient())
    connect = post_form(client, f"/compte/connexions/nouvelle/{slug}", {"scopes": ["documents"]})
    assert connect.status_code in (200, 422) and "est connectée" not in connect.get_data(as_text=True)
