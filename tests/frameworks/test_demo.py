"""The `frameworks` part of `flask demo seed`."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import func, select

from catalogue.audit.models import AuditEvent
from catalogue.demo import frameworks as demo
from catalogue.frameworks.models import Framework, FrameworkStatus


def test_seed_imports_both_waves_applies_the_calendar_and_is_idempotent(session, clock):
    lines = demo.seed(session, None)

    rows = session.scalars(select(Framework).order_by(Framework.version)).all()
    assert [(f.version, f.status) for f in rows] == [
        ("2026.1", FrameworkStatus.IN_FORCE), ("2027.1", FrameworkStatus.DRAFT)]
    assert lines == ["Référentiels : ENS 2026.1 en vigueur, 67 exigences ; "
                     "ENS 2027.1 à venir (en vigueur le 2027-01-01), 76 exigences."]
    events = session.scalar(select(func.count(AuditEvent.id)))

    assert demo.seed(session, None) == lines
    assert session.scalar(select(func.count(Framework.id))) == 2
    assert session.scalar(select(func.count(AuditEvent.id))) == events

    clock.move_to(datetime(2027, 1, 2, 9, 0, tzinfo=UTC))
    assert "ENS 2026.1 retiré" in demo.seed(session, None)[0]
