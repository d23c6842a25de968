"""App profile rules: the orientation questionnaire, logo and screenshots.

A listed app changes its presentation at once (the listing follows, audited); a
change to what was assessed is refused with an offer to open a ``modification``
dossier.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import urlparse

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from catalogue.accounts.models import User
from catalogue.apps import vocabulary as v
from catalogue.apps.images import clean_image
from catalogue.apps.models import App, Pricing, Screenshot
from catalogue.audit import services as audit
from catalogue.dossiers.models import Dossier, DossierKind, DossierState
from catalogue.errors import DomainError, NotFound, ValidationFailed
from catalogue.frameworks.vocabulary import PREDICATES
from catalogue.listings.queries import listing_of
from catalogue.publishers.models import Membership, Organisation
from catalogue.publishers.permissions import require_member
from catalogue.storage.services import get_storage, new_key

MAX_SCREENSHOTS = 8
# Dossier states in which the app's assessed facts are not frozen by that dossier: a draft
# (not filed yet) and the closed ones other than a referencing (the listing rule applies).
_NOT_FROZEN_STATES = (DossierState.DRAFT, DossierState.WITHDRAWN, DossierState.REFUSED,
                      DossierState.LAPSED, DossierState.REFERENCED)
DERIVED_PREDICATES = frozenset({"is_medical_device", "connects_patient_space",
                                "handles_patient_identity", "has_professional_users",
                                "targets_minors"})
SUMMARY_MAX = 200
_SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

PROFILE_FIELDS = (
    "name", "slug", "summary", "description", "category", "audiences", "platforms", "pricing",
    "price_text", "languages", "website_url", "privacy_policy_url",
    "accessibility_statement_url", "support_contact", "data_categories", "hosting_provider",
    "hds_certified", "hds_certificate_ref", "is_medical_device", "medical_device_class",
    "connected_services", "predicates",
)
_LIST_FIELDS = {
    "audiences": v.AUDIENCES, "platforms": v.PLATFORMS, "languages": v.LANGUAGES,
    "data_categories": v.DATA_CATEGORIES, "connected_services": v.NATIONAL_SERVICES,
    "predicates": PREDICATES,
}


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


def slugify(text: str) -> str:
    """A URL slug: ASCII lower case words joined by dashes."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:70].strip("-") or "application"


def _unique_slug(session: Session, base: str, app_id: int | None) -> str:
    slug, n = base, 2
    while session.scalar(select(App.id).where(App.slug == slug, App.id != (app_id or 0))):
        slug = f"{base[:70]}-{n}"
        n += 1
    return slug


