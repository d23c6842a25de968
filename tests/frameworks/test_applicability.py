"""Which requirements apply to an app profile."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from catalogue.frameworks.applicability import (
    applicable_requirements,
    holding_predicates,
    is_applicable,
)
from catalogue.frameworks.loader import DATA_DIR, load_framework_file
from catalogue.frameworks.vocabulary import PREDICATES


def req(code: str, position: int, *applies_if: str) -> SimpleNamespace:
    """A requirement-like object, as a database row would be."""
    return SimpleNamespace(code=code, position=position, applies_if=list(applies_if))


REQUIREMENTS = [
    req("ELI-01", 1),
    req("HEB-01", 2, "processes_health_data"),
    req("INT-02", 3, "connects_patient_space"),
    req("SEC-11", 4, "connects_patient_space", "processes_health_data"),
    req("DM-01", 5, "is_medical_device"),
]


def codes(requirements) -> list[str]:
    return [r.code for r in requirements]


@pytest.fixture(scope="module")
def wave_2026():
    return load_framework_file(DATA_DIR / "ens-2026.1.yaml")


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        (set(), ["ELI-01"]),
        ({"processes_health_data"}, ["ELI-01", "HEB-01"]),
        ({"connects_patient_space"}, ["ELI-01", "INT-02"]),
        (
            {"connects_patient_space", "processes_health_data"},
            ["ELI-01", "HEB-01", "INT-02", "SEC-11"],
        ),
        (set(PREDICATES), ["ELI-01", "HEB-01", "INT-02", "SEC-11", "DM-01"]),
    ],
    ids=["nothing", "health-data", "patient-space", "both", "everything"],
)
def test_a_requirement_applies_when_all_its_predicates_hold(profile, expected):
    assert codes(applicable_requirements(REQUIREMENTS, profile)) == expected


def test_profile_as_mapping_ignores_false_predicates():
    profile = {"processes_health_data": True, "connects_patient_space": False, "uses_ai": False}
    assert codes(applicable_requirements(REQUIREMENTS, profile)) == ["ELI-01", "HEB-01"]


@pytest.mark.parametrize("profile", [frozenset(), [], (), {}], ids=type)
def test_any_collection_is_a_profile(profile):
    assert codes(applicable_requirements(REQUIREMENTS, profile)) == ["ELI-01"]


def test_result_is_ordered_by_position_whatever_the_input_order():
    shuffled = list(reversed(REQUIREMENTS))
    result = applicable_requirements(shuffled, set(PREDICATES))
    assert [r.position for r in result] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize(
    "profile",
    [{"processes_health_data", "is_connected"}, {"is_connected": True}, {"is_connected": False}],
)
def test_unknown_predicate_is_refused(profile):
    with pytest.raises(ValueError, match="is_connected"):
        applicable_requirements(REQUIREMENTS, profile)


def test_non_boolean_profile_value_is_refused():
    with pytest.raises(ValueError, match="processes_health_data"):
        applicable_requirements(REQUIREMENTS, {"processes_health_data": "yes"})


def test_a_bare_string_is_not_a_profile():
    with pytest.raises(TypeError):
        applicable_requirements(REQUIREMENTS, "uses_ai")


def test_requirement_with_unknown_predicate_is_refused():
    broken = [req("XX-01", 1, "is_connected")]
    with pytest.raises(ValueError, match="XX-01"):
        applicable_requirements(broken, set(PREDICATES))


def test_is_applicable_and_holding_predicates():
    assert holding_predicates({"uses_ai": True, "targets_minors": False}) == {"uses_ai"}
    assert is_applicable(REQUIREMENTS[0], set())
    assert not is_applicable(REQUIREMENTS[3], {"connects_patient_space"})
    assert is_applicable(REQUIREMENTS[3], ["connects_patient_space", "processes_health_data"])


def test_accepts_a_framework_spec(wave_2026):
    applicable = applicable_requirements(wave_2026, set())
    assert applicable
    assert all(not r.applies_if for r in applicable)
    assert applicable == [r for r in wave_2026.requirements if not r.applies_if]


def test_connected_symptom_diary(wave_2026):
    """A symptom diary for adults, fed from and to the patient space, without AI."""
    profile = {
        "processes_health_data": True,
        "connects_patient_space": True,
        "is_medical_device": False,
        "exchanges_documents": False,
        "handles_patient_identity": False,
        "has_professional_users": False,
        "targets_minors": False,
        "uses_ai": False,
    }
    applicable = set(codes(applicable_requirements(wave_2026, profile)))
    assert {"ELI-01", "HEB-01", "INT-02", "RGPD-01", "RGPD-06", "SEC-08", "URB-04"} <= applicable
    assert not {"DM-01", "IDN-01", "INT-01", "URB-02", "RGPD-08", "IA-01"} & applicable


def test_ai_medical_device_for_professionals(wave_2026):
    profile = {"is_medical_device", "uses_ai", "has_professional_users"}
    applicable = set(codes(applicable_requirements(wave_2026, profile)))
    assert {"DM-01", "DM-02", "IA-01", "IA-02", "URB-02"} <= applicable
    assert not {"HEB-01", "INT-02", "RGPD-06"} & applicable


def test_more_predicates_never_remove_a_requirement(wave_2026):
    smaller = set(codes(applicable_requirements(wave_2026, {"uses_ai"})))
    larger = set(codes(applicable_requirements(wave_2026, {"uses_ai", "targets_minors"})))
    assert smaller < larger
    assert larger - smaller == {"RGPD-08", "QUA-03"}
