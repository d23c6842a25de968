"""The one source of the current time, so tests can freeze it (time-machine)."""

from __future__ import annotations

from datetime import UTC, date, datetime


def now() -> datetime:
    """Current time, timezone-aware UTC."""
    return datetime.now(UTC)


def today() -> date:
    """Current date in Paris, since deadlines are calendar days for French users."""
    from zoneinfo import ZoneInfo

    return now().astimezone(ZoneInfo("Europe/Paris")).date()
