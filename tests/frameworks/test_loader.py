"""Loading and validating framework files, and the two shipped waves."""

from __future__ import annotations

import dataclasses
import re
from datetime import date, datetime

import pytest
import yaml

from catalogue.frameworks.diff import diff_frameworks
from catalogue.frameworks.loader import (
    DATA_DIR,
    FrameworkFileError,
    content_hash,
    load_framework_file,
    parse_framework,
)
from catalogue.frameworks.specs import FrameworkSpec
from catalogue.frameworks.vocabulary import EVIDENCE_KINDS, PREDICATES

WAVE_2026 = DATA_DIR / "ens-2026.1.yaml"
WAVE_2027 = DATA_DIR / "ens-2027.1.yaml"

CATEGORY_PREFIXES = {
    "eligibility": "ELI",
    "urbanisation": "URB",
    "hosting": "HEB",
    "identity": "IDN",
    "interoperability": "INT",
    "security": "SEC",
    "data_protection": "RGPD",
    "accessibility": "ACC",
    "ethics": "ETH",
    "content_quality": "QUA",
    "ai": "IA",
    "environment": "ENV",
    "medical_device": "DM",
    "lifecycle": "CYC",
}


def valid_data() -> dict:
    """A minimal valid framework, as YAML would parse it (dates still as text)."""
    return {
        "code": "ENS",
        "version": "2026.1",
        "title": "Référentiel de test",
        "title_en": "Test framework",
        "effective_from": "2026-01-01",
        "compliance_deadline": None,
        "categories": [
            {"code": "eligibility", "title": "Éligibilité", "title_en": "Eligibility"},
            {"code": "hosting", "title": "Hébergement", "title_en": "Hosting"},
        ],
        "requirements": [
            {
                "code": "ELI-01",
                "category": "eligibility",
                "title": "Finalité de santé",
                "title_en": "Health purpose",
                "statement": "Le service a une finalité de santé.",
                "mandatory": True,
                "applies_if": [],
                "allow_not_applicable": False,
                "evidence": ["purpose_statement"],
            },
            {
                "code": "HEB-01",
                "category": "hosting",
                "title": "Hébergement HDS",
                "title_en": "HDS hosting",
                "statement": "Les données de santé sont hébergées chez un hébergeur certifié.",
                "mandatory": True,
                "applies_if": ["processes_health_data"],
                "allow_not_applicable": False,
                "evidence": ["hds_certificate"],
            },
        ],
    }


def errors_of(data) -> list[str]:
    with pytest.raises(FrameworkFileError) as caught:
        parse_framework(data, source="test.yaml")
    return caught.value.errors


def single_error(data) -> str:
    errors = errors_of(data)
    assert len(errors) == 1, errors
    return errors[0]


def requirement(data: dict, code: str) -> dict:
    return next(r for r in data["requirements"] if r["code"] == code)


# --- A valid framework --------------------------------------------------------------------


def test_valid_mapping_gives_a_typed_frozen_spec():
    spec = parse_framework(valid_data())

    assert isinstance(spec, FrameworkSpec)
    assert spec.label == "ENS 2026.1"
    assert spec.effective_from == date(2026, 1, 1)
    assert spec.compliance_deadline is None
    assert [c.code for c in spec.categories] == ["eligibility", "hosting"]
    eli, heb = spec.requirements
    assert (eli.code, eli.position, eli.applies_if) == ("ELI-01", 1, ())
    assert (heb.code, heb.position, heb.applies_if) == ("HEB-01", 2, ("processes_health_data",))
    assert heb.evidence == ("hds_certificate",)
    with pytest.raises(dataclasses.FrozenInstanceError):
        heb.mandatory = False  # type: ignore[misc]


def test_yaml_text_and_mapping_give_the_same_spec():
    text = yaml.safe_dump(valid_data(), allow_unicode=True, sort_keys=False)
    assert parse_framework(text) == parse_framework(valid_data())


def test_date_objects_are_accepted_in_a_mapping():
    data = valid_data()
    data["effective_from"] = date(2026, 1, 1)
    data["compliance_deadline"] = date(2026, 12, 31)
    spec = parse_framework(data)
    assert spec.compliance_deadline == date(2026, 12, 31)


