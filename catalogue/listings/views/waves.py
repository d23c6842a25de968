"""Template helpers of the waves enforced: a listing's gap with the newest wave (publisher's
app page, commission's listing page) and the count of listings at risk (dashboard)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint

from catalogue import db
from catalogue.listings import waves

bp = Blueprint("waves", __name__)


@bp.app_template_global()
def listing_wave_gaps(listings: Any) -> dict[int, waves.WaveGap]:
    """listing id → its gap with the newest published wave, for a page of listings."""
    return waves.wave_gaps(db.session, [listing for listing in listings if listing is not None])


@bp.app_template_global()
def listings_at_risk_count() -> int:
    """Live listings that a newer wave's compliance deadline will suspend if nothing is decided."""
    return len(waves.listings_at_risk(db.session))
