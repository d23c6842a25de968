"""Differences between two framework waves, and word-level highlighting."""

from __future__ import annotations

import dataclasses
import itertools
from datetime import date
from types import SimpleNamespace

import pytest

from catalogue.frameworks.diff import Segment, diff_frameworks, word_diff
from catalogue.frameworks.loader import DATA_DIR, load_framework_file
from catalogue.frameworks.specs import FrameworkSpec, RequirementSpec


def spec_req(code: str, position: int, **changes) -> RequirementSpec:
    base = RequirementSpec(
        code=code,
        category="security",
        title=f"Titre {code}",
        title_en=f"Title {code}",
        statement=f"Le service respecte l'exigence {code}.",
        mandatory=True,
        applies_if=(),
        allow_not_applicable=False,
        evidence=("security_policy",),
        position=position,
    )
    return dataclasses.replace(base, **changes)


def framework(version: str, *requirements: RequirementSpec) -> FrameworkSpec:
    return FrameworkSpec(
        code="ENS",
        version=version,
        title=f"ENS {version}",
        title_en=f"ENS {version}",
        effective_from=date(int(version[:4]), 1, 1),
        compliance_deadline=None,
        categories=(),
        requirements=requirements,
    )


def codes(items) -> list[str]:
    return [item.code for item in items]


def rebuild(segments, keep: str) -> str:
    return "".join(text for op, text in segments if op in ("equal", keep))


# --- word_diff ---------------------------------------------------------------------------------


def test_identical_texts_are_one_equal_segment():
    assert word_diff("Deux facteurs.", "Deux facteurs.") == [Segment("equal", "Deux facteurs.")]


def test_empty_texts():
    assert word_diff("", "") == []
    assert word_diff("", "Nouveau.") == [Segment("insert", "Nouveau.")]
    assert word_diff("Ancien.", "") == [Segment("delete", "Ancien.")]


def test_inserted_sentence():
    assert word_diff("Le test est annuel.", "Le test est annuel. Il est exercé.") == [
        Segment("equal", "Le test est annuel."),
        Segment("insert", " Il est exercé."),
    ]


def test_deleted_words():
    assert word_diff("une authentification forte et rapide", "une authentification forte") == [
        Segment("equal", "une authentification forte"),
        Segment("delete", " et rapide"),
    ]


def test_replaced_words_read_as_one_change():
    old = "Authentification des usagers à deux facteurs"
    new = "Authentification des usagers de niveau eIDAS substantiel"
    assert word_diff(old, new) == [
        Segment("equal", "Authentification des usagers "),
        Segment("delete", "à deux facteurs"),
        Segment("insert", "de niveau eIDAS substantiel"),
    ]


def test_granularity_is_the_word_not_the_letter():
    segments = word_diff("Le délai est de 30 jours.", "Le délai est de 15 jours.")
    assert segments == [
        Segment("equal", "Le délai est de "),
        Segment("delete", "30"),
        Segment("insert", "15"),
        Segment("equal", " jours."),
    ]


def test_changed_punctuation_does_not_mark_the_word():
    assert word_diff("sont chiffrées.", "sont chiffrées ;") == [
        Segment("equal", "sont chiffrées"),
        Segment("delete", "."),
        Segment("insert", " ;"),
    ]


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("L'accès exige deux facteurs.", "L'accès exige le niveau « substantiel » d'eIDAS."),
        ("a b c d e", "e d c b a"),
        ("  espaces   multiples ", "espaces multiples"),
        ("données de santé", "Données de Santé, sauvegardes comprises"),
        ("qu'il assure", "l'Espace économique européen"),
    ],
)
def test_segments_rebuild_both_texts(old, new):
    segments = word_diff(old, new)
    assert rebuild(segments, "delete") == old
    assert rebuild(segments, "insert") == new
    assert all(op in ("equal", "insert", "delete") and text for op, text in segments)
    # Segments are merged: never two of the same kind in a row.
    assert all(a.op != b.op for a, b in itertools.pairwise(segments))


# --- diff_frameworks ---------------------------------------------------------------------------


def test_identical_versions_give_an_empty_diff():
    old = framework("2026.1", spec_req("SEC-01", 1), spec_req("SEC-02", 2))
    diff = diff_frameworks(old, dataclasses.replace(old, version="2027.1"))
    assert diff.is_empty
    assert (diff.old_label, diff.new_label) == ("ENS 2026.1", "ENS 2027.1")


def test_added_and_retired_requirements_in_document_order():
    old = framework("2026.1", spec_req("SEC-01", 1), spec_req("SEC-02", 2), spec_req("SEC-03", 3))
    new = framework("2027.1", spec_req("SEC-02", 1), spec_req("SEC-05", 2), spec_req("SEC-04", 3))
    diff = diff_frameworks(old, new)
    assert codes(diff.added) == ["SEC-05", "SEC-04"]
    assert codes(diff.retired) == ["SEC-01", "SEC-03"]
    assert not diff.is_empty


