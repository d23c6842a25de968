"""Guards and effects of the listing lifecycle (``workflows.listing``)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from catalogue.clock import now, today
from catalogue.listings.models import Listing, ListingEvent, ListingEventKind
from workflows.engine import Context

REASON_MAX = 2000


def guard_reason_given(ctx: Context) -> str | None:
    reason = (ctx.data.get("reason") or "").strip()
    if not reason:
        return "Indiquez le motif : il est publié dans l'historique de la fiche."
    if len(reason) > REASON_MAX:
        return f"Le motif ne peut dépasser {REASON_MAX} caractères."
    return None


def guard_still_valid(ctx: Context) -> str | None:
    listing: Listing = ctx.subject
    if listing.valid_until < today():
        return "La durée de validité du référencement est échue : la fiche ne peut être rétablie."
    return None


def guard_validity_over(ctx: Context) -> str | None:
    listing: Listing = ctx.subject
    on = ctx.data.get("today") or today()
    if listing.valid_until >= on:
        return "Le référencement est encore valide."
    return None


def _changed(ctx: Context, kind: ListingEventKind, note: str) -> None:
    """Common effect: timestamps, public history, search index, cache, consents."""
    from catalogue.consents import services as consents
    from catalogue.listings import cache
    from catalogue.search import services as search

    session: Session = ctx.session
    listing: Listing = ctx.subject
    listing.state_reason = note or None
    listing.state_changed_at = now()
    session.add(ListingEvent(listing_id=listing.id, kind=kind, public_note=note))
    search.index_listing(session, listing)
    cache.catalogue_changed(session, [listing.app.slug])
    if kind == ListingEventKind.REINSTATED:
        resumed = consents.resume_for_app(session, listing.app)
        ctx.audit_payload["consents_resumed"] = resumed
    else:
        suspended = consents.suspend_for_app(session, listing.app, cause=kind.value)
        ctx.audit_payload["consents_suspended"] = suspended
    if note:
        ctx.audit_payload["reason"] = note


def effect_suspended(ctx: Context) -> None:
    _changed(ctx, ListingEventKind.SUSPENDED, ctx.data["reason"].strip())


def effect_reinstated(ctx: Context) -> None:
    _changed(ctx, ListingEventKind.REINSTATED, (ctx.data.get("reason") or "").strip())


def effect_delisted(ctx: Context) -> None:
    _changed(ctx, ListingEventKind.DELISTED, ctx.data["reason"].strip())


def effect_expired(ctx: Context) -> None:
    _changed(ctx, ListingEventKind.EXPIRED, "")
