"""Every lifecycle of the platform, for the diagrams, the admin's overview and the tests."""

from __future__ import annotations

from catalogue.dossiers.lifecycle import DOSSIER_LIFECYCLE
from catalogue.frameworks.lifecycle import FRAMEWORK_LIFECYCLE
from catalogue.listings.lifecycle import LISTING_LIFECYCLE
from workflows.engine import Lifecycle

LIFECYCLES: tuple[Lifecycle, ...] = (DOSSIER_LIFECYCLE, LISTING_LIFECYCLE, FRAMEWORK_LIFECYCLE)


def lifecycle(name: str) -> Lifecycle:
    """The lifecycle called ``name`` (KeyError when unknown)."""
    for entry in LIFECYCLES:
        if entry.name == name:
            return entry
    raise KeyError(name)


def all_lifecycles() -> list[Lifecycle]:
    """Every declared lifecycle, in the order above."""
    return list(LIFECYCLES)
