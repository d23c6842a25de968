"""Listing services: publication from a referenced dossier, presentation updates,
suspension, reinstatement, delisting, and reports (signalements).

Every change keeps the listing, its facets, the search index and the catalogue
version (ETag source) in one transaction; the CDN purge runs after commit.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from catalogue.accounts.models import Role, User
from catalogue.accounts.queries import users_with_role
from catalogue.apps.models import App
from catalogue.audit import services as audit
from catalogue.clock import now
from catalogue.commission.models import Decision, DecisionOutcome, Opinion
from catalogue.dossiers import modification
from catalogue.dossiers.models import Dossier, DossierKind
from catalogue.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from catalogue.listings import cache
from catalogue.listings import notifications as listing_notifications
from catalogue.listings.labels import facet_values
from catalogue.listings.lifecycle import LISTING_LIFECYCLE
from catalogue.listings.models import (
    Listing,
    ListingEvent,
    ListingEventKind,
    ListingFacet,
    ListingState,
    Report,
    ReportKind,
    ReportStatus,
)
from catalogue.search import services as search
from catalogue.search.text import unaccent
from catalogue.settings import setting
from workflows.engine import fire

REPORT_TEXT_MIN = 10
REPORT_TEXT_MAX = 5000
TRIAGE_NOTE_MAX = 2000


def _setting(name: str) -> Any:
    return setting(name)


def paris_date(moment: datetime) -> date:
    """The calendar date in Paris of an aware datetime (decisions are dated in France)."""
    return moment.astimezone(ZoneInfo("Europe/Paris")).date()


def sort_key(name: str) -> str:
    """The listing's sort key: the name lower-cased without accents."""
    return unaccent(name)[:120]


def sync_facets(session: Session, listing: Listing) -> None:
    """Replace the listing's (facet, value) rows: presentation from the app, assessed facts
    from the decided profile."""
    session.execute(delete(ListingFacet).where(ListingFacet.listing_id == listing.id))
    session.add_all(
        ListingFacet(listing_id=listing.id, facet=facet, value=value)
        for facet, value in facet_values(listing.app, listing.profile)
    )


def listing_for_app(session: Session, app_id: int) -> Listing | None:
    return session.scalar(select(Listing).where(Listing.app_id == app_id))


def publish_from_dossier(session: Session, dossier: Dossier, *, actor: User | None) -> Listing:
    """Create, renew or update the listing of a dossier whose decision is ``referenced``.

    Called by the ``sign_agreement`` effect. ``valid_until`` is the decision date
    plus ``LISTING_VALIDITY_DAYS``; the opinion and framework are the dossier's.
    Writes a public history event, the facets, the search index, bumps the
    catalogue version and purges the CDN after commit.
    """
    decision = session.scalar(select(Decision).where(Decision.dossier_id == dossier.id))
    if decision is None or decision.outcome != DecisionOutcome.REFERENCED:
        raise DomainError("Ce dossier n'a pas de décision de référencement : rien à publier.")
    opinion = session.scalar(
        select(Opinion).where(Opinion.dossier_id == dossier.id)
        .order_by(Opinion.issued_at.desc(), Opinion.id.desc()).limit(1)
    )
    if opinion is None:
        raise DomainError("Ce dossier n'a pas d'avis de la commission : rien à publier.")
    valid_until = paris_date(decision.decided_at) + timedelta(days=int(_setting("LISTING_VALIDITY_DAYS")))
    app = dossier.app
    listing = listing_for_app(session, app.id)
    moment = now()
    before: dict[str, Any] = {}
    if listing is None:
        listing = Listing(
            app=app, app_id=app.id, state=ListingState.PUBLISHED, dossier=dossier,
            framework_id=dossier.framework_id, opinion=opinion.value.value,
            decided_at=decision.decided_at, published_at=moment, valid_until=valid_until,
            state_changed_at=moment,
        )
        session.add(listing)
        kind = ListingEventKind.PUBLISHED
    else:
        before = {"state": listing.state.value, "dossier_id": listing.dossier_id,
                  "valid_until": listing.valid_until.isoformat()}
        if listing.state in (ListingState.EXPIRED, ListingState.DELISTED):
            # A new referencing decision brings an expired or delisted app back.
            kind = ListingEventKind.PUBLISHED
            fire(session, LISTING_LIFECYCLE, listing, "republish", None, dossier=dossier)
        elif dossier.kind == DossierKind.RENEWAL:
            kind = ListingEventKind.RENEWED
        elif dossier.kind == DossierKind.MODIFICATION:
            kind = ListingEventKind.MODIFIED
        else:
            kind = ListingEventKind.PUBLISHED
        listing.dossier = dossier
        listing.framework_id = dossier.framework_id
        listing.opinion = opinion.value.value
        listing.decided_at = decision.decided_at
        listing.valid_until = valid_until
    note = ""
    if dossier.kind == DossierKind.MODIFICATION:
        # The decided facts become the app's and the listing's; the history says which.
        changes = modification.apply_decided_profile(session, app, dossier)
        note = modification.public_note(changes)
        before["changes"] = [c.field for c in changes]
    listing.sort_key = sort_key(app.name)
    session.flush()
    session.add(ListingEvent(listing_id=listing.id, kind=kind, occurred_at=moment,
                             dossier_id=dossier.id, public_note=note))
    sync_facets(session, listing)
    search.index_listing(session, listing)
    cache.catalogue_changed(session, [app.slug])
    audit.record(
        session, f"listing.{kind.value}", actor=actor, subject=listing,
        payload={"before": before, "after": {
            "state": listing.state.value, "dossier_id": dossier.id,
            "valid_until": valid_until.isoformat(), "opinion": listing.opinion}},
    )
    return listing


