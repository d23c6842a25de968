"""Sign-in through OpenID Connect providers, against a real OpenID provider started on
127.0.0.1 (PyPI ``oidc-provider-mock``): linking, the second factor, and each check
(state, nonce, issuer, expiry, unverified e-mail)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

import oidc_provider_mock
import pyotp
import pytest
import requests
from sqlalchemy import select
from werkzeug.serving import make_server

from catalogue import db
from catalogue.accounts import oidc
from catalogue.accounts.models import ExternalIdentity, Role, User
from catalogue.audit.models import AuditEvent
from tests.accounts.helpers import post_form


class Provider:
    """A running OpenID provider and how to sign a user in at it."""

    def __init__(self, url: str) -> None:
        self.url = url

    def user(self, sub: str, **claims: Any) -> None:
        answer = requests.put(f"{self.url}/users/{sub}", json=claims, timeout=10)
        assert answer.status_code == 204

    def authorize(self, location: str, sub: str) -> str:
        """Submit the provider's form for ``sub``; the URL it sends the browser back to."""
        answer = requests.post(location, data={"sub": sub}, allow_redirects=False, timeout=10)
        assert answer.status_code == 302, answer.text[:300]
        return answer.headers["Location"]


@pytest.fixture
def start_provider(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Provider]]:
    # The provider speaks plain http on the loopback: Authlib must be told that is fine.
    monkeypatch.setenv("AUTHLIB_INSECURE_TRANSPORT", "1")
    servers: list[Any] = []

    def start(*, forged_hosts: dict[str, str] | None = None, **options: Any) -> Provider:
        wsgi = oidc_provider_mock.app(require_nonce=True, **options)
        if forged_hosts:
            inner = wsgi.wsgi_app

            def forged(environ: dict[str, Any], start_response: Any) -> Any:
                # The provider names its issuer after the Host it is asked on: answers of
                # these paths name another issuer than the configured one.
                if environ["PATH_INFO"] in forged_hosts:
                    environ["HTTP_HOST"] = forged_hosts[environ["PATH_INFO"]]
                return inner(environ, start_response)

            wsgi.wsgi_app = forged
        server = make_server("127.0.0.1", 0, wsgi, threaded=True)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return Provider(f"http://127.0.0.1:{server.server_port}")

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.fixture
def configure(app: Any, monkeypatch: pytest.MonkeyPatch) -> Callable[..., None]:
    def set_provider(provider: Provider, prefix: str = "PSC") -> None:
        monkeypatch.setitem(app.config, f"OIDC_{prefix}_ISSUER", provider.url)
        monkeypatch.setitem(app.config, f"OIDC_{prefix}_CLIENT_ID", "catalogue-ens")
        monkeypatch.setitem(app.config, f"OIDC_{prefix}_CLIENT_SECRET", "secret")
        monkeypatch.setitem(app.config, f"OIDC_{prefix}_SCOPE", "openid email profile")

    return set_provider


@pytest.fixture
def member_at(account: Any, configure: Any, start_provider: Any) -> Callable[..., Provider]:
    """A commission member with an account here and an identity at a configured provider."""

    def setup(sub: str, email: str, *, provider_options: dict[str, Any] | None = None,
              **claims: Any) -> Provider:
        account(email=email, roles=[Role.MEMBER])
        provider = start_provider(**(provider_options or {}))
        configure(provider)
        provider.user(sub, **{"email": email, "email_verified": True, **claims})
        return provider

    return setup


def _sign_in(client: Any, provider: Provider, sub: str, key: str = "psc",
             tamper: Callable[[str], str] | None = None) -> Any:
    start = client.get(f"/connexion/oidc/{key}")
    assert start.status_code == 302, start.get_data(as_text=True)[:300]
    location = tamper(start.headers["Location"]) if tamper else start.headers["Location"]
    back = urlsplit(provider.authorize(location, sub))
    assert back.path == f"/connexion/oidc/{key}/retour"
    return client.get(f"{back.path}?{back.query}")


