"""One vocabulary of labels for pages, e-mails and the API.

Each domain keeps its own label tables (``catalogue.<domain>.labels`` or its lifecycle);
this module gathers them under one name per vocabulary so that a template, an e-mail or
an API serialiser asks ``label("dossier", state)`` and gets the same words everywhere,
in the reader's language. Tables hold either lazy strings (``lazy_gettext``) or French
msgids marked with ``N_``; both are translated here, at display.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from catalogue.commission.labels import OPINION_LABELS, SESSION_STATE_LABELS, VERDICT_LABELS
from catalogue.dossiers.labels import KIND_LABELS
from catalogue.dossiers.labels import STATE_LABELS as DOSSIER_STATES
from catalogue.frameworks.lifecycle import STATE_LABELS as FRAMEWORK_STATES
from catalogue.listings.lifecycle import STATE_LABELS as LISTING_STATES

ORGANISATION_STATES = {
    "pending": _l("en attente de vérification"),
    "verified": _l("vérifiée"),
    "rejected": _l("vérification refusée"),
}
REPORT_STATES = {
    "new": _l("nouveau"),
    "in_progress": _l("en cours"),
    "resolved": _l("traité"),
    "dismissed": _l("classé sans suite"),
}
DECISION_OUTCOMES = {
    "referenced": _l("Référencement accordé"),
    "refused": _l("Référencement refusé"),
}


def _by_value(table: Mapping[Any, Any]) -> dict[str, Any]:
    return {getattr(key, "value", key): text for key, text in table.items()}


VOCABULARIES: dict[str, dict[str, Any]] = {
    "dossier": _by_value(DOSSIER_STATES),
    "listing": _by_value(LISTING_STATES),
    "framework": _by_value(FRAMEWORK_STATES),
    "session": _by_value(SESSION_STATE_LABELS),
    "organisation": ORGANISATION_STATES,
    "report": REPORT_STATES,
    "opinion": _by_value(OPINION_LABELS),
    "verdict": _by_value(VERDICT_LABELS),
    "kind": _by_value(KIND_LABELS),
    "outcome": DECISION_OUTCOMES,
}


def translate(text: Any) -> str:
    """A label in the reader's language: lazy strings translate themselves, plain French
    msgids (``N_``) go through ``gettext``."""
    if isinstance(text, str):
        return gettext(text) if text else text
    return str(text)


def label(vocabulary: str, value: Any) -> str:
    """The label of ``value`` (an enum or its stored value) in ``vocabulary``; the raw value
    when unknown, so that a missing entry shows up rather than breaking the page."""
    code = getattr(value, "value", value)
    if code is None:
        return ""
    text = VOCABULARIES[vocabulary].get(code)
    return translate(text) if text is not None else str(code)


def transition_label(transition: Any) -> str:
    """The button label of a lifecycle transition, translated (stored as a French msgid)."""
    return translate(transition.label)


def all_label_msgids() -> list[str]:
    """Every French msgid of the vocabularies (used by the completeness test)."""
    ids = []
    for table in VOCABULARIES.values():
        for text in table.values():
            ids.append(text if isinstance(text, str) else text._args[0])
    return ids
