"""App profile rules: the orientation questionnaire, logo and screenshots.

A listed app changes its presentation at once (the listing follows, audited); a
change to what was assessed is refused with an offer to open a ``modification``
dossier.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from catalogue import db
from catalogue.accounts.models import User
from catalogue.apps import vocabulary as v
from catalogue.apps.images import clean_image
from catalogue.apps.models import App, Screenshot
from catalogue.apps.profile import (
    PROFILE_FIELDS,
    clean_profile,
    profile_snapshot,
)
from catalogue.audit import services as audit
from catalogue.dossiers.models import Dossier, DossierKind, DossierState
from catalogue.errors import DomainError, NotFound, ValidationFailed
from catalogue.listings import services as listings
from catalogue.listings.queries import listing_of
from catalogue.publishers.models import Membership, Organisation
from catalogue.publishers.permissions import require_member
from catalogue.storage.services import get_storage, new_key

MAX_SCREENSHOTS = 8
# Dossier states in which the app's assessed facts are not frozen by that dossier: a draft
# (not filed yet) and the closed ones other than a referencing (the listing rule applies).
_NOT_FROZEN_STATES = (DossierState.DRAFT, DossierState.WITHDRAWN, DossierState.REFUSED,
                      DossierState.LAPSED, DossierState.REFERENCED)


class AssessedFieldChange(DomainError):
    """An assessed field changed while a dossier holds it frozen (submitted, under review,
    decided) or once listed: a ``modification`` dossier is needed."""

    status = 409

    def __init__(self, fields: list[str], *, reference: str | None = None):
        names = ", ".join(v.label(v.ASSESSED_FIELD_LABELS, f) for f in fields)
        if reference:
            message = (
                f"Le dossier {reference} a été déposé : les informations évaluées ({names}) "
                "sont gelées jusqu'à sa décision. Une fois l'application référencée, ouvrez un "
                "dossier de modification pour les changer (ou retirez le dossier en cours)."
            )
        else:
            message = (
                f"Ces informations ont été évaluées lors du référencement ({names}) : leur "
                "modification nécessite un dossier de modification."
            )
        super().__init__(
            message, errors=dict.fromkeys(fields, "Modification soumise à un nouveau dossier."),
        )
        self.fields = fields
        self.reference = reference


def create_app_profile(session: Session, organisation: Organisation, *, actor: User,
                       **fields: Any) -> App:
    """A member creates an app with its questionnaire answers."""
    require_member(session, organisation, actor)
    clean = clean_profile(session, fields, None)
    app = App(organisation_id=organisation.id, created_by_id=actor.id, **clean)
    session.add(app)
    session.flush()
    audit.record(session, "app.created", actor=actor, subject=app,
                 payload={"organisation_id": organisation.id, "slug": app.slug})
    return app


def update_app_profile(session: Session, app: App, *, actor: User, **fields: Any) -> App:
    """Update the profile. On a listed app, presentational changes reach the listing at
    once; assessed fields raise ``AssessedFieldChange``."""
    require_member(session, app.organisation, actor)
    merged = {**profile_snapshot(app), **fields}
    clean = clean_profile(session, merged, app.id)
    before = profile_snapshot(app)
    changed = [f for f in PROFILE_FIELDS if _plain(clean[f]) != before[f]]
    if not changed:
        return app
    listing = listing_of(session, app)
    assessed = [f for f in changed if f in v.ASSESSED_FIELDS]
    if assessed:
        # From submission on, the assessed facts are the dossier's, not the profile's.
        filed = session.scalar(
            select(Dossier.reference).where(Dossier.app_id == app.id,
                                            Dossier.state.not_in(_NOT_FROZEN_STATES))
            .order_by(Dossier.id.desc()).limit(1)
        )
        if filed is not None and listing is None:
            raise AssessedFieldChange(assessed, reference=filed)
        if listing is not None:
            raise AssessedFieldChange(assessed)
    if listing is not None and "slug" in changed:
        message = "L'adresse d'une application référencée ne change pas."
        raise ValidationFailed(message, errors={"slug": message})
    for field in changed:
        setattr(app, field, clean[field])
    session.flush()
    audit.record(
        session, "app.updated", actor=actor, subject=app,
        payload={"fields": changed,
                 "before": {f: before[f] for f in changed if f != "description"},
                 "after": {f: _plain(clean[f]) for f in changed if f != "description"}},
    )
    if assessed:
        _follow_in_drafts(session, app)
    if listing is not None:
        _sync_listing(session, app, actor)
    return app


def _follow_in_drafts(session: Session, app: App) -> None:
    """A draft dossier's snapshot follows the profile until submission (which freezes it),
    so that its applicable requirements are those of the profile it will be filed with."""
    for dossier in session.scalars(
        select(Dossier).where(Dossier.app_id == app.id, Dossier.state == DossierState.DRAFT,
                              Dossier.kind != DossierKind.MODIFICATION)
    ):
        dossier.profile_snapshot = profile_snapshot(app)
    session.flush()


def _plain(value: Any) -> Any:
    return value.value if hasattr(value, "value") else value


def _sync_listing(session: Session, app: App, actor: User) -> None:
    listings.update_presentation(session, app, actor=actor)


def apps_of(session: Session, organisation: Organisation) -> list[App]:
    """The organisation's apps by name."""
    return list(session.scalars(
        select(App).where(App.organisation_id == organisation.id).order_by(func.lower(App.name))
    ))


