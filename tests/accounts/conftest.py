"""Fixtures of the account tests."""

from __future__ import annotations

from typing import Any

import pytest

from catalogue import db


@pytest.fixture
def account(make_user: Any) -> Any:
    """``make_user`` then commit (the test's outer transaction still rolls it back),
    so the requests of the test client, which end with a rollback, see the account."""

    def factory(**kwargs: Any) -> Any:
        user = make_user(**kwargs)
        db.commit()
        return user

    return factory
