"""Public figures (``/statistiques``): apps referenced over time, decisions by
outcome, median review time; and the geometry of their server-rendered SVG charts.

Figures come from the authoritative rows (listing history, decisions, dossiers);
charts are plain data here, drawn by the template, and always come with a table.
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalogue.commission.models import Decision
from catalogue.core import formatting
from catalogue.dossiers.models import Dossier
from catalogue.listings.cache import current_version
from catalogue.listings.models import Listing, ListingEvent, ListingEventKind


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    x: float
    y: float
    width: float
    height: float
    text: str


@dataclass(frozen=True)
class Chart:
    """A bar chart laid out in a ``width`` × ``height`` view box."""

    bars: list[Bar]
    width: int
    height: int
    baseline: float
    max_value: float


def bar_chart(points: list[tuple[str, float]], *, width: int = 640, height: int = 240,
              fmt: str = "{:g}") -> Chart:
    """Lay out bars for ``(label, value)`` points, leaving room for labels."""
    top, bottom, left, right = 24, 40, 8, 8
    inner_w, inner_h = width - left - right, height - top - bottom
    max_value = max((value for _, value in points), default=0) or 1
    slot = inner_w / max(len(points), 1)
    bar_w = max(slot * 0.7, 2)
    bars = []
    for i, (label, value) in enumerate(points):
        h = inner_h * value / max_value
        bars.append(Bar(label, value, left + i * slot + (slot - bar_w) / 2, top + inner_h - h,
                        bar_w, h, fmt.format(value)))
    return Chart(bars, width, height, top + inner_h, max_value)


def _quarter(day: date) -> str:
    return formatting.quarter(day.year, (day.month - 1) // 3 + 1)


def referenced_over_time(session: Session) -> list[tuple[str, int]]:
    """Apps listed at the end of each quarter since the first publication (cumulative).

    An app counts from its first publication and stops counting once delisted or expired.
    """
    rows = session.execute(
        select(ListingEvent.listing_id, ListingEvent.kind, ListingEvent.occurred_at)
        .where(ListingEvent.kind.in_((ListingEventKind.PUBLISHED, ListingEventKind.DELISTED,
                                      ListingEventKind.EXPIRED)))
        .order_by(ListingEvent.occurred_at)
    ).all()
    if not rows:
        return []
    deltas: dict[str, int] = {}
    listed: set[int] = set()
    for listing_id, kind, occurred_at in rows:
        key = _quarter(occurred_at.date())
        if kind == ListingEventKind.PUBLISHED and listing_id not in listed:
            listed.add(listing_id)
            deltas[key] = deltas.get(key, 0) + 1
        elif kind != ListingEventKind.PUBLISHED and listing_id in listed:
            listed.discard(listing_id)
            deltas[key] = deltas.get(key, 0) - 1
    first = rows[0][2].date()
    last = max(rows[-1][2].date(), first)
    series, total = [], 0
    year, quarter = first.year, (first.month - 1) // 3
    while (year, quarter) <= (last.year, (last.month - 1) // 3):
        key = formatting.quarter(year, quarter + 1)
        total += deltas.get(key, 0)
        series.append((key, total))
        quarter += 1
        if quarter == 4:
            year, quarter = year + 1, 0
    return series[-12:]


def decisions_by_outcome(session: Session) -> dict[str, int]:
    """How many decisions of each outcome (referenced, refused)."""
    rows = session.execute(select(Decision.outcome, func.count()).group_by(Decision.outcome)).all()
    return {outcome.value: n for outcome, n in rows}


def review_days(session: Session) -> list[int]:
    """Calendar days from submission to decision, for every decided dossier."""
    rows = session.execute(
        select(Dossier.submitted_at, Decision.decided_at)
        .join(Decision, Decision.dossier_id == Dossier.id)
        .where(Dossier.submitted_at.is_not(None))
    ).all()
    return [max((decided - submitted).days, 0) for submitted, decided in rows]


def median_review_days(session: Session) -> float | None:
    days = review_days(session)
    return statistics.median(days) if days else None


def median_review_by_year(session: Session) -> list[tuple[str, float, int]]:
    """(year of decision, median days, decisions) per year."""
    rows = session.execute(
        select(Dossier.submitted_at, Decision.decided_at)
        .join(Decision, Decision.dossier_id == Dossier.id)
        .where(Dossier.submitted_at.is_not(None))
    ).all()
    by_year: dict[int, list[int]] = {}
    for submitted, decided in rows:
        by_year.setdefault(decided.year, []).append(max((decided - submitted).days, 0))
    return [(str(year), statistics.median(days), len(days)) for year, days in sorted(by_year.items())]


def counts_by_state(session: Session) -> dict[str, int]:
    rows = session.execute(select(Listing.state, func.count()).group_by(Listing.state)).all()
    return {state.value: n for state, n in rows}


def stats_token(session: Session) -> str:
    """What the figures depend on, cheaply: catalogue version and decision count/last id."""
    n, last = session.execute(select(func.count(Decision.id), func.max(Decision.id))).one()
    return f"{current_version(session)}-{n}-{last}"

