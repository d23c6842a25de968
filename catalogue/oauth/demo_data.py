"""Demo data of a patient's health space, per category, for the stand-in resource.

The real data lives in Mon Espace Santé; ``GET /api/patient/v1/<category>`` only
shows that the chain (consent → token → scope) holds end to end.
"""

from __future__ import annotations

from typing import Any

SAMPLES: dict[str, list[dict[str, Any]]] = {
    "documents": [
        {"type": "compte_rendu", "title": "Compte rendu de consultation", "date": "2026-01-12"},
        {"type": "ordonnance", "title": "Ordonnance", "date": "2026-02-03"},
    ],
    "measurements": [
        {"type": "weight", "value": 72.4, "unit": "kg", "date": "2026-02-20"},
        {"type": "blood_pressure", "systolic": 128, "diastolic": 82, "unit": "mmHg",
         "date": "2026-02-20"},
    ],
    "calendar": [{"title": "Rendez-vous de suivi", "date": "2026-03-15"}],
    "messaging": [{"from": "Cabinet médical", "subject": "Rappel de rendez-vous",
                   "date": "2026-03-01"}],
    "medical_profile": [{"type": "allergy", "label": "Pénicilline"}],
    "vaccinations": [{"vaccine": "Grippe saisonnière", "date": "2025-10-20"}],
    "reimbursements": [{"label": "Consultation", "amount": 26.5, "currency": "EUR",
                        "date": "2026-01-12"}],
    "advance_directives": [],
    "identity": [{"given_name": "Camille", "family_name": "Démo"}],
}


def records(category: str) -> list[dict[str, Any]]:
    return list(SAMPLES.get(category, []))