def _replacing(name: str, value: str) -> Callable[[str], str]:
    """Rewrite one parameter of the authorization request on its way to the provider."""

    def tamper(location: str) -> str:
        parts = urlsplit(location)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        query[name] = value
        return urlunsplit(parts._replace(query=urlencode(query)))

    return tamper


def _signed_in(client: Any) -> bool:
    with client.session_transaction() as sess:
        return "_user_id" in sess


def _identities(user_id: int) -> list[str]:
    return list(db.session.scalars(select(ExternalIdentity.provider)
                                   .where(ExternalIdentity.user_id == user_id)))


def test_unconfigured_providers_do_not_show(client: Any, configure: Any,
                                            start_provider: Any) -> None:
    page = client.get("/connexion").get_data(as_text=True)
    assert "Pro Santé Connect" not in page and "FranceConnect" not in page
    assert client.get("/connexion/oidc/psc").status_code == 404
    configure(start_provider())
    page = client.get("/connexion").get_data(as_text=True)
    assert "Pro Santé Connect" in page and "FranceConnect" not in page


def test_member_links_by_verified_email_then_passes_our_totp(
        client: Any, account: Any, configure: Any, start_provider: Any) -> None:
    member = account(email="membre@example.org", roles=[Role.MEMBER])
    provider = start_provider()
    configure(provider)
    provider.user("psc-123", email="membre@example.org", email_verified=True)
    answer = _sign_in(client, provider, "psc-123")
    assert answer.status_code == 302 and answer.location.startswith("/connexion/totp")
    assert client.get("/compte/").location.startswith("/connexion/totp")
    passed = post_form(client, "/connexion/totp",
                       {"code": pyotp.TOTP(member.totp_secret).now(), "next": "/compte/"})
    assert passed.status_code == 302 and client.get("/compte/").status_code == 200
    assert _identities(member.id) == ["psc"]
    methods = [e.payload.get("method") for e in db.session.scalars(
        select(AuditEvent).where(AuditEvent.action == "auth.login"))]
    assert "oidc:psc" in methods


def test_second_factor_asserted_by_the_provider_skips_our_totp(
        client: Any, account: Any, configure: Any, start_provider: Any) -> None:
    account(email="decideur@example.org", roles=[Role.DECISION_MAKER])
    provider = start_provider()
    configure(provider)
    provider.user("psc-456", email="decideur@example.org", email_verified=True, acr="eidas2")
    answer = _sign_in(client, provider, "psc-456")
    assert answer.status_code == 302 and answer.location == "/compte/"
    assert client.get("/compte/").status_code == 200


def test_member_links_by_rpps_claim(client: Any, account: Any, configure: Any,
                                    start_provider: Any) -> None:
    member = account(email="chair@example.org", roles=[Role.CHAIR, Role.MEMBER])
    oidc.record_rpps(db.session, member, "10001234567", actor=None)
    db.commit()
    provider = start_provider()
    configure(provider)
    provider.user("psc-789", SubjectNameID="10001234567")
    assert _sign_in(client, provider, "psc-789").location.startswith("/connexion/totp")
    assert sorted(_identities(member.id)) == ["psc", "rpps"]


def test_unverified_email_links_nothing(client: Any, member_at: Any) -> None:
    provider = member_at("psc-unverified", "membre2@example.org", email_verified=False)
    member_id = db.session.scalar(select(User.id).where(User.email == "membre2@example.org"))
    answer = _sign_in(client, provider, "psc-unverified")
    assert answer.location == "/connexion" and not _signed_in(client)
    assert "adresse e-mail" in client.get("/connexion").get_data(as_text=True)
    assert _identities(member_id) == []


def test_patient_cannot_use_pro_sante_connect(client: Any, account: Any, configure: Any,
                                              start_provider: Any) -> None:
    account(email="patiente@example.org", roles=[Role.PATIENT])
    provider = start_provider()
    configure(provider)
    provider.user("psc-patient", email="patiente@example.org", email_verified=True)
    assert _sign_in(client, provider, "psc-patient").location == "/connexion"
    assert not _signed_in(client)


