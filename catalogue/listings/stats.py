"""Public figures (``/statistiques``): the catalogue today by category, HDS hosting and
medical devices; apps referenced over time; decisions by outcome and dossier kind; time
from submission to decision, as a distribution and a median; and the rows of their charts.

Figures come from the authoritative rows (listings, their history, decisions, dossiers and
the decided profile), and each breakdown adds up to the total it breaks down. A chart is a
table whose rows carry their bars (``templates/listings/_chart.html``): the numbers are
text, readable at any width and by screen readers.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalogue.apps.models import App
from catalogue.commission.models import Decision
from catalogue.core import formatting
from catalogue.dossiers.models import Dossier
from catalogue.listings.cache import current_version
from catalogue.listings.models import Listing, ListingEvent, ListingEventKind, ListingState


@dataclass(frozen=True)
class BarRow:
    """One row of a bar table: its label, its value, the value as shown, and the bar's
    length as a share (0 to 1) of the chart's scale."""

    label: str
    value: float
    text: str
    share: float


def bars(points: list[tuple[str, float]], *, scale: float | None = None,
         fmt: Callable[[float], str] = formatting.number) -> list[BarRow]:
    """Bar rows for ``(label, value)`` points: bars are drawn against ``scale`` (a total,
    for shares) or, by default, against the largest value."""
    top = scale if scale is not None else max((value for _, value in points), default=0)
    return [BarRow(label, value, fmt(value), value / top if top else 0.0) for label, value in points]


# Upper bounds (days, inclusive) of the time-to-decision buckets; the last bucket is open.
REVIEW_BUCKETS = (30, 60, 90, 120, 180)


def review_distribution(days: list[int]) -> list[tuple[int, int | None, int]]:
    """``(from, to, decisions)`` per bucket of days from submission to decision; ``to`` is
    None for the last, open bucket. Every bucket is listed, empty ones too, so the
    distribution's shape reads right, and the counts add up to ``len(days)``."""
    lows = (0, *(bound + 1 for bound in REVIEW_BUCKETS))
    highs: tuple[int | None, ...] = (*REVIEW_BUCKETS, None)
    counts = [0] * len(lows)
    for d in days:
        counts[next(i for i, high in enumerate(highs) if high is None or d <= high)] += 1
    return list(zip(lows, highs, counts, strict=True))


LISTED_STATES = (ListingState.PUBLISHED, ListingState.SUSPENDED)


@dataclass(frozen=True)
class Composition:
    """The apps in the catalogue today (published or suspended): how many, by category,
    and how many with an HDS-certified host and as a medical device, as decided."""

    total: int
    by_category: dict[str, int]
    hds: int
    medical_device: int


def composition(session: Session) -> Composition:
    """One grouped query. The HDS and medical-device facts are read from the snapshot of
    the dossier in force (the decided profile, what the listing page shows), never from
    the live app; the category is the app's presentation, as the catalogue's facets."""
    snapshot = Dossier.profile_snapshot
    hds, medical = snapshot["hds_certified"].as_boolean(), snapshot["is_medical_device"].as_boolean()
    rows = session.execute(
        select(App.category, hds, medical, func.count())
        .select_from(Listing).join(App, App.id == Listing.app_id)
        .join(Dossier, Dossier.id == Listing.dossier_id)
        .where(Listing.state.in_(LISTED_STATES))
        .group_by(App.category, hds, medical)
    ).all()
    by_category: dict[str, int] = {}
    total = n_hds = n_medical = 0
    for category, is_hds, is_medical, n in rows:
        by_category[category] = by_category.get(category, 0) + n
        total += n
        n_hds += n if is_hds else 0
        n_medical += n if is_medical else 0
    ordered = dict(sorted(by_category.items(), key=lambda item: (-item[1], item[0])))
    return Composition(total, ordered, n_hds, n_medical)


def decisions_by_kind(session: Session) -> dict[tuple[str, str], int]:
    """Decisions per (outcome, dossier kind): first requests, renewals, modifications."""
    rows = session.execute(
        select(Decision.outcome, Dossier.kind, func.count())
        .join(Dossier, Dossier.id == Decision.dossier_id)
        .group_by(Decision.outcome, Dossier.kind)
    ).all()
    return {(outcome.value, kind.value): n for outcome, kind, n in rows}


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


def review_times(session: Session) -> list[tuple[int, int]]:
    """``(year of decision, calendar days from submission to decision)`` for every decided
    dossier (all of them are submitted first), in one query."""
    rows = session.execute(
        select(Dossier.submitted_at, Decision.decided_at)
        .join(Decision, Decision.dossier_id == Dossier.id)
        .where(Dossier.submitted_at.is_not(None))
    ).all()
    return [(formatting.paris(decided).year, max((decided - submitted).days, 0))
            for submitted, decided in rows]


def median_days(times: list[tuple[int, int]]) -> float | None:
    """The median of the days of ``review_times``."""
    return statistics.median(days for _, days in times) if times else None


def median_by_year(times: list[tuple[int, int]]) -> list[tuple[str, float, int]]:
    """(year of decision, median days, decisions) per year."""
    by_year: dict[int, list[int]] = {}
    for year, days in times:
        by_year.setdefault(year, []).append(days)
    return [(str(year), statistics.median(days), len(days)) for year, days in sorted(by_year.items())]


def counts_by_state(session: Session) -> dict[str, int]:
    """Listings per state (every app that ever had a listing has exactly one)."""
    rows = session.execute(select(Listing.state, func.count()).group_by(Listing.state)).all()
    return {state.value: n for state, n in rows}


def stats_token(session: Session) -> str:
    """What the figures depend on, cheaply: catalogue version and decision count/last id."""
    n, last = session.execute(select(func.count(Decision.id), func.max(Decision.id))).one()
    return f"{current_version(session)}-{n}-{last}"

