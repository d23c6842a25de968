"""Signed, expiring, single-use links (e-mail verification, password reset).

Each purpose has its own salt, so a token minted for one purpose is refused by
another. Single use comes from binding the token to the state it changes: a
verification token carries the address it verifies and dies once the account
is verified (or the address changes); a reset token carries a fingerprint of
the current password hash and dies as soon as the password changes.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from catalogue.accounts.models import User
from catalogue.errors import DomainError

VERIFY_EMAIL = "email-verification"
RESET_PASSWORD = "password-reset"  # noqa: S105 - a salt name, not a password

LIFETIMES = {
    VERIFY_EMAIL: timedelta(days=2),
    RESET_PASSWORD: timedelta(hours=1),
}


class InvalidToken(DomainError):
    """The link is malformed, expired, already used or meant for something else."""

    status = 400

    def __init__(self, message: str, reason: str):
        super().__init__(message)
        self.reason = reason  # "expired", "invalid" or "used": pages pick their own wording


@dataclass(frozen=True)
class _Signer:
    secret_key: str

    def serializer(self, purpose: str) -> URLSafeTimedSerializer:
        return URLSafeTimedSerializer(self.secret_key, salt=f"catalogue-ens/{purpose}")


def _fingerprint(user: User, purpose: str) -> str:
    """What must still hold for the token to be usable."""
    if purpose == VERIFY_EMAIL:
        state = f"{user.email}|{'verified' if user.email_verified_at else 'pending'}"
    else:
        state = f"{user.password_hash or ''}|{user.session_version}"
    return hashlib.sha256(state.encode()).hexdigest()[:32]


def make_token(secret_key: str, user: User, purpose: str) -> str:
    """A token for ``purpose`` bound to the user's current state."""
    return _Signer(secret_key).serializer(purpose).dumps(
        {"u": user.id, "f": _fingerprint(user, purpose)}
    )


def read_token(session: Session, secret_key: str, token: str, purpose: str) -> User:
    """The user a valid token was minted for; raises InvalidToken (message in French)."""
    lifetime = LIFETIMES[purpose]
    try:
        data = _Signer(secret_key).serializer(purpose).loads(
            token, max_age=int(lifetime.total_seconds())
        )
    except SignatureExpired:
        raise InvalidToken("Ce lien a expiré. Demandez-en un nouveau.", "expired") from None
    except BadSignature:
        raise InvalidToken("Ce lien n'est pas valide.", "invalid") from None
    if not isinstance(data, dict) or not isinstance(data.get("u"), int):
        raise InvalidToken("Ce lien n'est pas valide.", "invalid")
    user = session.get(User, data["u"])
    if user is None or not user.is_active or user.erased_at is not None:
        raise InvalidToken("Ce lien n'est pas valide.", "invalid")
    if not hmac.compare_digest(str(data.get("f", "")), _fingerprint(user, purpose)):
        raise InvalidToken("Ce lien a déjà été utilisé ou n'est plus valable.", "used")
    return user