def test_franceconnect_creates_then_finds_the_patient(client: Any, app: Any, configure: Any,
                                                      start_provider: Any) -> None:
    provider = start_provider()
    configure(provider, "FC")
    provider.user("fc-1", email="nouvelle@example.org", email_verified=True,
                  given_name="Camille", family_name="Martin")
    assert _sign_in(client, provider, "fc-1", key="franceconnect").location == "/compte/"
    user = db.session.scalar(select(User).where(User.email == "nouvelle@example.org"))
    assert user.role_set == {Role.PATIENT} and user.password_hash is None
    assert user.display_name == "Camille Martin" and user.email_verified_at is not None
    user_id = user.id
    other = app.test_client()
    assert _sign_in(other, provider, "fc-1", key="franceconnect").location == "/compte/"
    assert db.session.scalar(select(User).where(User.email == "nouvelle@example.org")).id == user_id


def test_state_must_be_the_one_sent(client: Any, app: Any, member_at: Any, caplog: Any) -> None:
    provider = member_at("psc-state", "membre3@example.org")
    forged = _replacing("state", "forged-state")
    assert _sign_in(client, provider, "psc-state", tamper=forged).location == "/connexion"
    assert not _signed_in(client)
    # A code obtained in another browser (login CSRF) is refused in this one.
    start = app.test_client().get("/connexion/oidc/psc")
    back = urlsplit(provider.authorize(start.headers["Location"], "psc-state"))
    assert client.get(f"{back.path}?{back.query}").location == "/connexion"
    assert not _signed_in(client)
    assert caplog.text.count("mismatching_state") >= 2


def test_nonce_must_be_the_one_sent(client: Any, member_at: Any, caplog: Any) -> None:
    provider = member_at("psc-nonce", "membre4@example.org")
    replayed = _replacing("nonce", "replayed-nonce")
    assert _sign_in(client, provider, "psc-nonce", tamper=replayed).location == "/connexion"
    assert not _signed_in(client)
    assert "Invalid claim: 'nonce'" in caplog.text


def test_id_token_from_another_issuer_is_refused(client: Any, member_at: Any, caplog: Any) -> None:
    provider = member_at("psc-iss", "membre5@example.org",
                         provider_options={"forged_hosts": {"/oauth2/token": "evil.example"}})
    assert _sign_in(client, provider, "psc-iss").location == "/connexion"
    assert not _signed_in(client)
    assert "Invalid claim: 'iss'" in caplog.text


def test_provider_announcing_another_issuer_is_not_used(client: Any, configure: Any,
                                                        start_provider: Any) -> None:
    provider = start_provider(
        forged_hosts={"/.well-known/openid-configuration": "evil.example"})
    configure(provider)
    refused = client.get("/connexion/oidc/psc")
    assert refused.location == "/connexion"
    assert "adresse configurée" in client.get("/connexion").get_data(as_text=True)


def test_expired_id_token_is_refused(client: Any, member_at: Any, caplog: Any) -> None:
    provider = member_at("psc-exp", "membre6@example.org",
                         provider_options={"access_token_max_age": timedelta(minutes=-10)})
    assert _sign_in(client, provider, "psc-exp").location == "/connexion"
    assert not _signed_in(client)
    assert "expired" in caplog.text


def test_rpps_command(app: Any, account: Any) -> None:
    account(email="membre7@example.org", roles=[Role.MEMBER])
    runner = app.test_cli_runner()
    assert runner.invoke(args=["users", "rpps", "membre7@example.org", "123"]).exit_code == 1
    done = runner.invoke(args=["users", "rpps", "membre7@example.org", "10009876543"])
    assert done.exit_code == 0, done.output
    assert db.session.scalar(select(ExternalIdentity.subject).where(
        ExternalIdentity.provider == "rpps")) == "10009876543"
