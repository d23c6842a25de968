"""SIREN and SIRET checks, La Poste's exception included."""

import pytest

from catalogue.publishers.identifiers import luhn_valid, siren_problem, siret_problem


@pytest.mark.parametrize("siren", ["732829320", "552 100 554", "356000000", "130 025 265"])
def test_valid_sirens(siren):
    assert siren_problem(siren) is None


@pytest.mark.parametrize(("siren", "fragment"), [
    ("", "Indiquez"), ("12345678", "9 chiffres"), ("1234567890", "9 chiffres"),
    ("73282932A", "9 chiffres"), ("732829321", "clé de contrôle"), ("٧٣٢٨٢٩٣٢٠", "9 chiffres"),
])
def test_invalid_sirens_say_why(siren, fragment):
    assert fragment in siren_problem(siren)


def test_siret_is_luhn_checked_and_belongs_to_its_siren():
    assert siret_problem("73282932000074") is None
    assert "clé de contrôle" in siret_problem("73282932000075")
    assert "commencer par le SIREN" in siret_problem("73282932000074", siren="552100554")
    assert "14 chiffres" in siret_problem("7328293200007")


def test_la_poste_sirets_follow_the_digit_sum_rule_not_luhn():
    # Digit sum 30 (a multiple of 5) but Luhn-invalid: a real La Poste establishment number.
    assert not luhn_valid("35600000012341")
    assert siret_problem("35600000012341") is None
    assert siret_problem("35600000012346", siren="356000000") is None
    # Luhn-valid but digit sum 29: refused for La Poste.
    assert luhn_valid("35600000012340")
    assert "La Poste" in siret_problem("35600000012340")
