"""A no-op marker for French message ids stored as plain strings.

Transition labels and some state labels live in lifecycle tables that also run from the
CLI and jobs, and are stored (audit, minutes) in French. ``N_`` marks them for extraction
(``pybabel extract -k N_``); they are translated at display with ``gettext`` through
``catalogue.core.labels``.
"""

from __future__ import annotations


def N_(message: str) -> str:
    """Return ``message`` unchanged; its only job is to be found by the extractor."""
    return message