def _url(value: str, field: str, errors: dict[str, str]) -> str:
    value = (value or "").strip()
    if not value:
        return ""
    parts = urlparse(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(value) > 500:
        errors[field] = "Indiquez une adresse web complète commençant par https://."
    return value


def _codes(value: Any, table: dict[str, Any], field: str, errors: dict[str, str]) -> list[str]:
    values = [value] if isinstance(value, str) else list(value or [])
    unknown = [c for c in values if c not in table]
    if unknown:
        errors[field] = "Valeur inconnue : " + ", ".join(map(str, unknown)) + "."
    # Keep the table's order: stable snapshots and diffs.
    return [c for c in table if c in values]


def _clean_profile(session: Session, data: dict[str, Any], app_id: int | None) -> dict[str, Any]:
    """Validate the whole profile; ValidationFailed with a French message per field."""
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    name = (data.get("name") or "").strip()
    if not name:
        errors["name"] = "Indiquez le nom de l'application."
    elif len(name) > 120:
        errors["name"] = "Le nom ne doit pas dépasser 120 caractères."
    out["name"] = name
    slug = (data.get("slug") or "").strip().lower() or slugify(name)
    if not _SLUG_RE.match(slug) or len(slug) > 80:
        errors["slug"] = "L'identifiant d'adresse ne contient que des lettres minuscules, chiffres et tirets."
    elif session.scalar(select(App.id).where(App.slug == slug, App.id != (app_id or 0))):
        if data.get("slug"):
            errors["slug"] = "Cet identifiant d'adresse est déjà utilisé."
        else:
            slug = _unique_slug(session, slug, app_id)
    out["slug"] = slug
    summary = " ".join((data.get("summary") or "").split())
    if not summary:
        errors["summary"] = "Indiquez un résumé."
    elif len(summary) > SUMMARY_MAX:
        errors["summary"] = (f"Le résumé ne doit pas dépasser {SUMMARY_MAX} caractères "
                             f"({len(summary)} saisis).")
    out["summary"] = summary
    description = (data.get("description") or "").strip()
    if len(description) > 20_000:
        errors["description"] = "La description ne doit pas dépasser 20 000 caractères."
    out["description"] = description
    category = data.get("category") or ""
    if category not in v.CATEGORIES:
        errors["category"] = "Choisissez une catégorie."
    out["category"] = category
    for field, table in _LIST_FIELDS.items():
        out[field] = _codes(data.get(field), table, field, errors)
    if not out["platforms"] and "platforms" not in errors:
        errors["platforms"] = "Choisissez au moins une plateforme."
    if not out["audiences"] and "audiences" not in errors:
        errors["audiences"] = "Choisissez au moins un public."
    if not out["languages"] and "languages" not in errors:
        errors["languages"] = "Choisissez au moins une langue."
    try:
        out["pricing"] = Pricing(data.get("pricing") or "free")
    except ValueError:
        errors["pricing"] = "Choisissez un modèle de tarification."
        out["pricing"] = Pricing.FREE
    price_text = (data.get("price_text") or "").strip()
    if out["pricing"] != Pricing.FREE and not price_text:
        errors["price_text"] = "Précisez les tarifs des options payantes."
    if len(price_text) > 200:
        errors["price_text"] = "Ce champ ne doit pas dépasser 200 caractères."
    out["price_text"] = price_text if out["pricing"] != Pricing.FREE else ""
    for field in ("website_url", "privacy_policy_url", "accessibility_statement_url"):
        out[field] = _url(data.get(field) or "", field, errors)
    support = (data.get("support_contact") or "").strip()
    if support and not support.startswith(("http://", "https://")):
        try:
            support = validate_email(support, check_deliverability=False).normalized
        except EmailNotValidError:
            errors["support_contact"] = "Indiquez une adresse e-mail ou une adresse web de support."
    elif support:
        support = _url(support, "support_contact", errors)
    out["support_contact"] = support
    out["hosting_provider"] = (data.get("hosting_provider") or "").strip()[:200]
    out["hds_certified"] = bool(data.get("hds_certified"))
    out["hds_certificate_ref"] = (data.get("hds_certificate_ref") or "").strip()[:200]
    out["is_medical_device"] = bool(data.get("is_medical_device"))
    device_class = data.get("medical_device_class") or None
    if out["is_medical_device"]:
        if device_class not in v.MEDICAL_DEVICE_CLASSES:
            errors["medical_device_class"] = "Indiquez la classe du dispositif médical."
    else:
        device_class = None
    out["medical_device_class"] = device_class
    # Predicates the profile's other answers already give are derived from them, never
    # taken as typed, so that they cannot contradict the profile.
    predicates = set(out["predicates"]) - DERIVED_PREDICATES
    if out["is_medical_device"]:
        predicates.add("is_medical_device")
    if out["data_categories"]:
        predicates.add("connects_patient_space")
        predicates.add("processes_health_data")
    if "insi" in out["connected_services"]:
        predicates.add("handles_patient_identity")
    if "professionals" in out["audiences"]:
        predicates.add("has_professional_users")
    if "children" in out["audiences"]:
        predicates.add("targets_minors")
    if "processes_health_data" in predicates and not out["hosting_provider"]:
        errors["hosting_provider"] = "Indiquez l'hébergeur des données de santé."
    if out["hds_certified"] and not out["hds_certificate_ref"]:
        errors["hds_certificate_ref"] = "Indiquez la référence du certificat HDS de l'hébergeur."
    out["predicates"] = [p for p in PREDICATES if p in predicates]
    if errors:
        raise ValidationFailed(next(iter(errors.values())), errors=errors)
    return out


# The whole-profile validation, for a modification dossier's proposed profile too.
clean_profile = _clean_profile


def profile_snapshot(app: App) -> dict[str, Any]:
    """The profile as plain JSON (frozen in a dossier at creation)."""
    snapshot = {}
    for field in PROFILE_FIELDS:
        value = getattr(app, field)
        snapshot[field] = value.value if hasattr(value, "value") else (
            list(value) if isinstance(value, list) else value)
    return snapshot


def create_app_profile(session: Session, organisation: Organisation, *, actor: User,
                       **fields: Any) -> App:
    """A member creates an app with its questionnaire answers."""
    require_member(session, organisation, actor)
    clean = _clean_profile(session, fields, None)
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
    clean = _clean_profile(session, merged, app.id)
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
    from catalogue.listings import services as listings

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
    from catalogue import db

    def delete() -> None:
        get_storage().delete(key)

    db.after_commit(session, delete)
