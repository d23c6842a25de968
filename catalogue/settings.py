"""The declared settings, injected once by ``create_app`` (as storage is).

Rules read durations and thresholds (``REVIEW_DAYS``, ``QUORUM`` …) from here, whether they
run from a request, the CLI, the clock or a test. Before any application is built, the
declared defaults and the environment apply (``config.load_config``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from config import load_config

_settings: Mapping[str, Any] | None = None


def configure(settings: Mapping[str, Any]) -> None:
    """Use ``settings`` (the application's configuration, kept by reference so that a test
    overriding a value is seen at once)."""
    global _settings
    _settings = settings


def setting(name: str) -> Any:
    """The value of a declared setting."""
    if _settings is None or name not in _settings:
        return load_config()[name]
    return _settings[name]
