"""Every lifecycle of the platform, for diagrams, the admin's overview and tests.

Imported lazily so that ``workflows`` keeps no import-time dependency on domains
still being written; each entry is ``(name, "module:ATTRIBUTE")``.
"""

from __future__ import annotations

import importlib

from workflows.engine import Lifecycle

LIFECYCLES: tuple[tuple[str, str], ...] = (
    ("dossier", "workflows.dossier:DOSSIER_LIFECYCLE"),
    ("listing", "workflows.listing:LISTING_LIFECYCLE"),
    ("framework", "workflows.framework:FRAMEWORK_LIFECYCLE"),
)


def lifecycle(name: str) -> Lifecycle:
    """The lifecycle called ``name`` (KeyError when unknown)."""
    for entry, target in LIFECYCLES:
        if entry == name:
            module, _, attr = target.partition(":")
            return getattr(importlib.import_module(module), attr)
    raise KeyError(name)


def all_lifecycles() -> list[Lifecycle]:
    """Every declared lifecycle, in the order above."""
    return [lifecycle(name) for name, _ in LIFECYCLES]
