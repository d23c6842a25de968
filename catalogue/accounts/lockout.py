"""Failed sign-ins counted per account, in the rate limiter's storage.

The key is a hash of the normalised address typed, whether or not an account
exists, so the lock-out message cannot be used to learn which addresses have
an account. With ``REDIS_URL`` set the counts are shared by every process.
"""

from __future__ import annotations

import hashlib
import unicodedata

from limits import parse

from catalogue.accounts.services import normalise_email
from catalogue.errors import ValidationFailed
from catalogue.extensions import limiter
from catalogue.settings import setting

MAX_FAILURES = 5
WINDOW = "15 minutes"
_LIMIT = parse(f"{MAX_FAILURES}/{WINDOW}")


def _key(email: str) -> str:
    # The very normalisation ``find_user`` applies (IDNA of the domain, lower case): every
    # spelling that reaches an account (``pt1@ｅｘｅｍｐｌｅ.fr``) counts against that account.
    try:
        identity = normalise_email(email)
    except ValidationFailed:
        identity = unicodedata.normalize("NFKC", email).strip().casefold()
    return f"{setting('REDIS_NAMESPACE')}:login-failures:" + hashlib.sha256(identity.encode()).hexdigest()


def _strategy():
    try:
        return limiter.limiter
    except (AttributeError, RuntimeError):  # not initialised (limits disabled)
        return None


def is_locked(email: str) -> bool:
    """True once ``MAX_FAILURES`` failures happened within the window."""
    strategy = _strategy()
    return strategy is not None and not strategy.test(_LIMIT, _key(email))


def record_failure(email: str) -> bool:
    """Count one failure; True when this failure locks the account."""
    strategy = _strategy()
    if strategy is None:
        return False
    strategy.hit(_LIMIT, _key(email))
    return not strategy.test(_LIMIT, _key(email))


def clear(email: str) -> None:
    """Forget the failures after a successful sign-in or a password reset."""
    strategy = _strategy()
    if strategy is not None:
        strategy.clear(_LIMIT, _key(email))
