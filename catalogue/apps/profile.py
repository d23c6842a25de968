"""The app profile as data: cleaning a submitted questionnaire (French messages per field) and
the snapshot a dossier freezes. Pure of side effects, so dossiers can use it."""

from __future__ import annotations

import re
import unicodedata
from typing import Any
from urllib.parse import urlparse

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.apps import vocabulary as v
from catalogue.apps.models import App, Pricing
from catalogue.errors import ValidationFailed
from catalogue.frameworks.vocabulary import PREDICATES

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


def clean_profile(session: Session, data: dict[str, Any], app_id: int | None) -> dict[str, Any]:
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


def profile_snapshot(app: App) -> dict[str, Any]:
    """The profile as plain JSON (frozen in a dossier at creation)."""
    snapshot = {}
    for field in PROFILE_FIELDS:
        value = getattr(app, field)
        snapshot[field] = value.value if hasattr(value, "value") else (
            list(value) if isinstance(value, list) else value)
    return snapshot
