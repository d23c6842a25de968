"""French company identifiers: SIREN (9 digits) and SIRET (14 digits).

Both end with a Luhn check digit, with one historical exception: the
establishments of La Poste (SIREN 356 000 000) outnumber what the Luhn key can
number, so their SIRET is valid when the sum of its digits is a multiple of 5.
"""

from __future__ import annotations

import re

LA_POSTE_SIREN = "356000000"
_SPACES = re.compile(r"[\s\u00a0\u202f.-]+")


def normalise(value: str) -> str:
    """Drop the spaces, dots and dashes people type between groups of digits."""
    return _SPACES.sub("", value or "")


def luhn_valid(digits: str) -> bool:
    """Whether a string of digits passes the Luhn check."""
    if not digits.isdigit():
        return False
    total = 0
    for index, char in enumerate(reversed(digits)):
        n = int(char)
        if index % 2 == 1:
            n *= 2
            if n > 9:
                n -= 9
        total += n
    return total % 10 == 0


def siren_problem(value: str) -> str | None:
    """Why ``value`` is not a valid SIREN (French), or None."""
    digits = normalise(value)
    if not digits:
        return "Indiquez le numéro SIREN."
    if not (digits.isascii() and digits.isdigit()) or len(digits) != 9:
        return "Le SIREN compte exactement 9 chiffres."
    if not luhn_valid(digits):
        return "Ce SIREN n'est pas valide : sa clé de contrôle ne correspond pas."
    return None


def siret_problem(value: str, siren: str | None = None) -> str | None:
    """Why ``value`` is not a valid SIRET (French), or None.

    When ``siren`` is given, the SIRET must belong to it (its first 9 digits).
    """
    digits = normalise(value)
    if not (digits.isascii() and digits.isdigit()) or len(digits) != 14:
        return "Le SIRET compte exactement 14 chiffres."
    if siren is not None and digits[:9] != normalise(siren):
        return "Le SIRET doit commencer par le SIREN de l'organisation."
    if digits[:9] == LA_POSTE_SIREN:
        if sum(int(c) for c in digits) % 5 != 0:
            return ("Ce SIRET de La Poste n'est pas valide : la somme de ses chiffres doit être "
                    "un multiple de 5.")
        return None
    if not luhn_valid(digits):
        return "Ce SIRET n'est pas valide : sa clé de contrôle ne correspond pas."
    return None
