"""Demo part `frameworks`: both shipped waves, imported and brought into force as of today."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from catalogue.clock import today
from catalogue.frameworks import services
from catalogue.frameworks.lifecycle import STATE_LABELS, bring_into_force
from catalogue.frameworks.loader import DATA_DIR
from catalogue.frameworks.models import FrameworkStatus

WAVES = ("ens-2026.1.yaml", "ens-2027.1.yaml")


def seed(session: Session, options: Any) -> list[str]:
    """Import every wave (unchanged files change nothing), then apply the calendar as
    `flask workflows tick` would, so that the demo has the version in force it needs."""
    results = [services.import_framework(session, DATA_DIR / name) for name in WAVES]
    bring_into_force(session, today())
    parts = []
    for result in results:
        framework = result.framework
        status = STATE_LABELS[framework.status]
        if framework.status is FrameworkStatus.DRAFT:
            status += f" (en vigueur le {framework.effective_from.isoformat()})"
        parts.append(f"{framework.label} {status}, {len(framework.requirements)} exigences")
    return ["Référentiels : " + " ; ".join(parts) + "."]
