"""The clock runner (DESIGN §4 "Time"): run each time-driven step due on a day.

The steps are the domains' (lapse unanswered information requests, expire listings, bring
framework waves into force, send reminders) and are handed in by the caller
(``catalogue.schedule``), so this runner knows no domain. Each step only acts on what is
due, so running the clock twice in a row changes nothing the second time.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session


@dataclass(frozen=True)
class Step:
    """One time-driven step: ``run(session, day)`` returns how many things it changed."""

    name: str
    label: str  # shown in the summary
    run: Callable[[Session, date], int]


@dataclass
class TickResult:
    """How many things each step changed, by step name (``result.lapsed``)."""

    counts: dict[str, int] = field(default_factory=dict)
    labels: dict[str, str] = field(default_factory=dict)

    def __getattr__(self, name: str) -> int:
        counts = self.__dict__.get("counts", {})
        if name in counts:
            return int(counts[name])
        raise AttributeError(name)

    def summary(self) -> str:
        """One line: each step's label and count."""
        return ", ".join(f"{self.labels[name]} : {count}" for name, count in self.counts.items())


def tick(session: Session, today: date, steps: Sequence[Step]) -> TickResult:
    """Run every step for ``today``, in order; idempotent. Flushes, never commits."""
    result = TickResult()
    for step in steps:
        result.counts[step.name] = int(step.run(session, today) or 0)
        result.labels[step.name] = step.label
    session.flush()
    return result
