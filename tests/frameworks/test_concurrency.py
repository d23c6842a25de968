"""Two clock ticks at once on two connections: one wave comes into force, once."""

from __future__ import annotations

import threading
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalogue.audit.models import AuditEvent
from catalogue.frameworks.lifecycle import bring_into_force
from catalogue.frameworks.models import Framework, FrameworkStatus
from catalogue.frameworks.services import import_framework
from tests.conftest import committed_data, is_postgres
from tests.waves import WAVE_2026, WAVE_2027


@pytest.fixture
def committed_waves(app):
    """Both waves imported and committed for real, 2026.1 in force; every table that was
    empty before is emptied afterwards."""
    if not is_postgres(app):
        pytest.skip("needs PostgreSQL (two real connections, row locks)")
    engine = app.extensions["engine"]
    with committed_data(app) as empty_before:
        if "frameworks" not in empty_before:
            pytest.skip("the frameworks table is not empty")
        with Session(engine, expire_on_commit=False) as session:
            import_framework(session, WAVE_2026)
            import_framework(session, WAVE_2027)
            bring_into_force(session, date(2026, 6, 1))
            session.commit()
        yield engine


@pytest.mark.committing
def test_two_concurrent_ticks_bring_the_wave_in_once(app, committed_waves):
    engine = committed_waves
    barrier = threading.Barrier(2)
    brought: list[int] = []
    errors: list[BaseException] = []

    def tick() -> None:
        try:
            with app.app_context(), Session(engine, expire_on_commit=False) as session:
                barrier.wait()
                brought.append(bring_into_force(session, date(2027, 1, 1)))
                session.commit()
        except BaseException as exc:  # reported below, with the thread's traceback lost
            errors.append(exc)

    threads = [threading.Thread(target=tick) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)

    assert not errors, errors
    assert sorted(brought) == [0, 1]
    with Session(engine) as session:
        statuses = dict(session.execute(select(Framework.version, Framework.status)).all())
        assert statuses == {"2026.1": FrameworkStatus.RETIRED, "2027.1": FrameworkStatus.IN_FORCE}
        assert session.scalar(select(func.count(AuditEvent.id)).where(
            AuditEvent.action == "framework.bring_into_force")) == 2  # 2026.1, then 2027.1 once
