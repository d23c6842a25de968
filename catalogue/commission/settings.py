"""Settings the commission's rules read (durations, quorum).

Rules run from requests, the CLI and tests: inside an application context the
values come from the Flask configuration (where tests override them), else from
the declared settings (``config.load_config``).
"""

from __future__ import annotations

from typing import Any


def setting(name: str) -> Any:
    """The value of a declared setting (``REVIEW_DAYS``, ``QUORUM`` …)."""
    from flask import current_app, has_app_context

    if has_app_context() and name in current_app.config:
        return current_app.config[name]
    from config import load_config

    return load_config()[name]
