"""OAuth factories and a small client that runs the code flow through the test client.

- ``oauth_app()`` → an ``OAuthApp``: a published listing (agreement: measurements and
  documents), its OAuth client with one redirect URI and a secret.
- ``OAuthApp.authorize(client, patient, categories=…)`` → the code, after the patient
  granted the categories on the consent screen; ``exchange(code)`` → the token answer.
"""

from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from authlib.oauth2.rfc7636 import create_s256_code_challenge
from flask.testing import FlaskClient

from catalogue import db
from catalogue.listings.models import Listing
from catalogue.oauth import services as oauth
from catalogue.oauth.models import OAuthClient
from tests.accounts.helpers import csrf_token

REDIRECT_URI = "https://app.exemple.fr/callback"
AGREED = ["measurements", "documents"]


@dataclass
class OAuthApp:
    listing: Listing
    row: OAuthClient
    client_id: str
    secret: str
    verifier: str = field(default_factory=lambda: secrets.token_urlsafe(48))

    def basic(self) -> dict[str, str]:
        raw = f"{self.client_id}:{self.secret}".encode()
        return {"Authorization": "Basic " + base64.b64encode(raw).decode()}

    def authorize_url(self, scope: str = "patient/measurements.read patient/documents.read",
                      **overrides: Any) -> str:
        params = {"response_type": "code", "client_id": self.client_id,
                  "redirect_uri": REDIRECT_URI, "scope": scope, "state": "xyz",
                  "code_challenge": create_s256_code_challenge(self.verifier),
                  "code_challenge_method": "S256", **overrides}
        return "/oauth/authorize?" + urlencode({k: v for k, v in params.items() if v is not None})

    def authorize(self, client: FlaskClient, categories: list[str] | None = None,
                  **overrides: Any) -> str:
        """Grant on the consent screen; the code the app receives."""
        url = self.authorize_url(**overrides)
        token = csrf_token(client, url)
        response = client.post(url, data={"csrf_token": token, "grant": "1",
                                          "categories": categories or AGREED})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        query = parse_qs(urlsplit(response.headers["Location"]).query)
        assert query["state"] == ["xyz"]
        return query["code"][0]

    def exchange(self, client: FlaskClient, code: str, **overrides: Any) -> Any:
        data = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
                "code_verifier": self.verifier, **overrides}
        return client.post("/oauth/token", data={k: v for k, v in data.items() if v is not None},
                           headers=self.basic())

    def tokens(self, client: FlaskClient, **kwargs: Any) -> dict[str, Any]:
        response = self.exchange(client, self.authorize(client, **kwargs))
        assert response.status_code == 200, response.get_json()
        return response.get_json()


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def oauth_app(bulk_listings: Any) -> Any:
    counter = iter(range(1, 1000))

    def factory(**profile: Any) -> OAuthApp:
        listing = bulk_listings([{"name": f"Appli connectée {next(counter)}",
                                  "data_categories": AGREED, **profile}])[0]
        row = oauth.ensure_client(db.session, listing.app)
        row.redirect_uris = [REDIRECT_URI]
        secret = oauth.rotate_secret(db.session, row, actor=None)
        db.commit()
        return OAuthApp(listing, row, row.client_id, secret)

    return factory
