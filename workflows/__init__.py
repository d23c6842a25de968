"""Lifecycles declared as data, and the engine that fires their transitions.

Nothing here imports Flask or the web layer: the same calls serve a request,
the CLI, the clock (``tick``) and the tests.
"""

from workflows.engine import (
    Availability,
    Context,
    Lifecycle,
    Transition,
    TransitionRefused,
    available,
    fire,
)

__all__ = [
    "Availability", "Context", "Lifecycle", "Transition", "TransitionRefused", "available", "fire",
]
