"""French typography: a narrow no-break space before : ; ! ? » and after «, put by the
French "catalogue" in every message (issue 13, item 6)."""

from __future__ import annotations

from flask import render_template_string
from flask_babel import force_locale, gettext, lazy_gettext, ngettext

from catalogue.core.formatting import french_spacing

NNBSP = "\u202f"


def test_french_spacing_replaces_the_space_before_the_signs_and_after_the_guillemet():
    assert french_spacing("Référence : X ; oui ! Vraiment ?") == (
        f"Référence{NNBSP}: X{NNBSP}; oui{NNBSP}! Vraiment{NNBSP}?")
    assert french_spacing("« %(t)s »") == f"«{NNBSP}%(t)s{NNBSP}»"
    assert french_spacing("Motif\u00a0:") == f"Motif{NNBSP}:"


def test_french_spacing_leaves_urls_times_attributes_and_code_alone():
    for text in ("https://ens.example.fr/a?b=c", "à 12:30", '<a href="/x?lang=en">lien</a>',
                 "a :hover", "x != y", "SEC-04:1", ""):
        assert french_spacing(text) == text


def test_every_kind_of_french_message_gets_it_and_english_does_not(app):
    with app.test_request_context("/?lang=fr"):
        assert gettext("Motif :") == f"Motif{NNBSP}:"
        assert str(lazy_gettext("Motif :")) == f"Motif{NNBSP}:"
        assert ngettext("%(num)d pièce :", "%(num)d pièces :", 3) == f"3 pièces{NNBSP}:"
        # The variables are put in after: a URL or a time given as a variable is untouched.
        assert gettext("Assistance : %(url)s", url="https://a.fr/?x=1 :") == (
            f"Assistance{NNBSP}: https://a.fr/?x=1 :")
        assert render_template_string('{{ _("« %(t)s »", t="12 : 30") }}') == f"«{NNBSP}12 : 30{NNBSP}»"
        with force_locale("en"):
            assert gettext("Motif :") == "Reason:"


def test_a_french_page_has_the_narrow_space_in_its_labels_and_the_english_one_none(client):
    french = client.get("/statistiques?lang=fr").text
    assert f"Données ouvertes{NNBSP}:" in french and "Données ouvertes :" not in french
    english = client.get("/statistiques?lang=en").text
    assert "Open data:" in english and NNBSP not in english


def test_labels_joined_in_templates_take_the_readers_colon(app):
    # "{{ _("Référence") }}{{ colon() }}": the French narrow space, none in English.
    with app.test_request_context("/?lang=fr"):
        assert render_template_string('{{ _("Référence") }}{{ colon() }} X') == f"Référence{NNBSP}: X"
        with force_locale("en"):
            assert render_template_string('{{ _("Référence") }}{{ colon() }} X') == "Reference: X"