def app_for_user(session: Session, app_id: int, user: User) -> App:
    """The app when the user is a member of its organisation; NotFound otherwise."""
    app = session.scalar(
        select(App)
        .join(Membership, Membership.organisation_id == App.organisation_id)
        .where(App.id == app_id, Membership.user_id == user.id)
        .options(selectinload(App.screenshots), selectinload(App.organisation))
    )
    if app is None:
        raise NotFound("Application introuvable.")
    return app


# --- Images --------------------------------------------------------------------------------

def set_logo(session: Session, app: App, *, actor: User, data: bytes) -> App:
    """Replace the logo (re-encoded, at most 512 px)."""
    require_member(session, app.organisation, actor)
    image = clean_image(data, field="logo", max_side=512, min_side=64)
    key = new_key("logos")
    get_storage().put(key, image.data)
    old = app.logo_key
    app.logo_key = key
    try:
        session.flush()
    except Exception:
        get_storage().delete(key)
        raise
    audit.record(session, "app.logo_changed", actor=actor, subject=app, payload={"key": key})
    if old:
        _delete_after_commit(session, old)
    if listing_of(session, app) is not None:
        _sync_listing(session, app, actor)
    return app


def add_screenshot(session: Session, app: App, *, actor: User, data: bytes,
                   alt_text: str) -> Screenshot:
    """Add a screenshot (re-encoded, at most 1600 px) with its text alternative."""
    require_member(session, app.organisation, actor)
    alt_text = " ".join((alt_text or "").split())
    if not alt_text:
        message = "Décrivez la capture d'écran pour les personnes qui ne la voient pas."
        raise ValidationFailed(message, errors={"alt_text": message})
    if len(alt_text) > 300:
        raise ValidationFailed("La description ne doit pas dépasser 300 caractères.",
                               errors={"alt_text": "La description ne doit pas dépasser 300 caractères."})
    if len(app.screenshots) >= MAX_SCREENSHOTS:
        raise DomainError(f"Une application présente au plus {MAX_SCREENSHOTS} captures d'écran.")
    image = clean_image(data, field="screenshot", max_side=1600, min_side=100)
    key = new_key("screenshots")
    get_storage().put(key, image.data)
    position = max((s.position for s in app.screenshots), default=-1) + 1
    shot = Screenshot(storage_key=key, alt_text=alt_text, position=position)
    app.screenshots.append(shot)
    try:
        session.flush()
    except Exception:
        get_storage().delete(key)
        raise
    audit.record(session, "app.screenshot_added", actor=actor, subject=app,
                 payload={"screenshot_id": shot.id})
    if listing_of(session, app) is not None:
        _sync_listing(session, app, actor)
    return shot


def remove_screenshot(session: Session, app: App, screenshot_id: int, *, actor: User) -> None:
    """Remove a screenshot; its file goes after commit."""
    require_member(session, app.organisation, actor)
    shot = next((s for s in app.screenshots if s.id == screenshot_id), None)
    if shot is None:
        raise NotFound("Capture d'écran introuvable.")
    key = shot.storage_key
    app.screenshots.remove(shot)
    session.flush()
    audit.record(session, "app.screenshot_removed", actor=actor, subject=app,
                 payload={"screenshot_id": screenshot_id})
    _delete_after_commit(session, key)
    if listing_of(session, app) is not None:
        _sync_listing(session, app, actor)


def _delete_after_commit(session: Session, key: str) -> None:
    def delete() -> None:
        get_storage().delete(key)

    db.after_commit(session, delete)
