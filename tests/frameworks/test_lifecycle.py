"""The framework lifecycle: draft → in_force → retired, driven by the clock."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from catalogue.audit.models import AuditEvent
from catalogue.clock import now, today
from catalogue.frameworks import queries as framework_queries
from catalogue.frameworks import services
from catalogue.frameworks.lifecycle import FRAMEWORK_LIFECYCLE, bring_into_force
from catalogue.frameworks.loader import load_framework_file
from catalogue.frameworks.models import FrameworkStatus
from catalogue.lifecycles import lifecycle
from tests.waves import WAVE_2026, WAVE_2027
from workflows.engine import SYSTEM, TransitionRefused, available, fire

S = FrameworkStatus


def events(session, action: str) -> list[AuditEvent]:
    return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_the_table_is_consistent_and_registered():
    assert lifecycle("framework") is FRAMEWORK_LIFECYCLE
    states = set(FRAMEWORK_LIFECYCLE.states)
    assert states == {s.value for s in FrameworkStatus}
    for transition in FRAMEWORK_LIFECYCLE.transitions:
        assert set(transition.sources) <= states
        assert set(transition.targets) <= states
        assert transition.roles == frozenset({SYSTEM})
        assert not set(transition.sources) & FRAMEWORK_LIFECYCLE.final
    assert set(FRAMEWORK_LIFECYCLE.state_labels) == states


def test_waves_come_into_force_on_their_date_in_paris(session, clock):
    first = services.import_framework(session, WAVE_2026).framework
    second = services.import_framework(session, WAVE_2027).framework

    # The clock fixture stands on 2026-03-02: the first wave is due, the second is not.
    assert bring_into_force(session, today()) == 1
    assert first.status is S.IN_FORCE and first.in_force_at == now()
    assert second.status is S.DRAFT
    # Idempotent: a second tick the same day changes nothing.
    assert bring_into_force(session, today()) == 0
    assert len(events(session, "framework.bring_into_force")) == 1

    # 2026-12-31 23:59 in Paris is still 2026.
    clock.move_to(datetime(2026, 12, 31, 22, 59, tzinfo=UTC))
    assert bring_into_force(session, today()) == 0
    assert second.status is S.DRAFT

    # Midnight in Paris (23:00 UTC) brings 2027.1 in and retires 2026.1, in one go.
    clock.move_to(datetime(2026, 12, 31, 23, 0, tzinfo=UTC))
    assert today() == date(2027, 1, 1)
    assert bring_into_force(session, today()) == 1
    assert first.status is S.RETIRED and first.retired_at == now()
    assert second.status is S.IN_FORCE and second.in_force_at == now()
    assert framework_queries.framework_in_force(session) is second

    retire = events(session, "framework.retire")
    assert len(retire) == 1
    assert retire[0].actor_id is None
    assert retire[0].subject_id == str(first.id)
    assert retire[0].payload["from"] == "in_force" and retire[0].payload["to"] == "retired"
    assert retire[0].payload["replaced_by"] == "2027.1"
    brought = events(session, "framework.bring_into_force")[-1]
    assert brought.subject_id == str(second.id)
    assert (brought.payload["from"], brought.payload["to"]) == ("draft", "in_force")


def test_a_draft_cannot_be_brought_into_force_before_its_date(session, clock):
    second = services.import_framework(session, WAVE_2027).framework

    with pytest.raises(TransitionRefused) as caught:
        fire(session, FRAMEWORK_LIFECYCLE, second, "bring_into_force", None, today=today())

    assert caught.value.message == "La version ENS 2027.1 n'entre en vigueur que le 2027-01-01."
    assert second.status is S.DRAFT


def test_no_person_may_move_a_framework(session, make_user, clock):
    from catalogue.accounts.models import Role

    admin = make_user(roles=[Role.ADMIN])
    first = services.import_framework(session, WAVE_2026).framework

    assert available(session, FRAMEWORK_LIFECYCLE, first, admin) == []
    with pytest.raises(TransitionRefused):
        fire(session, FRAMEWORK_LIFECYCLE, first, "bring_into_force", admin, today=today())
    assert first.status is S.DRAFT


def test_bringing_in_needs_the_previous_version_retired_first(session, clock):
    first = services.import_framework(session, WAVE_2026).framework
    second = services.import_framework(session, WAVE_2027).framework
    bring_into_force(session, today())
    clock.move_to(datetime(2027, 2, 1, 9, 0, tzinfo=UTC))

    with pytest.raises(TransitionRefused) as caught:
        fire(session, FRAMEWORK_LIFECYCLE, second, "bring_into_force", None, today=today())
    assert "ENS 2026.1 est encore en vigueur" in caught.value.message
    assert first.status is S.IN_FORCE


def test_a_version_without_successor_due_cannot_be_retired(session, clock):
    first = services.import_framework(session, WAVE_2026).framework
    services.import_framework(session, WAVE_2027)
    bring_into_force(session, today())

    with pytest.raises(TransitionRefused) as caught:
        fire(session, FRAMEWORK_LIFECYCLE, first, "retire", None, today=today())
    assert "Aucune version plus récente" in caught.value.message


def test_a_draft_imported_late_is_retired_without_coming_into_force(session, clock):
    clock.move_to(datetime(2027, 3, 1, 9, 0, tzinfo=UTC))
    services.import_framework(session, WAVE_2027)
    bring_into_force(session, today())
    late = services.import_framework(session, WAVE_2026).framework

    assert bring_into_force(session, today()) == 0
    assert late.status is S.RETIRED and late.in_force_at is None
    assert framework_queries.framework_in_force(session).version == "2027.1"


def test_the_database_allows_one_version_in_force_per_code(session, clock):
    services.import_framework(session, WAVE_2026)
    second = services.import_framework(session, WAVE_2027).framework
    bring_into_force(session, today())

    second.status = S.IN_FORCE
    with pytest.raises(IntegrityError):
        session.flush()
    session.rollback()


def test_a_draft_with_a_later_date_waits(session, clock):
    spec = load_framework_file(WAVE_2026)
    postponed = dataclasses.replace(spec, effective_from=date(2026, 4, 1))
    framework = services.import_framework(session, postponed).framework

    assert bring_into_force(session, today()) == 0
    clock.move_to(datetime(2026, 4, 1, 6, 0, tzinfo=UTC))
    assert bring_into_force(session, today()) == 1
    assert framework.status is S.IN_FORCE
