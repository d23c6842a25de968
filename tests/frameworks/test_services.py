"""Importing waves and finding versions through the frameworks services."""

from __future__ import annotations

import dataclasses
from datetime import date

import pytest
from sqlalchemy import func, select

from catalogue.audit.models import AuditEvent
from catalogue.errors import Conflict, NotFound, ValidationFailed
from catalogue.frameworks import queries as framework_queries
from catalogue.frameworks import services
from catalogue.frameworks.lifecycle import bring_into_force
from catalogue.frameworks.loader import content_hash, load_framework_file
from catalogue.frameworks.models import Framework, FrameworkStatus, Requirement
from catalogue.frameworks.services import ImportOutcome
from catalogue.frameworks.vocabulary import PREDICATES
from tests.waves import WAVE_2026, WAVE_2027


def count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def audit_actions(session) -> list[str]:
    return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def reworded(spec, code: str, statement: str):
    """The spec with one requirement's statement changed."""
    requirements = tuple(
        dataclasses.replace(r, statement=statement) if r.code == code else r
        for r in spec.requirements
    )
    return dataclasses.replace(spec, requirements=requirements)


def test_import_writes_the_version_as_a_draft_with_every_requirement(session, make_user):
    admin = make_user()
    spec = load_framework_file(WAVE_2026)

    result = services.import_framework(session, WAVE_2026, actor=admin)

    assert result.outcome is ImportOutcome.CREATED
    framework = result.framework
    assert (framework.code, framework.version) == ("ENS", "2026.1")
    assert framework.status is FrameworkStatus.DRAFT
    assert framework.effective_from == date(2026, 1, 1)
    assert framework.content_hash == content_hash(spec)
    assert [c.code for c in framework.categories] == [c.code for c in spec.categories]
    assert len(framework.categories) >= 10
    rows = session.scalars(
        select(Requirement).where(Requirement.framework_id == framework.id)
        .order_by(Requirement.position)
    ).all()
    assert [r.code for r in rows] == [r.code for r in spec.requirements]
    heb = next(r for r in rows if r.code == "HEB-01")
    expected = next(r for r in spec.requirements if r.code == "HEB-01")
    assert heb.statement == expected.statement
    assert heb.applies_if == list(expected.applies_if)
    assert heb.evidence == list(expected.evidence)
    assert heb.mandatory is expected.mandatory
    # The stored rows hash the same as the file: what was imported is what was validated.
    assert content_hash(framework) == framework.content_hash

    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "framework.import"))
    assert event.actor_id == admin.id
    assert event.subject_id == str(framework.id)
    assert event.payload["requirements"] == len(spec.requirements)


def test_importing_the_same_file_twice_changes_nothing(session):
    first = services.import_framework(session, WAVE_2026)
    ids = [r.id for r in first.framework.requirements]
    version_id = first.framework.version_id
    events = count(session, AuditEvent)

    again = services.import_framework(session, WAVE_2026)

    assert again.outcome is ImportOutcome.UNCHANGED and not again.changed
    assert again.framework.id == first.framework.id
    assert [r.id for r in again.framework.requirements] == ids
    assert again.framework.version_id == version_id
    assert count(session, Framework) == 1
    assert count(session, AuditEvent) == events


def test_an_invalid_spec_is_refused_with_every_problem_and_nothing_written(session):
    data = {"code": "ENS", "version": "2026.1", "title": "T", "title_en": "T",
            "effective_from": "2026-02-30", "compliance_deadline": None,
            "categories": [{"code": "security", "title": "Sécurité", "title_en": "Security"}],
            "requirements": [
                {"code": "SEC-01", "category": "nowhere", "title": "A", "title_en": "A",
                 "statement": "S", "mandatory": True, "applies_if": ["flies"],
                 "allow_not_applicable": False, "evidence": ["horoscope"]},
            ]}

    with pytest.raises(ValidationFailed) as caught:
        services.import_framework(session, data)

    errors = caught.value.errors
    assert any("effective_from" in e and "2026-02-30" in e for e in errors)
    assert "exigence SEC-01 : catégorie inconnue « nowhere »" in errors
    assert any(e.startswith("exigence SEC-01") and "flies" in e for e in errors)
    assert any(e.startswith("exigence SEC-01") and "horoscope" in e for e in errors)
    assert "rien n'a été importé" in caught.value.message
    assert count(session, Framework) == 0


