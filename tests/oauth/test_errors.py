"""Bad requests get the RFC's error, and are audited where a patient's data is concerned."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from catalogue import db
from catalogue.accounts.models import Role
from catalogue.audit.models import AuditEvent
from catalogue.consents.models import Consent
from tests.accounts.helpers import csrf_token
from tests.factories_listings import reload
from tests.factories_oauth import REDIRECT_URI, bearer


def _error_of(response: Any) -> dict[str, list[str]]:
    assert response.status_code == 302, response.status_code
    location = response.headers["Location"]
    assert location.startswith(REDIRECT_URI)
    return parse_qs(urlsplit(location).query)


def test_unknown_redirect_uri_is_never_redirected_to(client: Any, login: Any, make_patient: Any,
                                                     oauth_app: Any) -> None:
    target = oauth_app()
    login(make_patient())
    for uri in ("https://evil.example/callback", REDIRECT_URI + "/more", REDIRECT_URI + "?x=1"):
        response = client.get(target.authorize_url(redirect_uri=uri))
        assert response.status_code == 400 and "Location" not in response.headers
        assert "invalid_request" in response.get_data(as_text=True)


def test_unknown_client_gets_an_error_page(client: Any, login: Any, make_patient: Any,
                                           oauth_app: Any) -> None:
    target = oauth_app()
    login(make_patient())
    response = client.get(target.authorize_url(client_id="ens-nobody"))
    assert response.status_code == 400 and "invalid_client" in response.get_data(as_text=True)


def test_pkce_is_required_and_s256_only(client: Any, login: Any, make_patient: Any,
                                        oauth_app: Any) -> None:
    target = oauth_app()
    login(make_patient())
    missing = _error_of(client.get(target.authorize_url(code_challenge=None,
                                                        code_challenge_method=None)))
    assert missing["error"] == ["invalid_request"] and missing["state"] == ["xyz"]
    plain = _error_of(client.get(target.authorize_url(code_challenge="a" * 43,
                                                      code_challenge_method="plain")))
    assert plain["error"] == ["invalid_request"]


def test_implicit_flow_is_refused(client: Any, login: Any, make_patient: Any,
                                  oauth_app: Any) -> None:
    target = oauth_app()
    login(make_patient())
    error = _error_of(client.get(target.authorize_url(response_type="token")))
    assert error["error"] == ["unsupported_response_type"]
    password = client.post("/oauth/token", headers=target.basic(), data={
        "grant_type": "password", "username": "x", "password": "y"})
    assert password.status_code == 400 and password.get_json()["error"] == "unsupported_grant_type"


def test_scope_beyond_the_agreement_is_refused_even_if_the_live_profile_lists_it(
        client: Any, login: Any, make_patient: Any, oauth_app: Any) -> None:
    target = oauth_app()
    app = reload(target.listing).app
    app.data_categories = [*app.data_categories, "calendar"]  # edited after the decision
    db.commit()
    login(make_patient())
    beyond = _error_of(client.get(target.authorize_url(scope="patient/calendar.read")))
    assert beyond["error"] == ["invalid_scope"]
    unknown = _error_of(client.get(target.authorize_url(scope="openid profile")))
    assert unknown["error"] == ["invalid_scope"]
    # A forged post of a category outside the request does not widen the grant.
    url = target.authorize_url(scope="patient/documents.read")
    forged = client.post(url, data={"csrf_token": csrf_token(client, url), "grant": "1",
                                    "categories": ["documents", "calendar"]})
    assert forged.status_code == 422
    assert db.session.scalar(select(Consent)) is None


def test_patient_may_refuse(client: Any, login: Any, make_patient: Any, oauth_app: Any) -> None:
    target = oauth_app()
    login(make_patient())
    url = target.authorize_url()
    refused = client.post(url, data={"csrf_token": csrf_token(client, url), "deny": "1"})
    assert _error_of(refused)["error"] == ["access_denied"]
    assert db.session.scalar(select(Consent)) is None


def test_only_a_patient_account_grants(client: Any, login: Any, make_user: Any,
                                       oauth_app: Any) -> None:
    target = oauth_app()
    staff = make_user(roles=[Role.SECRETARIAT])
    db.commit()
    login(staff)
    response = client.get(target.authorize_url())
    assert response.status_code == 403, response.headers.get("Location")


def test_reused_code_is_refused_and_revokes_what_it_issued(
        client: Any, login: Any, make_patient: Any, oauth_app: Any) -> None:
    target = oauth_app()
    login(make_patient())
    code = target.authorize(client)
    first = target.exchange(client, code)
    assert first.status_code == 200
    again = target.exchange(client, code)
    assert again.status_code == 400 and again.get_json()["error"] == "invalid_grant"
    access = first.get_json()["access_token"]
    assert client.get("/api/patient/v1/documents", headers=bearer(access)).status_code == 401
    assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "oauth.code_reused"))


def test_token_request_must_match_the_authorization(client: Any, login: Any, make_patient: Any,
                                                    oauth_app: Any) -> None:
    target = oauth_app()
    login(make_patient())
    code = target.authorize(client)
    wrong_uri = target.exchange(client, code, redirect_uri="https://app.exemple.fr/other")
    assert wrong_uri.status_code == 400 and wrong_uri.get_json()["error"] == "invalid_grant"
    wrong_verifier = target.exchange(client, code, code_verifier="x" * 50)
    assert wrong_verifier.status_code == 400 and wrong_verifier.get_json()["error"] == "invalid_grant"
    no_verifier = target.exchange(client, code, code_verifier=None)
    assert no_verifier.status_code == 400 and no_verifier.get_json()["error"] == "invalid_request"
    bad_secret = client.post("/oauth/token", data={
        "grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT_URI,
        "code_verifier": target.verifier, "client_id": target.client_id, "client_secret": "nope"})
    assert bad_secret.status_code == 401 and bad_secret.get_json()["error"] == "invalid_client"
    assert target.exchange(client, code).status_code == 200


def test_a_token_is_useless_to_another_client(client: Any, login: Any, make_patient: Any,
                                              oauth_app: Any) -> None:
    mine, other = oauth_app(), oauth_app()
    login(make_patient())
    code = mine.authorize(client)
    stolen = other.exchange(client, code)
    assert stolen.status_code == 400 and stolen.get_json()["error"] == "invalid_grant"
    tokens = mine.exchange(client, code).get_json()
    refresh = client.post("/oauth/token", headers=other.basic(), data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]})
    assert refresh.status_code == 400 and refresh.get_json()["error"] == "invalid_grant"
    peek = client.post("/oauth/introspect", headers=other.basic(),
                       data={"token": tokens["access_token"]})
    assert peek.get_json().get("active") is not True
    client.post("/oauth/revoke", headers=other.basic(), data={"token": tokens["access_token"]})
    assert client.get("/api/patient/v1/documents",
                      headers=bearer(tokens["access_token"])).status_code == 200


def test_unknown_or_missing_token(client: Any) -> None:
    none = client.get("/api/patient/v1/documents")
    assert none.status_code == 401 and none.headers["WWW-Authenticate"].lower().startswith("bearer")
    forged = client.get("/api/patient/v1/documents", headers=bearer("forged"))
    assert forged.status_code == 401
    assert client.get("/api/patient/v1/unknown", headers=bearer("forged")).status_code == 404


def test_token_endpoint_is_rate_limited(client: Any, app: Any, oauth_app: Any) -> None:
    target = oauth_app()
    limit = int(app.config["OAUTH_TOKEN_RATE_LIMIT"].split()[0])
    statuses = [client.post("/oauth/token", headers=target.basic(),
                            data={"grant_type": "authorization_code", "code": "x"}).status_code
                for _ in range(limit + 1)]
    assert statuses[:limit] == [400] * limit and statuses[-1] == 429