def update_presentation(session: Session, app: App, *, actor: User | None) -> Listing | None:
    """Re-sync a listed app's listing after a presentational profile change.

    The app services already changed and audited the profile; this brings the
    facets, search index and public history in line. Returns the listing, or
    ``None`` when the app is not listed.
    """
    listing = listing_for_app(session, app.id)
    if listing is None:
        return None
    listing.updated_at = now()
    listing.sort_key = sort_key(app.name)
    session.add(ListingEvent(listing_id=listing.id, kind=ListingEventKind.UPDATED))
    session.flush()
    sync_facets(session, listing)
    search.index_listing(session, listing)
    cache.catalogue_changed(session, [app.slug])
    audit.record(session, "listing.updated", actor=actor, subject=listing,
                 payload={"app_id": app.id})
    return listing


def suspend_listing(session: Session, listing: Listing, *, actor: User | None, reason: str) -> Listing:
    """Suspend a published listing (security incident…); patients' consents are suspended."""
    fire(session, LISTING_LIFECYCLE, listing, "suspend", actor, reason=reason)
    return listing


def reinstate_listing(
    session: Session, listing: Listing, *, actor: User | None, reason: str = ""
) -> Listing:
    """Bring a suspended listing back; suspended consents resume."""
    fire(session, LISTING_LIFECYCLE, listing, "reinstate", actor, reason=reason)
    return listing


def delist_listing(session: Session, listing: Listing, *, actor: User | None, reason: str) -> Listing:
    """Delist for good (decision maker, motivated); consents stay suspended."""
    fire(session, LISTING_LIFECYCLE, listing, "delist", actor, reason=reason)
    return listing


# --- Reports -------------------------------------------------------------------


def create_report(
    session: Session, listing: Listing, *, actor: User, kind: str, text: str
) -> Report:
    """A signed-in user reports a problem on a listing; the secretariat is told."""
    if actor is None:
        raise PermissionDenied("Connectez-vous pour signaler un problème.")
    errors: dict[str, str] = {}
    try:
        report_kind = ReportKind(kind)
    except ValueError:
        errors["kind"] = "Choisissez le type de problème."
    cleaned = (text or "").strip()
    if len(cleaned) < REPORT_TEXT_MIN:
        errors["text"] = f"Décrivez le problème en au moins {REPORT_TEXT_MIN} caractères."
    elif len(cleaned) > REPORT_TEXT_MAX:
        errors["text"] = f"La description ne peut dépasser {REPORT_TEXT_MAX} caractères."
    if errors:
        raise ValidationFailed("Le signalement contient des erreurs.", errors=errors)
    if listing.state not in (ListingState.PUBLISHED, ListingState.SUSPENDED):
        raise DomainError("Cette application n'est plus au catalogue.")
    report = Report(listing_id=listing.id, reporter_id=actor.id, kind=report_kind, text=cleaned)
    session.add(report)
    session.flush()
    audit.record(session, "report.created", actor=actor, subject=report,
                 payload={"listing_id": listing.id, "kind": report_kind.value})
    listing_notifications.report_created(session, users_with_role(session, Role.SECRETARIAT),
                                         app_name=listing.app.name, kind=report_kind.value,
                                         report_id=report.id)
    return report


def triage_report(
    session: Session, report: Report, *, actor: User, status: str, note: str = ""
) -> Report:
    """The secretariat sets a report's status (in progress, resolved, dismissed)."""
    if actor is None or not actor.has_role(Role.SECRETARIAT):
        raise PermissionDenied("Seul le secrétariat traite les signalements.")
    try:
        new_status = ReportStatus(status)
    except ValueError:
        raise ValidationFailed("Statut inconnu.", errors={"status": "Choisissez un statut."}) from None
    cleaned = (note or "").strip()
    if len(cleaned) > TRIAGE_NOTE_MAX:
        raise ValidationFailed("Note trop longue.", errors={
            "note": f"La note ne peut dépasser {TRIAGE_NOTE_MAX} caractères."})
    if new_status in (ReportStatus.RESOLVED, ReportStatus.DISMISSED) and not cleaned:
        raise ValidationFailed("Note manquante.", errors={
            "note": "Expliquez la suite donnée : la personne qui a signalé la lira."})
    before = report.status.value
    report.status = new_status
    report.resolution_note = cleaned
    report.triaged_by_id = actor.id
    report.triaged_at = now()
    session.flush()
    audit.record(session, "report.triaged", actor=actor, subject=report,
                 payload={"before": before, "after": new_status.value})
    if report.reporter is not None and before != new_status.value:
        listing_notifications.report_status(session, report.reporter, app_name=report.listing.app.name,
                                            status=new_status.value, note=cleaned)
    return report


def get_report(session: Session, report_id: int) -> Report:
    report = session.get(Report, report_id)
    if report is None:
        raise NotFound("Signalement introuvable.")
    return report
