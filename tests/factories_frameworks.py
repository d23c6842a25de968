"""Framework factories: the shipped waves, imported through the services."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

import pytest

from catalogue import db
from catalogue.frameworks.lifecycle import bring_into_force
from catalogue.frameworks.models import Framework
from catalogue.frameworks.services import import_framework
from tests.waves import SPEC_2026, SPEC_2027


@dataclass
class Waves:
    wave_2026: Framework
    wave_2027: Framework


@pytest.fixture
def ens_waves(app: Any) -> Waves:
    """Both ENS waves imported and the calendar applied on 2026-06-01: 2026.1 in force,
    2027.1 published but still to come (whatever the real date)."""
    first = import_framework(db.session, SPEC_2026).framework
    second = import_framework(db.session, SPEC_2027).framework
    bring_into_force(db.session, date(2026, 6, 1))
    # Committed (into the test's outer transaction, rolled back at the end) so that the
    # rollback closing each test-client request does not take the waves with it.
    db.commit()
    return Waves(first, second)