def test_text_is_normalised_and_applies_if_put_in_questionnaire_order():
    data = valid_data()
    heb = requirement(data, "HEB-01")
    heb["statement"] = "  Les données   de santé\nsont hébergées.  "
    heb["applies_if"] = ["uses_ai", "processes_health_data"]
    spec = parse_framework(data)
    assert spec.requirements[1].statement == "Les données de santé sont hébergées."
    assert spec.requirements[1].applies_if == ("processes_health_data", "uses_ai")


def test_load_framework_file_reads_a_file(tmp_path):
    path = tmp_path / "ens-2026.1.yaml"
    path.write_text(yaml.safe_dump(valid_data(), allow_unicode=True), encoding="utf-8")
    assert load_framework_file(path) == parse_framework(valid_data())


def test_missing_file_is_a_framework_file_error(tmp_path):
    with pytest.raises(FrameworkFileError) as caught:
        load_framework_file(tmp_path / "absent.yaml")
    assert "illisible" in caught.value.errors[0]
    assert "absent.yaml" in str(caught.value)


def test_non_utf8_file_is_reported(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("title: Référentiel".encode("latin-1"))
    with pytest.raises(FrameworkFileError) as caught:
        load_framework_file(path)
    assert "UTF-8" in caught.value.errors[0]


# --- Content hash ---------------------------------------------------------------------------


def test_content_hash_ignores_layout_but_not_meaning():
    base = content_hash(parse_framework(valid_data()))
    assert re.fullmatch(r"[0-9a-f]{64}", base)

    flow = yaml.safe_dump(valid_data(), allow_unicode=True, default_flow_style=True)
    assert content_hash(parse_framework(flow)) == base

    rewrapped = valid_data()
    requirement(rewrapped, "HEB-01")["statement"] = (
        "Les données de santé sont hébergées\n   chez un hébergeur certifié."
    )
    assert content_hash(parse_framework(rewrapped)) == base

    changed = valid_data()
    requirement(changed, "HEB-01")["mandatory"] = False
    assert content_hash(parse_framework(changed)) != base

    reworded = valid_data()
    requirement(reworded, "HEB-01")["statement"] += " Toujours."
    assert content_hash(parse_framework(reworded)) != base

    reordered = valid_data()
    reordered["requirements"].reverse()
    assert content_hash(parse_framework(reordered)) != base


def test_content_hash_of_the_same_file_is_stable():
    first = content_hash(load_framework_file(WAVE_2026))
    assert content_hash(load_framework_file(WAVE_2026)) == first
    assert content_hash(load_framework_file(WAVE_2027)) != first


# --- Every kind of error, one at a time -------------------------------------------------------


def test_yaml_syntax_error_gives_the_line():
    text = 'code: ENS\nversion: "2026.1"\ncategories: [\n  {code: a\n'
    error = single_error(text)
    assert "syntaxe YAML" in error
    assert re.search(r"ligne \d+", error)


def test_empty_file():
    assert "vide" in single_error("# rien\n")


def test_document_must_be_a_mapping():
    assert "dictionnaire" in single_error("- ELI-01\n- ELI-02\n")


def test_duplicate_yaml_key_is_reported_with_its_line():
    text = yaml.safe_dump(valid_data(), allow_unicode=True, sort_keys=False)
    text = text.replace("title_en: Test framework\n", "title_en: Test framework\ntitle: Bis\n")
    error = single_error(text)
    assert "« title » en double" in error
    assert "ligne 5" in error


def test_missing_top_level_key():
    data = valid_data()
    del data["compliance_deadline"]
    assert "« compliance_deadline » absent" in single_error(data)


def test_extra_top_level_key():
    data = valid_data()
    data["author"] = "moi"
    assert "champ inconnu « author »" in single_error(data)


def test_missing_requirement_key_names_the_requirement():
    data = valid_data()
    del requirement(data, "HEB-01")["evidence"]
    error = single_error(data)
    assert error.startswith("exigence HEB-01 :")
    assert "« evidence » absent" in error


def test_extra_requirement_key_names_the_requirement():
    data = valid_data()
    requirement(data, "ELI-01")["priority"] = "haute"
    error = single_error(data)
    assert error.startswith("exigence ELI-01 :")
    assert "champ inconnu « priority »" in error


def test_requirement_without_code_is_named_by_position():
    data = valid_data()
    del requirement(data, "HEB-01")["code"]
    error = single_error(data)
    assert error.startswith("exigence n° 2 :")
    assert "« code » absent" in error


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("mandatory", "oui", "« mandatory » doit valoir true ou false"),
        ("allow_not_applicable", 1, "« allow_not_applicable » doit valoir true ou false"),
        ("applies_if", "processes_health_data", "« applies_if » doit être une liste"),
        ("evidence", "dpia", "« evidence » doit être une liste"),
        ("title", 42, "« title » doit être un texte"),
        ("evidence", [3], "n'est pas un texte"),
    ],
)
def test_wrong_types_name_the_requirement_and_field(key, value, expected):
    data = valid_data()
    requirement(data, "HEB-01")[key] = value
    error = single_error(data)
    assert error.startswith("exigence HEB-01 :")
    assert expected in error


