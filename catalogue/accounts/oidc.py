"""Sign-in through national OpenID Connect providers, with Authlib's client.

- Pro Santé Connect (``psc``) for commission members and decision makers: the account
  is found by the provider's ``sub`` once linked, else by the RPPS number (a claim,
  matched against an RPPS an administrator recorded for the account), else by a
  *verified* e-mail address. Nobody gets an account this way: commission roles are
  granted by administrators. Our TOTP is still asked unless the provider asserts a
  second factor (``acr`` in ``OIDC_MFA_ACR_VALUES`` or ``amr`` naming one).
- FranceConnect (``franceconnect``) for patients: linked by ``sub``, else by a verified
  e-mail; a first sign-in with a verified address creates the patient's account.

A provider appears on the sign-in page only when its issuer and client id are set.
Authlib checks ``state`` (CSRF of the redirect), the ``nonce`` (replay), PKCE, the ID
token's signature, audience and expiry; we pin its issuer to the configured one.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from authlib.common.errors import AuthlibBaseError
from authlib.common.security import generate_token
from flask import Blueprint, current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_user
from joserfc.errors import JoseError
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue import db
from catalogue.accounts import services as accounts
from catalogue.accounts.auth import safe_next
from catalogue.accounts.models import COMMISSION_ROLES, ExternalIdentity, Role, User
from catalogue.audit import services as audit
from catalogue.clock import now
from catalogue.core.lazy import lazy_module
from catalogue.errors import DomainError, NotFound
from catalogue.web import commit

if TYPE_CHECKING:
    import requests
    from authlib.integrations import flask_client
else:
    # Loaded at the first sign-in through a provider: Authlib's client and the HTTP client
    # under it cost 21 MiB and 0.2 s in every process, and most deployments configure no
    # provider.
    flask_client = lazy_module("authlib.integrations.flask_client")
    requests = lazy_module("requests")

log = logging.getLogger("catalogue.oidc")

PSC = "psc"
FRANCECONNECT = "franceconnect"
RPPS = "rpps"  # ExternalIdentity.provider of an RPPS number recorded by an administrator
RPPS_CLAIMS = ("SubjectNameID", "rpps")
MFA_AMR = frozenset({"mfa", "otp", "hwk", "sms", "swk", "pop", "sc"})


@dataclass(frozen=True)
class Provider:
    key: str
    label: Any
    issuer: str
    client_id: str
    client_secret: str
    scope: str


def providers(config: Any) -> list[Provider]:
    """The configured providers (issuer and client id set), in the sign-in page's order."""
    declared = ((PSC, _l("Pro Santé Connect"), "PSC"), (FRANCECONNECT, _l("FranceConnect"), "FC"))
    found = []
    for key, label, prefix in declared:
        issuer = config.get(f"OIDC_{prefix}_ISSUER")
        client_id = config.get(f"OIDC_{prefix}_CLIENT_ID")
        if issuer and client_id:
            found.append(Provider(key, label, issuer.rstrip("/"), client_id,
                                  config.get(f"OIDC_{prefix}_CLIENT_SECRET") or "",
                                  config.get(f"OIDC_{prefix}_SCOPE") or "openid"))
    return found


def provider(key: str) -> Provider:
    for item in providers(current_app.config):
        if item.key == key:
            return item
    raise NotFound(_("Ce mode de connexion n'est pas proposé."))


def _client(item: Provider) -> Any:
    """Authlib's client for the provider, kept per process for its settings."""
    clients: dict[Provider, Any] = current_app.extensions.setdefault("oidc_clients", {})
    if item not in clients:
        registry = flask_client.OAuth()
        registry.app = current_app._get_current_object()  # no init_app: nothing global
        clients[item] = registry.register(
            item.key, client_id=item.client_id, client_secret=item.client_secret,
            server_metadata_url=f"{item.issuer}/.well-known/openid-configuration",
            client_kwargs={"scope": item.scope, "code_challenge_method": "S256"},
        )
    return clients[item]


# --- Who is signing in (services: no request, actor explicit) -------------------------------


def second_factor_asserted(claims: dict[str, Any], acr_values: str) -> bool:
    """Whether the ID token says the provider itself checked a second factor."""
    accepted = {value.strip() for value in acr_values.split(",") if value.strip()}
    amr = claims.get("amr") or []
    if isinstance(amr, str):
        amr = [amr]
    return str(claims.get("acr") or "") in accepted or bool(MFA_AMR & {str(m) for m in amr})


def _identity(session: Session, provider_key: str, subject: str) -> ExternalIdentity | None:
    return session.scalar(select(ExternalIdentity).where(
        ExternalIdentity.provider == provider_key, ExternalIdentity.subject == subject))


def record_rpps(session: Session, user: User, rpps: str, *, actor: User | None) -> None:
    """Record the RPPS number of a commission member, so that Pro Santé Connect finds them."""
    rpps = rpps.strip()
    if not rpps.isdigit() or len(rpps) != 11:
        raise DomainError("Un numéro RPPS compte 11 chiffres.")
    taken = _identity(session, RPPS, rpps)
    if taken is not None and taken.user_id != user.id:
        raise DomainError("Ce numéro RPPS est déjà associé à un autre compte.")
    if taken is None:
        session.add(ExternalIdentity(user_id=user.id, provider=RPPS, subject=rpps))
        session.flush()
        audit.record(session, "auth.rpps_recorded", actor=actor, subject=user)