def test_a_missing_file_is_a_validation_error(session, tmp_path):
    with pytest.raises(ValidationFailed) as caught:
        services.import_framework(session, tmp_path / "absent.yaml")
    assert "fichier illisible" in caught.value.errors[0]


@pytest.mark.parametrize("status", [FrameworkStatus.IN_FORCE, FrameworkStatus.RETIRED])
def test_a_version_in_force_or_retired_is_never_changed(session, status):
    spec = load_framework_file(WAVE_2026)
    framework = services.import_framework(session, spec).framework
    if status is FrameworkStatus.IN_FORCE:
        bring_into_force(session, date(2026, 1, 1))
    else:
        services.import_framework(session, WAVE_2027)
        bring_into_force(session, date(2027, 1, 1))
    assert framework.status is status
    before = (framework.content_hash, framework.version_id)
    statement = next(r for r in framework.requirements if r.code == "SEC-03").statement

    with pytest.raises(Conflict) as caught:
        services.import_framework(session, reworded(spec, "SEC-03", "Autre énoncé."))

    assert "ne peut plus être modifiée" in caught.value.message
    assert "nouvelle version" in caught.value.message
    assert caught.value.errors == ["exigence SEC-03 : modifiée"]
    session.expire_all()
    assert (framework.content_hash, framework.version_id) == before
    assert next(r for r in framework.requirements if r.code == "SEC-03").statement == statement
    # The unchanged file is still accepted (as a no-op) once the version is in force.
    assert services.import_framework(session, spec).outcome is ImportOutcome.UNCHANGED


def test_an_unused_draft_is_updated_in_place_keeping_requirement_ids(session, make_user):
    admin = make_user()
    spec = load_framework_file(WAVE_2027)
    framework = services.import_framework(session, spec).framework
    ids = {r.code: r.id for r in framework.requirements}
    dropped, changed = spec.requirements[0].code, spec.requirements[1].code
    added = dataclasses.replace(spec.requirements[1], code="ENV-99", position=999)
    requirements = (
        *(dataclasses.replace(r, mandatory=not r.mandatory) if r.code == changed else r
          for r in spec.requirements[1:]),
        added,
    )
    corrected = dataclasses.replace(
        spec, requirements=requirements, compliance_deadline=date(2028, 3, 31)
    )

    result = services.import_framework(session, corrected, actor=admin)

    assert result.outcome is ImportOutcome.UPDATED
    assert result.framework.id == framework.id
    assert framework.compliance_deadline == date(2028, 3, 31)
    assert framework.content_hash == content_hash(corrected)
    rows = {r.code: r for r in session.scalars(
        select(Requirement).where(Requirement.framework_id == framework.id))}
    assert dropped not in rows
    assert "ENV-99" in rows
    assert rows[changed].id == ids[changed]
    assert rows[changed].mandatory is not next(
        r for r in spec.requirements if r.code == changed).mandatory
    assert all(rows[code].id == ids[code] for code in ids if code != dropped)
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "framework.update_draft"))
    assert event.actor_id == admin.id
    assert event.payload["added"] == ["ENV-99"]
    assert event.payload["removed"] == [dropped]
    assert changed in event.payload["modified"]


def test_versions_must_come_into_force_in_the_order_of_their_numbers(session):
    services.import_framework(session, WAVE_2026)
    spec = load_framework_file(WAVE_2027)

    for wrong in (date(2025, 6, 1), date(2026, 1, 1)):
        with pytest.raises(ValidationFailed) as caught:
            services.import_framework(session, dataclasses.replace(spec, effective_from=wrong,
                                                                   compliance_deadline=None))
        assert "2026.1" in caught.value.errors[0]
    assert count(session, Framework) == 1