def test_categories_must_be_a_list():
    data = valid_data()
    data["categories"] = {"eligibility": "Éligibilité"}
    assert "« categories » doit être une liste" in single_error(data)


def test_requirements_must_not_be_empty():
    data = valid_data()
    data["requirements"] = []
    assert "« requirements » est vide" in single_error(data)


@pytest.mark.parametrize("value", ["2026-02-30", "2026-13-01"])
def test_impossible_date(value):
    data = valid_data()
    data["effective_from"] = value
    error = single_error(data)
    assert "effective_from" in error
    assert "date inexistante" in error


def test_impossible_date_in_yaml_does_not_hide_other_errors():
    data = valid_data()
    requirement(data, "ELI-01")["statement"] = ""
    text = yaml.safe_dump(data, allow_unicode=True).replace(
        "effective_from: '2026-01-01'", "effective_from: 2026-02-30"
    )
    errors = errors_of(text)
    assert len(errors) == 2, errors
    assert any("date inexistante « 2026-02-30 »" in e for e in errors)
    assert any(e.startswith("exigence ELI-01 :") for e in errors)


@pytest.mark.parametrize("value", ["1er janvier 2026", "01/01/2026", 20260101])
def test_badly_formatted_date(value):
    data = valid_data()
    data["effective_from"] = value
    assert "format AAAA-MM-JJ" in single_error(data)


@pytest.mark.parametrize("value", ["2026-01-01T10:00:00", datetime(2026, 1, 1, 10, 0)])
def test_a_moment_is_not_a_date(value):
    data = valid_data()
    data["effective_from"] = value
    assert "« effective_from » doit être une date" in single_error(data)


def test_wrong_value_is_shown_in_the_message():
    data = valid_data()
    requirement(data, "ELI-01")["mandatory"] = "oui"
    requirement(data, "HEB-01")["mandatory"] = None
    assert errors_of(data) == [
        "exigence ELI-01 : « mandatory » doit valoir true ou false (valeur reçue : texte « oui »)",
        "exigence HEB-01 : « mandatory » doit valoir true ou false (valeur reçue : vide)",
    ]


def test_compliance_deadline_before_effective_from():
    data = valid_data()
    data["compliance_deadline"] = "2025-12-31"
    error = single_error(data)
    assert "« compliance_deadline » (2025-12-31) est antérieure" in error


def test_compliance_deadline_on_effective_from_is_accepted():
    data = valid_data()
    data["compliance_deadline"] = "2026-01-01"
    assert parse_framework(data).compliance_deadline == date(2026, 1, 1)


@pytest.mark.parametrize("value", ["2026", "26.1", "2026.0", "2026.1.2", "v2026.1"])
def test_version_format(value):
    data = valid_data()
    data["version"] = value
    assert "format attendu AAAA.N" in single_error(data)


def test_unquoted_version_is_refused():
    text = yaml.safe_dump(valid_data(), allow_unicode=True).replace(
        "version: '2026.1'", "version: 2026.10"
    )
    error = single_error(text)
    assert "entre guillemets" in error
    assert "lu comme le nombre 2026.1" in error


