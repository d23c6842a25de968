"""Fixtures of the benchmark tests."""

from __future__ import annotations

from typing import Any

import pytest

from catalogue import db
from catalogue.accounts.models import Role
from catalogue.demo import listings as demo_listings
from catalogue.demo.cli import SeedOptions


@pytest.fixture
def seed_catalogue(app: Any, ens_waves: Any, make_user: Any) -> Any:
    """``seed_catalogue(n)`` tops the catalogue up to ``n`` published listings through the
    demo part that ``flask demo seed --apps n`` runs (bulk inserts, search index, version)."""
    make_user(roles=[Role.DECISION_MAKER])
    make_user(roles=[Role.CHAIR])
    db.commit()

    def top_up(apps: int) -> None:
        demo_listings.seed(db.session, SeedOptions(apps=apps, seed=2026))
        # Committed into the test's outer transaction (rolled back at the end), so the
        # rollback that closes each request does not take the listings with it.
        db.commit()

    return top_up