def _allowed(provider_key: str, user: User) -> str | None:
    if not user.is_active or user.erased_at is not None:
        return "Ce compte est désactivé."
    if provider_key == PSC and not (user.role_set & COMMISSION_ROLES):
        return ("Pro Santé Connect est réservé aux membres de la commission et aux décideurs. "
                "Connectez-vous avec votre adresse et votre mot de passe.")
    if provider_key == FRANCECONNECT and user.role_set - {Role.PATIENT}:
        return ("FranceConnect est réservé aux comptes patients. Ce compte se connecte avec son "
                "adresse et son mot de passe (ou Pro Santé Connect).")
    return None


def resolve_user(session: Session, provider_key: str, claims: dict[str, Any]) -> User:
    """The account the provider's claims designate, linking it on first use.

    Raises ``DomainError`` (French) when no account may be used.
    """
    subject = str(claims.get("sub") or "")
    if not subject:
        raise DomainError("Le fournisseur d'identité n'a pas transmis d'identifiant.")
    identity = _identity(session, provider_key, subject)
    user = session.get(User, identity.user_id) if identity else None
    how = "sub"
    if user is None and provider_key == PSC:
        rpps = next((str(claims[c]) for c in RPPS_CLAIMS if claims.get(c)), None)
        recorded = _identity(session, RPPS, rpps) if rpps else None
        if recorded is not None:
            user, how = session.get(User, recorded.user_id), "rpps"
    if user is None:
        email = claims.get("email")
        if email and claims.get("email_verified") is not True:
            raise DomainError("Le fournisseur d'identité n'a pas vérifié votre adresse e-mail : "
                              "elle ne peut pas servir à retrouver votre compte.")
        if email:
            user, how = accounts.find_user(session, str(email)), "email"
            if user is None and provider_key == FRANCECONNECT:
                user = accounts.create_user(session, str(email), None, roles=[Role.PATIENT],
                                            verified=True, display_name=_display_name(claims))
                how = "created"
    if user is None:
        raise DomainError("Aucun compte ne correspond à cette identité. Les comptes de la "
                          "commission sont créés par un administrateur.")
    refusal = _allowed(provider_key, user)
    if refusal:
        raise DomainError(refusal)
    if identity is None:
        identity = ExternalIdentity(user_id=user.id, provider=provider_key, subject=subject)
        session.add(identity)
        session.flush()
        audit.record(session, "auth.identity_linked", actor=user, subject=user,
                     payload={"provider": provider_key, "by": how})
    identity.last_used_at = now()
    return user


def _display_name(claims: dict[str, Any]) -> str:
    parts = [str(claims.get("given_name") or ""), str(claims.get("family_name") or "")]
    return " ".join(p for p in parts if p)[:120]


# --- Routes ---------------------------------------------------------------------------------

bp = Blueprint("oidc", __name__, url_prefix="/connexion/oidc")


@bp.app_context_processor
def _sign_in_options() -> dict[str, Any]:
    return {"oidc_providers": providers(current_app.config)}


def _callback_url(key: str) -> str:
    return f"{current_app.config['BASE_URL'].rstrip('/')}/connexion/oidc/{key}/retour"


def _refuse(message: str) -> Any:
    flash(message, "danger")
    return redirect(url_for("accounts.login"))


@bp.get("/<key>")
def start(key: str) -> Any:
    """Send the browser to the provider (state, nonce and PKCE kept in the session)."""
    item = provider(key)
    client = _client(item)
    try:
        metadata = client.load_server_metadata()
    except (requests.RequestException, ValueError) as exc:
        log.warning("oidc provider %s unreachable: %s", key, exc)
        return _refuse(_("Le fournisseur d'identité ne répond pas. Réessayez plus tard."))
    if str(metadata.get("issuer", "")).rstrip("/") != item.issuer:
        log.warning("oidc provider %s announces issuer %r", key, metadata.get("issuer"))
        return _refuse(_("Le fournisseur d'identité ne s'annonce pas sous l'adresse configurée : "
                         "connexion refusée."))
    session["oidc_next"] = safe_next(request.args.get("next"))
    return client.authorize_redirect(_callback_url(key), nonce=generate_token(32))


@bp.get("/<key>/retour")
def callback(key: str) -> Any:
    """The provider's answer: Authlib checks state, nonce, signature, audience, expiry."""
    item = provider(key)
    client = _client(item)
    try:
        token = client.authorize_access_token(
            claims_options={"iss": {"essential": True, "values": [item.issuer]}})
    except (AuthlibBaseError, JoseError, requests.RequestException, ValueError, KeyError) as exc:
        log.warning("oidc sign-in refused provider=%s error=%s", key, exc)
        accounts.record_login_failure(db.session, None)
        commit()
        return _refuse(_("La connexion par %(provider)s a échoué ou a été refusée.",
                         provider=item.label))
    claims = dict(token.get("userinfo") or {})
    if not claims:
        return _refuse(_("La connexion par %(provider)s a échoué ou a été refusée.",
                         provider=item.label))
    try:
        user = resolve_user(db.session, key, claims)
    except DomainError as exc:
        db.rollback()
        return _refuse(exc.message)
    target = session.pop("oidc_next", None) or "/compte/"
    # A new session on sign-in, as with a password (nothing planted survives).
    session.clear()
    login_user(user)
    asserted = second_factor_asserted(claims, current_app.config["OIDC_MFA_ACR_VALUES"])
    session["mfa"] = bool(asserted and user.needs_second_factor)
    accounts.record_login(db.session, user, method=f"oidc:{key}")
    commit()
    if user.needs_second_factor and not session["mfa"]:
        return redirect(url_for("accounts.second_factor", next=target))
    return redirect(target)
