"""The publisher's client page: client id, redirect URIs, secret rotation; others get 404."""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import select

from catalogue import db
from catalogue.oauth.models import OAuthClient
from tests.accounts.helpers import post_form
from tests.factories_listings import reload
from tests.factories_publishers import owner_of


def _owner(listing: Any) -> Any:
    owner = owner_of(db.session, reload(listing).app.organisation)
    db.commit()
    return owner


def test_owner_sees_client_sets_uris_and_rotates_secret(client: Any, login: Any,
                                                        make_listing: Any) -> None:
    listing = make_listing()
    login(_owner(listing))
    url = f"/editeur/applications/{listing.app_id}/oauth"
    page = client.get(url)
    assert page.status_code == 200
    row = db.session.scalar(select(OAuthClient).where(OAuthClient.app_id == listing.app_id))
    client_id = row.client_id
    assert client_id in page.get_data(as_text=True)

    bad = post_form(client, url + "/adresses", {"redirect_uris": "http://app.exemple.fr/cb"},
                    form_page=url)
    assert bad.status_code == 422 and "https://" in bad.get_data(as_text=True)
    good = post_form(client, url + "/adresses", {
        "redirect_uris": "https://app.exemple.fr/cb\nhttp://127.0.0.1:8765/cb\n"}, form_page=url)
    assert good.status_code == 302
    row = db.session.scalar(select(OAuthClient).where(OAuthClient.app_id == listing.app_id))
    assert row.redirect_uris == ["https://app.exemple.fr/cb", "http://127.0.0.1:8765/cb"]

    rotated = post_form(client, url + "/secret", {}, form_page=url)
    html = rotated.get_data(as_text=True)
    secret = re.search(r'<code class="d-block text-break">([^<]+)</code>', html).group(1)
    row = db.session.scalar(select(OAuthClient).where(OAuthClient.app_id == listing.app_id))
    assert row.secret_hash and secret not in row.secret_hash and len(row.secret_hash) == 64
    assert secret not in client.get(url).get_data(as_text=True)  # shown once
    again = post_form(client, url + "/secret", {}, form_page=url).get_data(as_text=True)
    assert secret not in again


def test_another_publisher_gets_404(client: Any, login: Any, make_app_profile: Any,
                                    bulk_listings: Any) -> None:
    theirs = bulk_listings([{"name": "Appli B"}])[0]
    mine = make_app_profile()
    owner = owner_of(db.session, mine.organisation)
    db.commit()
    login(owner)
    assert client.get(f"/editeur/applications/{theirs.app_id}/oauth").status_code == 404
    assert post_form(client, f"/editeur/applications/{theirs.app_id}/oauth/secret", {},
                     form_page=f"/editeur/applications/{mine.id}").status_code == 404


def test_unlisted_app_has_no_client(client: Any, login: Any, make_app_profile: Any) -> None:
    app = make_app_profile()
    owner = owner_of(db.session, app.organisation)
    db.commit()
    login(owner)
    assert client.get(f"/editeur/applications/{app.id}/oauth").status_code == 404