def test_mandatory_changes():
    old = framework(
        "2026.1", spec_req("SEC-07", 1, mandatory=False), spec_req("ETH-03", 2, mandatory=True)
    )
    new = framework(
        "2027.1", spec_req("SEC-07", 1, mandatory=True), spec_req("ETH-03", 2, mandatory=False)
    )
    diff = diff_frameworks(old, new)
    assert codes(diff.became_mandatory) == ["SEC-07"]
    assert codes(diff.became_optional) == ["ETH-03"]
    change = diff.became_mandatory[0]
    assert (change.old.mandatory, change.new.mandatory) == (False, True)
    assert not diff.reworded


def test_reworded_statement_is_highlighted():
    old = framework("2026.1", spec_req("URB-01", 1, statement="Deux facteurs sont exigés."))
    new = framework(
        "2027.1", spec_req("URB-01", 1, statement="Le niveau eIDAS substantiel est exigé.")
    )
    (rewording,) = diff_frameworks(old, new).reworded
    assert rewording.code == "URB-01"
    assert rewording.title_diff == (Segment("equal", "Titre URB-01"),)
    assert rewording.statement_diff == (
        Segment("delete", "Deux facteurs sont exigés"),
        Segment("insert", "Le niveau eIDAS substantiel est exigé"),
        Segment("equal", "."),
    )


def test_reworded_title_only():
    old = framework("2026.1", spec_req("SEC-01", 1, title="Politique de sécurité"))
    new = framework("2027.1", spec_req("SEC-01", 1, title="Politique de sécurité écrite"))
    (rewording,) = diff_frameworks(old, new).reworded
    assert rewording.title_diff[-1] == Segment("insert", " écrite")


def test_applicability_changes_list_added_and_removed_conditions():
    old = framework("2026.1", spec_req("SEC-08", 1, applies_if=("processes_health_data",)))
    new = framework("2027.1", spec_req("SEC-08", 1, applies_if=("connects_patient_space",)))
    (change,) = diff_frameworks(old, new).applicability_changed
    assert change.added == ("connects_patient_space",)
    assert change.removed == ("processes_health_data",)


def test_applicability_order_alone_is_not_a_change():
    old = framework("2026.1", spec_req("SEC-08", 1, applies_if=("uses_ai", "targets_minors")))
    new = framework("2027.1", spec_req("SEC-08", 1, applies_if=("targets_minors", "uses_ai")))
    assert diff_frameworks(old, new).is_empty


def test_evidence_changes():
    old = framework("2026.1", spec_req("SEC-06", 1, evidence=("incident_procedure",)))
    new = framework(
        "2027.1",
        spec_req("SEC-06", 1, evidence=("incident_procedure", "incident_exercise_report")),
    )
    (change,) = diff_frameworks(old, new).evidence_changed
    assert (change.added, change.removed) == (("incident_exercise_report",), ())


def test_category_and_not_applicable_changes_are_not_lost():
    old = framework("2026.1", spec_req("SEC-09", 1))
    new = framework("2027.1", spec_req("SEC-09", 1, category="hosting", allow_not_applicable=True))
    diff = diff_frameworks(old, new)
    assert codes(diff.recategorised) == ["SEC-09"]
    assert codes(diff.not_applicable_changed) == ["SEC-09"]
    assert not diff.is_empty


def test_works_on_plain_objects_like_database_rows():
    def row(code, position, mandatory):
        return SimpleNamespace(
            code=code,
            category="ethics",
            title="Historique",
            title_en="History",
            statement="L'usager voit les accès.",
            mandatory=mandatory,
            applies_if=[],
            allow_not_applicable=False,
            evidence=["access_history_screenshots"],
            position=position,
        )

    old = SimpleNamespace(code="ENS", version="2026.1", requirements=[row("ETH-02", 1, False)])
    new = SimpleNamespace(code="ENS", version="2027.1", requirements=[row("ETH-02", 1, True)])
    diff = diff_frameworks(old, new)
    assert codes(diff.became_mandatory) == ["ETH-02"]
    assert not diff.evidence_changed and not diff.applicability_changed


def test_shipped_waves():
    diff = diff_frameworks(
        load_framework_file(DATA_DIR / "ens-2026.1.yaml"),
        load_framework_file(DATA_DIR / "ens-2027.1.yaml"),
    )
    assert codes(diff.added) == [f"SEC-{n}" for n in range(11, 21)]
    assert codes(diff.retired) == ["HEB-02"]
    assert codes(diff.became_mandatory) == ["SEC-07", "ETH-02"]
    assert codes(diff.reworded) == ["URB-01", "HEB-01", "SEC-06"]
    assert codes(diff.evidence_changed) == ["SEC-06"]
    assert not diff.became_optional
    assert not diff.applicability_changed

    urb01 = diff.reworded[0]
    assert Segment("delete", "à deux facteurs") in urb01.title_diff
    assert Segment("insert", "de niveau eIDAS substantiel") in urb01.title_diff
    inserted = " ".join(text for op, text in urb01.statement_diff if op == "insert")
    deleted = " ".join(text for op, text in urb01.statement_diff if op == "delete")
    assert "eIDAS" in inserted and "« substantiel »" in inserted
    assert "deux facteurs" in deleted