def test_framework_code_format():
    data = valid_data()
    data["code"] = "ens"
    assert "code « ens » invalide" in single_error(data)


def test_unknown_category():
    data = valid_data()
    requirement(data, "HEB-01")["category"] = "hebergement"
    error = single_error(data)
    assert error == "exigence HEB-01 : catégorie inconnue « hebergement »"


def test_unknown_predicate():
    data = valid_data()
    requirement(data, "HEB-01")["applies_if"] = ["processes_health_data", "is_connected"]
    error = single_error(data)
    assert error.startswith("exigence HEB-01 :")
    assert "prédicat inconnu « is_connected »" in error


def test_repeated_predicate():
    data = valid_data()
    requirement(data, "HEB-01")["applies_if"] = ["uses_ai", "uses_ai"]
    assert "prédicat « uses_ai » répété" in single_error(data)


def test_unknown_evidence_kind():
    data = valid_data()
    requirement(data, "ELI-01")["evidence"] = ["purpose_statement", "kbis"]
    error = single_error(data)
    assert error.startswith("exigence ELI-01 :")
    assert "type de pièce inconnu « kbis »" in error


def test_duplicate_requirement_codes():
    data = valid_data()
    requirement(data, "HEB-01")["code"] = "ELI-01"
    assert single_error(data) == "exigence ELI-01 : code d'exigence en double"


def test_duplicate_category_codes():
    data = valid_data()
    data["categories"].append({"code": "hosting", "title": "Bis", "title_en": "Bis"})
    assert single_error(data) == "catégorie « hosting » : code de catégorie en double"


def test_category_with_missing_title():
    data = valid_data()
    del data["categories"][1]["title_en"]
    error = single_error(data)
    assert error.startswith("catégorie « hosting » :")
    assert "« title_en » absent" in error


@pytest.mark.parametrize("code", ["SEC-3", "S-01", "SECUR-01", "sec-01", "SEC_01", "SEC-001"])
def test_requirement_code_format(code):
    data = valid_data()
    requirement(data, "HEB-01")["code"] = code
    error = single_error(data)
    assert error.startswith(f"exigence {code} :")
    assert "code invalide" in error


@pytest.mark.parametrize("statement", ["", "   \n  "])
def test_empty_statement(statement):
    data = valid_data()
    requirement(data, "HEB-01")["statement"] = statement
    assert single_error(data) == "exigence HEB-01 : « statement » est vide"


def test_every_problem_is_reported_at_once():
    data = valid_data()
    data["version"] = "2026"
    data["extra"] = True
    requirement(data, "ELI-01")["evidence"] = ["nope"]
    requirement(data, "HEB-01")["category"] = "nowhere"
    requirement(data, "HEB-01")["mandatory"] = None

    with pytest.raises(FrameworkFileError) as caught:
        parse_framework(data, source="ens-2026.1.yaml")

    errors = caught.value.errors
    assert len(errors) == 5, errors
    assert sum(e.startswith("exigence HEB-01") for e in errors) == 2
    message = str(caught.value)
    assert message.startswith("ens-2026.1.yaml : 5 erreurs")
    assert all(error in message for error in errors)


# --- The shipped waves ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def wave_2026():
    return load_framework_file(WAVE_2026)


@pytest.fixture(scope="module")
def wave_2027():
    return load_framework_file(WAVE_2027)


def test_shipped_waves_load_cleanly(wave_2026, wave_2027):
    assert (wave_2026.code, wave_2026.version) == ("ENS", "2026.1")
    assert wave_2026.effective_from == date(2026, 1, 1)
    assert wave_2026.compliance_deadline is None
    assert (wave_2027.code, wave_2027.version) == ("ENS", "2027.1")
    assert wave_2027.effective_from == date(2027, 1, 1)
    assert wave_2027.compliance_deadline == date(2027, 12, 31)


def test_wave_2026_is_broad(wave_2026):
    used = {r.category for r in wave_2026.requirements}
    assert len(wave_2026.requirements) >= 45
    assert len(used) >= 10
    assert used == set(CATEGORY_PREFIXES) == {c.code for c in wave_2026.categories}


