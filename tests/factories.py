"""Factories that go through the services, so tests never build forbidden states.

Each domain adds its factories here as fixtures (``make_<thing>``)."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

import pyotp
import pytest

from catalogue import db
from catalogue.accounts import services as accounts
from catalogue.accounts.models import Role, User

PASSWORD = "Correct-Horse-42!"
_counter = itertools.count(1)


@pytest.fixture
def make_user(app: Any) -> Any:
    """``make_user(roles=[Role.SECRETARIAT], email=None, password=PASSWORD)``.

    Users whose roles need a second factor get a TOTP secret enrolled.
    """

    def factory(
        roles: Iterable[Role] = (),
        email: str | None = None,
        password: str = PASSWORD,
        display_name: str = "",
    ) -> User:
        n = next(_counter)
        user = accounts.create_user(
            db.session,
            email or f"user{n}@example.org",
            password,
            display_name=display_name or f"Utilisatrice {n}",
            roles=list(roles),
            verified=True,
        )
        if user.needs_second_factor:
            user.totp_secret = pyotp.random_base32()
            user.totp_enabled_at = user.created_at
        db.session.flush()
        return user

    return factory
