"""Facets of the catalogue and the labels of their codes, in the reader's language.

The codes and their French/English labels belong to ``catalogue.apps.vocabulary``;
this module only says which vocabulary table serves which public facet.
"""

from __future__ import annotations

from catalogue.apps import vocabulary as v

# Public facet name (API parameter, URL query) → vocabulary table.
FACET_TABLES: dict[str, v.Table] = {
    "category": v.CATEGORIES,
    "audience": v.AUDIENCES,
    "platform": v.PLATFORMS,
    "pricing": v.PRICING,
    "medical_device": {"true": ("Dispositif médical", "Medical device"),
                       "false": ("Pas un dispositif médical", "Not a medical device")},
    "service": v.NATIONAL_SERVICES,
}
FACETS = tuple(FACET_TABLES)
OTHER_TABLES: dict[str, v.Table] = {
    "data_category": v.DATA_CATEGORIES,
    "language": v.LANGUAGES,
    "medical_device_class": v.MEDICAL_DEVICE_CLASSES,
}


# Every label in each language, {lang: {facet: {code: label}}}, built once: pages look
# them up here rather than through the vocabulary per value shown.
LABELS: dict[str, dict[str, dict[str, str]]] = {
    lang: {facet: {code: v.label(table, code, lang) for code in table}
           for facet, table in (OTHER_TABLES | FACET_TABLES).items()}
    for lang in ("fr", "en")
}


def current_lang() -> str:
    """The reader's language (French outside of a request), resolved once per request:
    the facet macros ask for it once per value shown (docs/PERFORMANCE.md §0.4)."""
    from flask import has_request_context, request

    if not has_request_context():
        return "fr"
    # Kept in the request's environ, not on ``g``, which may outlive a request.
    lang = request.environ.get("catalogue.lang")
    if lang is None:
        from flask_babel import get_locale

        lang = request.environ["catalogue.lang"] = "en" if str(get_locale() or "fr") == "en" else "fr"
    return lang


def label(facet: str, code: str | None, lang: str | None = None) -> str:
    """The label of a code of a facet (or of ``data_category``, ``language`` …)."""
    if code is None:
        return ""
    labels = LABELS["en" if (lang or current_lang()) == "en" else "fr"]
    return labels.get(facet, {}).get(code, code)


def codes(facet: str) -> list[str]:
    """The known codes of a facet, in the vocabulary's order."""
    return list(FACET_TABLES[facet])


def facet_values(app: object, decided: object | None = None) -> list[tuple[str, str]]:
    """The (facet, value) rows of a listing, as ``ListingFacet`` stores them: category and
    pricing from the app's presentation, assessed facts from ``decided`` (the decided
    profile; the app itself when not given)."""
    facts = decided if decided is not None else app
    rows: set[tuple[str, str]] = {
        ("category", app.category),  # type: ignore[attr-defined]
        ("pricing", getattr(app.pricing, "value", app.pricing)),  # type: ignore[attr-defined]
        ("medical_device", "true" if facts.is_medical_device else "false"),  # type: ignore[attr-defined]
    }
    rows.update(("audience", code) for code in facts.audiences or ())  # type: ignore[attr-defined]
    rows.update(("platform", code) for code in facts.platforms or ())  # type: ignore[attr-defined]
    rows.update(("service", code) for code in facts.connected_services or ())  # type: ignore[attr-defined]
    return sorted(rows)
