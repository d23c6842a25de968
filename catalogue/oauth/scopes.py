"""Scopes are data categories with an access mode: ``patient/<category>.read|write``.

The shape follows SMART App Launch v2 (``patient/<resource>.<permissions>``), with
our data categories in place of FHIR resource types. A consent row stores the
categories the patient granted; a token carries the scopes requested within them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from catalogue.apps.vocabulary import DATA_CATEGORIES

MODES = ("read", "write")
_SCOPE = re.compile(r"^patient/(?P<category>[a-z_]+)\.(?P<mode>read|write)$")


def parse(scope: str | None) -> list[tuple[str, str]] | None:
    """``(category, mode)`` pairs of a space-separated scope string, in order and
    without duplicates; None when any item is not a known category scope."""
    pairs: list[tuple[str, str]] = []
    for item in (scope or "").split():
        match = _SCOPE.match(item)
        if match is None or match["category"] not in DATA_CATEGORIES:
            return None
        pair = (match["category"], match["mode"])
        if pair not in pairs:
            pairs.append(pair)
    return pairs


def render(pairs: Iterable[tuple[str, str]]) -> str:
    return " ".join(f"patient/{category}.{mode}" for category, mode in pairs)


def categories(pairs: Iterable[tuple[str, str]]) -> list[str]:
    """The categories named, in order of first appearance."""
    seen: list[str] = []
    for category, _mode in pairs:
        if category not in seen:
            seen.append(category)
    return seen


def within(pairs: Iterable[tuple[str, str]], allowed: Iterable[str]) -> list[tuple[str, str]]:
    """The pairs whose category is in ``allowed``."""
    allowed_set = set(allowed)
    return [pair for pair in pairs if pair[0] in allowed_set]


def all_supported() -> list[str]:
    """Every scope the server knows (the metadata's ``scopes_supported``)."""
    return [f"patient/{code}.{mode}" for code in DATA_CATEGORIES for mode in MODES]