@pytest.mark.parametrize("wave", [WAVE_2026, WAVE_2027], ids=["2026.1", "2027.1"])
def test_shipped_requirements_are_consistent(wave):
    spec = load_framework_file(wave)
    for req in spec.requirements:
        assert req.code.split("-")[0] == CATEGORY_PREFIXES[req.category], req.code
        assert req.evidence, f"{req.code} asks for no evidence"
        assert set(req.evidence) <= EVIDENCE_KINDS.keys()
        assert set(req.applies_if) <= PREDICATES.keys()
        assert 20 <= len(req.statement) <= 500, req.code


# Facts the framework rests on: (code, mandatory, applies_if) in 2026.1.
FACTS_2026 = [
    ("ELI-01", True, ()),
    ("ELI-02", True, ()),
    ("ELI-03", True, ()),
    ("URB-01", True, ()),
    ("URB-02", True, ("has_professional_users",)),
    ("URB-03", True, ()),
    ("HEB-01", True, ("processes_health_data",)),
    ("IDN-01", True, ("handles_patient_identity",)),
    ("INT-01", True, ("exchanges_documents",)),
    ("INT-02", True, ("connects_patient_space",)),
    ("INT-03", False, ()),
    ("INT-04", False, ()),
    ("INT-05", False, ()),
    ("SEC-01", True, ()),
    ("SEC-02", True, ()),
    ("SEC-03", True, ()),
    ("SEC-04", True, ()),
    ("SEC-05", True, ()),
    ("SEC-06", True, ()),
    ("SEC-07", False, ()),
    ("SEC-08", True, ("processes_health_data",)),
    ("RGPD-01", True, ("processes_health_data",)),
    ("RGPD-02", True, ()),
    ("RGPD-03", True, ()),
    ("RGPD-04", True, ()),
    ("RGPD-05", True, ()),
    ("RGPD-06", True, ("connects_patient_space",)),
    ("RGPD-07", True, ()),
    ("RGPD-08", True, ("targets_minors",)),
    ("ACC-01", True, ()),
    ("ETH-01", True, ()),
    ("ETH-02", False, ()),
    ("ETH-03", False, ()),
    ("QUA-01", True, ()),
    ("QUA-03", True, ("targets_minors",)),
    ("IA-01", True, ("uses_ai",)),
    ("ENV-01", True, ()),
    ("ENV-02", False, ()),
    ("DM-01", True, ("is_medical_device",)),
    ("DM-04", False, ()),
    ("DM-05", False, ()),
    ("CYC-01", True, ()),
    ("CYC-02", True, ()),
]


def test_wave_2026_covers_the_facts(wave_2026):
    by_code = {r.code: r for r in wave_2026.requirements}
    for code, mandatory, applies_if in FACTS_2026:
        assert (by_code[code].mandatory, by_code[code].applies_if) == (mandatory, applies_if), code
    assert "hds_certificate" in by_code["HEB-01"].evidence
    assert "ce_certificate" in by_code["DM-01"].evidence


def test_wave_2027_is_stricter(wave_2026, wave_2027):
    diff = diff_frameworks(wave_2026, wave_2027)

    new_security = [
        r
        for r in diff.added
        if r.category == "security"
        and r.mandatory
        and r.applies_if == ("connects_patient_space",)
        and r.evidence
    ]
    assert len(new_security) >= 8
    assert diff.retired
    assert not diff.became_optional
    assert {"SEC-07", "ETH-02"} <= {c.code for c in diff.became_mandatory}
    reworded = {c.code: c for c in diff.reworded}
    assert "eIDAS" in reworded["URB-01"].new.statement
    assert any(op == "insert" and "eIDAS" in text for op, text in reworded["URB-01"].statement_diff)
    # Same code, same requirement: a code kept across waves keeps its category.
    assert not diff.recategorised
    mandatory_2026 = sum(r.mandatory for r in wave_2026.requirements)
    assert sum(r.mandatory for r in wave_2027.requirements) > mandatory_2026
