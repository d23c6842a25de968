"""`flask frameworks import` and `flask frameworks list`."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from catalogue.frameworks.lifecycle import bring_into_force
from catalogue.frameworks.models import Framework, FrameworkStatus
from tests.waves import WAVE_2026, WAVE_2027

SOURCE = WAVE_2026.read_text(encoding="utf-8")
WAVE_DATE = date(2026, 6, 1)


@pytest.fixture
def run(app):
    runner = app.test_cli_runner()

    def invoke(*args: str):
        return runner.invoke(args=["frameworks", *args])

    return invoke


def frameworks_count(session) -> int:
    return session.scalar(select(func.count(Framework.id)))


def broken(tmp_path, old: str, new: str, count: int = 1):
    """A copy of the 2026.1 file with `old` replaced by `new` (`count` times)."""
    assert old in SOURCE, old
    path = tmp_path / "broken.yaml"
    path.write_text(SOURCE.replace(old, new, count), encoding="utf-8")
    return path


# Each validation problem, through the command: named, with its requirement code.
CASES = {
    "unknown category": (
        "    category: eligibility\n", "    category: astrology\n",
        "exigence ELI-01 : catégorie inconnue « astrology »",
    ),
    "unknown predicate": (
        "applies_if: [processes_health_data]", "applies_if: [processes_health_data, flies]",
        "exigence HEB-01 : « applies_if » : prédicat inconnu « flies »",
    ),
    "unknown evidence kind": (
        "evidence: [purpose_statement]", "evidence: [horoscope]",
        "exigence ELI-01 : « evidence » : type de pièce inconnu « horoscope »",
    ),
    "duplicate code": (
        "  - code: ELI-02\n", "  - code: ELI-01\n",
        "exigence ELI-01 : code d'exigence en double",
    ),
    "impossible date": (
        "effective_from: 2026-01-01", "effective_from: 2026-02-30",
        "référentiel : « effective_from » : date inexistante « 2026-02-30 »",
    ),
    "badly formatted date": (
        "effective_from: 2026-01-01", "effective_from: 1er janvier 2026",
        "référentiel : « effective_from » doit être une date au format AAAA-MM-JJ",
    ),
    "missing field": (
        "    title_en: \"Health purpose\"\n", "",
        "exigence ELI-01 : champ obligatoire « title_en » absent",
    ),
    "wrong type": (
        "    mandatory: true\n", "    mandatory: oui\n",
        "exigence ELI-01 : « mandatory » doit valoir true ou false",
    ),
    "YAML syntax": (
        "categories:\n", "categories: [\n",
        "syntaxe YAML invalide",
    ),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_each_validation_problem_is_printed_and_nothing_is_written(run, session, tmp_path, case):
    old, new, expected = CASES[case]
    path = broken(tmp_path, old, new)

    result = run("import", str(path))

    assert result.exit_code == 1, result.output
    assert expected in result.output
    assert "Aucune donnée n'a été écrite." in result.output
    assert frameworks_count(session) == 0


def test_a_duplicate_yaml_key_is_reported(run, session, tmp_path):
    path = broken(tmp_path, "    mandatory: true\n", "    mandatory: true\n    mandatory: false\n")
    result = run("import", str(path))
    assert result.exit_code == 1
    assert "clé « mandatory » en double" in result.output
    assert frameworks_count(session) == 0


def test_every_problem_is_listed_at_once(run, session, tmp_path):
    text = SOURCE.replace("evidence: [purpose_statement]", "evidence: [horoscope]").replace(
        "    category: hosting\n", "    category: attic\n", 1)
    path = tmp_path / "two.yaml"
    path.write_text(text, encoding="utf-8")

    result = run("import", str(path))

    assert result.exit_code == 1
    assert "2 erreurs" in result.output
    assert "horoscope" in result.output and "attic" in result.output


def test_a_missing_file_is_reported(run, session, tmp_path):
    result = run("import", str(tmp_path / "absent.yaml"))
    assert result.exit_code == 1
    assert "fichier illisible" in result.output


def test_one_bad_file_among_several_writes_none_of_them(run, session, tmp_path):
    path = broken(tmp_path, "evidence: [purpose_statement]", "evidence: [horoscope]")
    result = run("import", str(WAVE_2027), str(path))
    assert result.exit_code == 1
    assert frameworks_count(session) == 0


def test_import_then_reimport_changes_nothing(run, session):
    first = run("import", str(WAVE_2026), str(WAVE_2027))
    assert first.exit_code == 0, first.output
    assert "ENS 2026.1 : importée, 67 exigences dans 14 catégories" in first.output
    assert "ENS 2027.1 : importée" in first.output
    assert frameworks_count(session) == 2

    again = run("import", str(WAVE_2026))
    assert again.exit_code == 0
    assert "déjà importée à l'identique, rien n'a changé" in again.output
    assert frameworks_count(session) == 2


def test_changing_a_version_in_force_is_refused(run, session, tmp_path):
    assert run("import", str(WAVE_2026)).exit_code == 0
    bring_into_force(session, WAVE_DATE)
    session.commit()  # as the tick does; the failed import below rolls back its own work
    path = broken(tmp_path, "Le service a pour finalité principale",
                  "Le service a pour seule finalité")

    result = run("import", str(path))

    assert result.exit_code == 1
    assert "ENS 2026.1 est en vigueur : elle ne peut plus être modifiée" in result.output
    assert "exigence ELI-01 : modifiée" in result.output
    framework = session.scalar(select(Framework))
    assert framework.status is FrameworkStatus.IN_FORCE
    assert "pour finalité principale" in framework.requirements[0].statement


def test_an_unknown_actor_is_refused(run, session):
    result = run("import", "--actor", "nobody@example.org", str(WAVE_2026))
    assert result.exit_code != 0
    assert "Aucun compte" in result.output
    assert frameworks_count(session) == 0


def test_list_shows_versions_status_dates_and_counts(run, session):
    assert "Aucun référentiel importé" in run("list").output
    run("import", str(WAVE_2026), str(WAVE_2027))
    bring_into_force(session, WAVE_DATE)

    lines = run("list").output.splitlines()

    assert lines[0].startswith("Code")
    assert lines[1].split()[:4] == ["ENS", "2027.1", "à", "venir"]
    assert "2027-12-31" in lines[1] and " 76 " in lines[1]
    assert lines[2].split()[:5] == ["ENS", "2026.1", "en", "vigueur", "2026-01-01"]



def test_a_title_longer_than_its_column_is_reported(run, session, tmp_path):
    path = broken(tmp_path, 'title: "Finalité de santé"', f'title: "{"Très long titre " * 30}"')
    result = run("import", str(path))
    assert result.exit_code == 1
    assert "exigence ELI-01 : « title » dépasse 300 caractères (479)" in result.output
    assert frameworks_count(session) == 0
