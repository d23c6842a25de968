"""A dossier's journey as the publisher reads it: the step it is at, who acts next and
what they do, in whole sentences, through Babel.

``NEXT_STEP`` replaces the French-only ``queries.NEXT_ACTOR`` phrases on pages; the
tracker's steps follow the lifecycle from draft to published.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l

from catalogue.dossiers.models import DossierState

S = DossierState

# Who acts next and what they do; ``None`` for a closed dossier.
NEXT_STEP: dict[DossierState, Any] = {
    S.DRAFT: _l("À vous : complétez l'auto-évaluation, puis déposez le dossier."),
    S.SUBMITTED: _l("Au secrétariat : il vérifie que le dossier est complet (recevabilité)."),
    S.INCOMPLETE: _l("À vous : complétez les éléments manquants, puis déposez à nouveau."),
    S.UNDER_EVALUATION: _l("Aux rapporteurs : ils instruisent le dossier."),
    S.INFORMATION_REQUESTED: _l("À vous : répondez à la demande de compléments."),
    S.READY_FOR_COMMISSION: _l("Au secrétariat : il inscrit le dossier à une séance de la commission."),
    S.SCHEDULED: _l("À la commission : elle examine le dossier en séance."),
    S.OPINION_ISSUED: _l("À l'État : il décide du référencement au vu de l'avis."),
    S.AGREEMENT_PENDING: _l("Au propriétaire de l'organisation : acceptez la convention de référencement."),
    S.REFERENCED: None,
    S.REFUSED: None,
    S.LAPSED: None,
    S.WITHDRAWN: None,
}

# What the status sentence says once the dossier is closed.
CLOSED: dict[DossierState, Any] = {
    S.REFERENCED: _l("L'application est référencée : le dossier est clos."),
    S.REFUSED: _l("Le référencement a été refusé : le dossier est clos."),
    S.LAPSED: _l("Le dossier est caduc, faute de réponse dans le délai : il est clos."),
    S.WITHDRAWN: _l("Le dossier a été retiré : il est clos."),
}

# The tracker: each step, the states in which it is the current one.
TRACK: tuple[tuple[str, Any, frozenset[DossierState]], ...] = (
    ("draft", _l("Auto-évaluation"), frozenset({S.DRAFT})),
    ("submitted", _l("Dépôt et recevabilité"), frozenset({S.SUBMITTED, S.INCOMPLETE})),
    ("review", _l("Instruction"), frozenset({S.UNDER_EVALUATION, S.INFORMATION_REQUESTED})),
    ("commission", _l("Examen par la commission"), frozenset({S.READY_FOR_COMMISSION, S.SCHEDULED})),
    ("decision", _l("Décision de l'État"), frozenset({S.OPINION_ISSUED})),
    ("agreement", _l("Convention"), frozenset({S.AGREEMENT_PENDING})),
    ("published", _l("Publication au catalogue"), frozenset({S.REFERENCED})),
)


@dataclass(frozen=True)
class Step:
    code: str
    label: Any
    status: str  # "done", "current", "todo" or "stopped"
    at: datetime | None = None


def next_step(state: DossierState) -> str:
    """The next-step sentence of a dossier in ``state`` (or why nothing follows)."""
    text = NEXT_STEP.get(state)
    return str(text if text is not None else CLOSED.get(state, ""))


def completion_dates(dossier: Any, opinion: Any = None, decision: Any = None,
                     agreement: Any = None) -> dict[str, Any]:
    """When each step of the tracker was completed, from the dossier and its decisions."""
    return {
        "draft": dossier.submitted_at,
        "submitted": dossier.review_started_on,
        "review": None,  # the review ends with the evaluation closed: no date kept on the dossier
        "commission": getattr(opinion, "issued_at", None),
        "decision": getattr(decision, "decided_at", None),
        "agreement": getattr(agreement, "accepted_at", None),
        "published": getattr(agreement, "accepted_at", None),
    }


def track(state: DossierState, dates: dict[str, Any] | None = None) -> list[Step]:
    """The tracker's steps for a dossier in ``state``; ``dates`` gives when each step was
    completed (by step code). A dossier refused, lapsed or withdrawn stops at the step it
    had reached (the first not completed)."""
    dates = dates or {}
    stopped = state in (S.REFUSED, S.LAPSED, S.WITHDRAWN)
    if stopped:
        current = next((i for i, (code, _t, _s) in enumerate(TRACK) if not dates.get(code)
                        and not (code == "review" and dates.get("commission"))), len(TRACK) - 1)
    else:
        current = next((i for i, (_c, _t, states) in enumerate(TRACK) if state in states), None)
    steps = []
    for i, (code, text, _states) in enumerate(TRACK):
        if state == S.REFERENCED or (current is not None and i < current):
            status = "done"
        elif i == current:
            status = "stopped" if stopped else "current"
        else:
            status = "todo"
        steps.append(Step(code, text, status, dates.get(code)))
    return steps
