"""Hypothesis profiles of the security suite.

``ci`` (default) keeps every property test to a few seconds; ``HYPOTHESIS_PROFILE=long``
runs many more examples (see docs/SECURITY.md, "Long runs")."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_SUPPRESSED = [HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large,
               HealthCheck.filter_too_much]
settings.register_profile("ci", max_examples=25, deadline=None, derandomize=True,
                          suppress_health_check=_SUPPRESSED, database=None)
settings.register_profile("long", max_examples=1000, deadline=None, suppress_health_check=_SUPPRESSED,
                          database=None)
PROFILE = settings.get_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def bounded(max_examples: int | None = None) -> settings:
    """The active profile, with fewer examples for a slow test in the ``ci`` profile."""
    if max_examples is None or os.environ.get("HYPOTHESIS_PROFILE", "ci") != "ci":
        return settings(PROFILE)
    return settings(PROFILE, max_examples=max_examples)