def test_get_framework_and_not_found(session, ens_waves):
    assert framework_queries.get_framework(session, "ENS", "2027.1") is ens_waves.wave_2027
    with pytest.raises(NotFound) as caught:
        framework_queries.get_framework(session, "ENS", "1999.1")
    assert caught.value.message == "Le référentiel ENS 1999.1 n'existe pas."


def test_version_in_force_latest_published_and_by_date(session, ens_waves):
    assert framework_queries.framework_in_force(session) is ens_waves.wave_2026
    assert framework_queries.latest_published(session) is ens_waves.wave_2027
    assert framework_queries.framework_in_force(session, "ENS", on=date(2027, 2, 1)) is ens_waves.wave_2027
    assert framework_queries.framework_in_force(session, "ENS", on=date(2026, 12, 31)) is ens_waves.wave_2026
    assert framework_queries.framework_in_force(session, "ENS", on=date(2025, 12, 31)) is None
    assert framework_queries.framework_in_force(session, "XYZ") is None
    assert framework_queries.latest_published(session, "XYZ") is None
    assert framework_queries.previous_version(session, ens_waves.wave_2027) is ens_waves.wave_2026
    assert framework_queries.next_version(session, ens_waves.wave_2026) is ens_waves.wave_2027
    assert framework_queries.next_version(session, ens_waves.wave_2027) is None


def test_list_frameworks_counts_requirements_in_two_queries(session, ens_waves, count_queries):
    with count_queries() as counter:
        summaries = framework_queries.list_frameworks(session)
    assert counter.count == 2
    assert [s.framework.version for s in summaries] == ["2027.1", "2026.1"]
    for summary in summaries:
        rows = summary.framework.requirements
        assert summary.requirement_count == len(rows)
        assert summary.mandatory_count == sum(1 for r in rows if r.mandatory)
    assert summaries[0].mandatory_count > summaries[1].mandatory_count


def test_requirements_for_profile_keeps_only_applicable_ones(session, ens_waves):
    framework = ens_waves.wave_2026
    bare = framework_queries.requirements_for_profile(framework, [])
    assert bare and all(not r.applies_if for r in bare)
    with_ai = framework_queries.requirements_for_profile(framework, {"uses_ai": True})
    assert {r.code for r in with_ai} - {r.code for r in bare}
    assert all(set(r.applies_if) <= {"uses_ai"} for r in with_ai)
    every = framework_queries.requirements_for_profile(framework, list(PREDICATES))
    assert len(every) == len(framework.requirements)
    with pytest.raises(ValueError, match="flies"):
        framework_queries.requirements_for_profile(framework, ["flies"])


def test_the_version_token_moves_with_every_change(session):
    empty = framework_queries.frameworks_token(session)
    services.import_framework(session, WAVE_2026)
    imported = framework_queries.frameworks_token(session)
    services.import_framework(session, WAVE_2026)
    assert framework_queries.frameworks_token(session) == imported != empty
    bring_into_force(session, date(2026, 1, 1))
    assert framework_queries.frameworks_token(session) != imported


def test_a_draft_something_points_at_is_not_rewritten(session, make_dossier):
    dossier = make_dossier()
    spec = load_framework_file(WAVE_2027)
    draft = services.import_framework(session, spec).framework
    # No rule opens a dossier on a wave still to come today; should one ever do so (or an
    # answer point at one of its requirements), the draft must stop changing all the same.
    dossier.framework_id = draft.id
    session.flush()

    with pytest.raises(Conflict) as caught:
        services.import_framework(session, reworded(spec, "SEC-11", "Autre énoncé."))

    assert "déjà utilisée (1 dossier(s))" in caught.value.message
    assert caught.value.errors == ["exigence SEC-11 : modifiée"]
    assert draft.content_hash == content_hash(spec)
