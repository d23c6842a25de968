"""French, the source language, takes the singular for 0 and 1; English only for 1."""

from __future__ import annotations

from typing import Any

import pytest
from flask import render_template_string

from catalogue.core import formatting


@pytest.mark.parametrize(("lang", "expected"), [
    ("fr", ["0 dossier", "1 dossier", "2 dossiers", "1\u202f951 dossiers"]),
    ("en", ["0 dossiers", "1 dossier", "2 dossiers", "1,951 dossiers"]),
])
def test_ngettext_in_python_and_templates(app: Any, lang: str, expected: list[str]) -> None:
    with app.test_request_context(f"/?lang={lang}"):
        counts = (0, 1, 2, 1951)
        in_python = [formatting.ngettext("%(num)s dossier", "%(num)s dossiers", n,
                                         num=formatting.number(n)) for n in counts]
        in_template = [render_template_string(
            '{{ ngettext("%(num)s dossier", "%(num)s dossiers", n, num=n|number) }}', n=n)
            for n in counts]
    assert in_python == in_template == expected


def test_plural_choice() -> None:
    assert [formatting.plural_choice(n, "fr") for n in (0, 1, 1.5, 2)] == [1, 1, 1, 2]
    assert [formatting.plural_choice(n, "en") for n in (0, 1, 2)] == [0, 1, 2]
