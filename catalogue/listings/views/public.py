"""Public catalogue pages: home, search with facets, listing page, feed, open data,
statistics, and reporting a problem on a listing.

Anonymous GETs never touch the Flask session (no cookie is set), so a CDN may
keep them; each carries an ETag from the catalogue version (``api.caching``).
"""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC
from typing import IO, Any
from urllib.parse import urlencode

from flask import (
    Blueprint,
    Response,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from catalogue import db
from catalogue.accounts.auth import login_required
from catalogue.api.caching import conditional
from catalogue.apps.text import render_markdown
from catalogue.clock import now
from catalogue.commission.labels import PUBLIC_OPINION_LABELS
from catalogue.core import formatting
from catalogue.core.i18n import per_locale
from catalogue.core.labels import label as core_label
from catalogue.dossiers.models import DossierKind
from catalogue.errors import NotFound
from catalogue.listings import cache, exports, queries, stats
from catalogue.listings import services as listing_services
from catalogue.listings.forms import ReportForm
from catalogue.listings.labels import FACET_TABLES, FACETS, LABELS, current_lang, label
from catalogue.listings.listing_page import listing_page
from catalogue.listings.models import Listing, ListingEventKind, ListingState
from catalogue.listings.serialize import CSV_COLUMNS, summary
from catalogue.public_urls import base_url
from catalogue.web import apply_form

bp = Blueprint("listings", __name__)

Q_MAX = 200
PER_PAGE = 20
SORT_LABELS = {
    "relevance": _l("Pertinence"),
    "name": _l("Nom (A → Z)"),
    "-referenced_at": _l("Référencement le plus récent"),
}


@bp.app_template_filter("facet_label")
def _facet_label(code: str, facet: str) -> str:
    return label(facet, code)


@dataclass(frozen=True, slots=True)
class CardView:
    """What a listing card shows (``templates/listings/_macros.html``), worked out in one
    call per card rather than by a dozen template filters and lookups (20 cards a page)."""

    href: str
    logo: str | None  # the logo's URL; without one, the initials on a coloured tile
    initials: str
    tile: int
    category: str
    summary_in_french: bool  # the summary is the publisher's French, whatever the page's language
    published_on: str
    pricing: str
    platforms: list[str]


@bp.app_template_global("card_view")
def card_view(listing: queries.ListingCard | Listing) -> CardView:
    app = listing.app
    lang = current_lang()
    labels = LABELS[lang]
    initials = "".join(word[0] for word in app.name.split()).upper()
    return CardView(
        href=url_for("listings.listing", slug=app.slug),
        logo=url_for("apps.logo_image", app_id=app.id) if app.logo_key else None,
        # Jinja's ``truncate(2, True, "")``, with its leeway of 5, kept as the page had it.
        initials=initials if len(initials) <= 7 else initials[:2],
        tile=app.id % 6,
        category=labels["category"].get(app.category, app.category),
        summary_in_french=formatting.reader_lang() == "en",
        published_on=formatting.day(listing.published_at),
        pricing=labels["pricing"].get(app.pricing.value, app.pricing.value),
        platforms=[labels["platform"].get(code, code) for code in listing.profile.platforms],
    )


@dataclass(frozen=True, slots=True)
class FacetOption:
    code: str
    label: str
    count: str
    checked: bool


@dataclass(frozen=True, slots=True)
class FacetGroup:
    """One fieldset of the catalogue's filters: its values with a result or chosen, the first
    five shown, the others folded (unfolded when one of them is chosen)."""

    facet: str
    name: str
    options: list[FacetOption]
    unfolded: bool

    FIRST = 5


def facet_groups(query: queries.CatalogueQuery, result: queries.CatalogueResult | None,
                 names: dict[str, str]) -> list[FacetGroup]:
    """The filters of the catalogue page, worked out here rather than by template loops
    over every code of every facet (about 40 lookups and a macro call per value shown)."""
    lang = current_lang()
    groups = []
    for facet in FACETS:
        counts = result.facets.get(facet, {}) if result else {}
        chosen = query.filters.get(facet, [])
        labels = LABELS[lang][facet]
        options = [FacetOption(code, labels.get(code, code), formatting.number(counts.get(code, 0)),
                               code in chosen)
                   for code in FACET_TABLES[facet] if counts.get(code, 0) or code in chosen]
        if options:
            groups.append(FacetGroup(facet, names[facet], options,
                                     any(o.checked for o in options[FacetGroup.FIRST:])))
    return groups


@bp.app_template_filter("atom_date")
def _atom_date(value: Any) -> str:
    """RFC 3339 time for Atom (now when there is nothing yet)."""
    return (value or now()).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _labels() -> dict[str, Any]:
    return {
        "facet_names": {
            "category": _("Catégorie"), "audience": _("Public"), "platform": _("Plateforme"),
            "pricing": _("Tarif"), "medical_device": _("Dispositif médical"),
            "service": _("Services nationaux connectés"),
        },
        "opinion_labels": PUBLIC_OPINION_LABELS,
        "event_labels": {
            ListingEventKind.PUBLISHED: _("Référencée et publiée au catalogue"),
            ListingEventKind.RENEWED: _("Référencement renouvelé"),
            ListingEventKind.MODIFIED: _("Modification évaluée et référencée"),
            ListingEventKind.UPDATED: _("Présentation mise à jour par l'éditeur"),
            ListingEventKind.SUSPENDED: _("Suspendue"),
            ListingEventKind.REINSTATED: _("Rétablie"),
            ListingEventKind.DELISTED: _("Déréférencée"),
            ListingEventKind.EXPIRED: _("Référencement expiré"),
        },
    }


_labels_in_locale = per_locale(_labels)


@bp.context_processor
def _presenters() -> dict[str, Any]:
    return {**_labels_in_locale(), "lang": current_lang()}


# --- Home and search ---------------------------------------------------------------


@bp.get("/")
def home() -> Response:
    """Search box, categories with counts, newest listings, what referencing means."""

    def build() -> str:
        counts = queries.category_counts(db.session)
        categories = [(code, label("category", code), counts.get(code, 0))
                      for code in FACET_TABLES["category"]]
        return render_template("listings/home.html", categories=categories,
                               newest=queries.newest(db.session),
                               total=sum(counts.values()))

    return conditional(cache.current_version(db.session), build)


def _parse_catalogue_args() -> tuple[queries.CatalogueQuery, dict[str, str]]:
    """Read /catalogue's query string; errors name the field, in French."""
    errors: dict[str, str] = {}
    q = request.args.get("q", "").strip()
    if len(q) > Q_MAX:
        errors["q"] = _("La recherche est limitée à %(n)d caractères.", n=Q_MAX)
        q = q[:Q_MAX]
    filters: dict[str, list[str]] = {}
    for facet in FACETS:
        values = [v for v in request.args.getlist(facet) if v]
        unknown = [v for v in values if v not in FACET_TABLES[facet]]
        if unknown:
            errors[facet] = _("Valeur inconnue pour ce filtre.")
        kept = [v for v in values if v in FACET_TABLES[facet]]
        if kept:
            filters[facet] = list(dict.fromkeys(kept))
    sort = request.args.get("sort") or None
    if sort is not None and sort not in SORT_LABELS:
        errors["sort"] = _("Tri inconnu.")
        sort = None
    status = request.args.get("status", "published")
    if status not in ("published", "suspended"):
        errors["status"] = _("État inconnu.")
        status = "published"
    page = 1
    raw_page = request.args.get("page", "1")
    if not raw_page.isdigit() or int(raw_page) < 1 or int(raw_page) > 1_000_000:
        errors["page"] = _("Numéro de page invalide.")
    else:
        page = int(raw_page)
    return queries.CatalogueQuery(q=q, filters=filters, status=status, sort=sort, page=page,
                                  per_page=PER_PAGE), errors


def _url_with(args: dict[str, Any], **changes: Any) -> str:
    merged = {**args, **changes}
    pairs = []
    for key, value in merged.items():
        if value in (None, "", []):
            continue
        for item in value if isinstance(value, list) else [value]:
            pairs.append((key, item))
    return url_for("listings.catalogue") + ("?" + urlencode(pairs) if pairs else "")


@bp.get("/catalogue")
def catalogue() -> Response:
    """Search and facets; every choice lives in the URL (shareable, back button, no JS)."""
    query, errors = _parse_catalogue_args()

    def build() -> Any:
        state_args: dict[str, Any] = {"q": query.q, **query.filters}
        if query.sort:
            state_args["sort"] = query.sort
        if query.status != "published":
            state_args["status"] = query.status
        if errors:
            result = None
        else:
            result = queries.search_catalogue(db.session, query, load=queries.load_cards)
        active = [(facet, value, _url_with(
            state_args, **{facet: [x for x in query.filters[facet] if x != value]}))
            for facet in query.filters for value in query.filters[facet]]
        html = render_template(
            "listings/catalogue.html", query=query, result=result, errors=errors,
            state_args=state_args, url_with=_url_with, active_filters=active,
            sort_labels={k: str(v) for k, v in SORT_LABELS.items()},
            facet_groups=facet_groups(query, result, _labels_in_locale()["facet_names"]),
        )
        return Response(html, status=400 if errors else 200)

    if errors:
        return build()
    return conditional(cache.current_version(db.session), build)


# --- Listing page ------------------------------------------------------------------

@bp.get("/catalogue/<slug>")
def listing(slug: str) -> Response:
    """Everything a patient needs to decide, the referencing facts and the public history."""

    def build() -> str:
        item = listing_page(db.session, slug)
        if item is None:
            raise NotFound(_("Cette application n'est pas au catalogue."))
        return render_template(
            "listings/listing.html", listing=item, app=item.app,
            description=render_markdown(item.app.description),
            history=sorted(item.events, key=lambda e: (e.occurred_at, e.id), reverse=True),
            ListingState=ListingState,
        )

    return conditional(cache.current_version(db.session), build)


@bp.route("/catalogue/<slug>/signaler", methods=["GET", "POST"])
@login_required
def report(slug: str) -> Any:
    """Report a problem on a listing (signed-in users)."""
    item = queries.public_listing(db.session, slug)
    if item is None:
        raise NotFound(_("Cette application n'est pas au catalogue."))
    form = ReportForm()
    if form.validate_on_submit() and apply_form(
            form, lambda: listing_services.create_report(db.session, item, actor=current_user,
                                                         kind=form.kind.data, text=form.text.data),
            _("Merci, votre signalement est enregistré. Vous pouvez suivre son traitement "
              "dans « Mes signalements ».")):
        return redirect(url_for("consents.reports"))
    for message in form.form_errors:
        flash(message, "error")
    status = 422 if form.errors else 200
    return render_template("listings/report.html", form=form, listing=item, app=item.app), status


# --- Feed, open data, statistics ------------------------------------------------------


@bp.get("/catalogue/feed.atom")
def feed() -> Response:
    """Atom feed of publications, renewals, suspensions, reinstatements and delistings."""

    base = base_url()

    def build(out: IO[bytes]) -> None:
        events = queries.feed_events(db.session)
        xml = render_template("listings/feed.atom.xml", events=events, base=base)
        out.write(xml.encode())

    return exports.serve(db.session, "atom", f"{base}|{current_lang()}", build,
                         mimetype="application/atom+xml", in_request=True)


# A formula character at the start of the cell or after any separator a spreadsheet
# may split on (``;``, ``,``, tab, line breaks), spaces allowed in between.
_FORMULA_START = re.compile(r"(?:^|(?<=[;,\t\r\n]))( *)([=+\-@\t\r])")


def _csv_cell(value: Any) -> str:
    """A CSV cell a spreadsheet will not run: formulas are neutralised (CWE-1236)."""
    if isinstance(value, bool):
        text = "true" if value else "false"
    elif isinstance(value, list):
        text = "|".join(str(v) for v in value)
    elif value is None:
        text = ""
    else:
        text = str(value)
    # Every segment a spreadsheet may split off (``;`` for French settings, ``,``) is
    # neutralised, not only the cell's start: ``a;=HYPERLINK(…)`` must not run either.
    return _FORMULA_START.sub(r"\1'\2", text)


@bp.get("/opendata/catalogue.csv")
def opendata_csv() -> Response:
    """The whole published catalogue as CSV (UTF-8 with BOM, for spreadsheets)."""

    base = base_url()

    def build(stream: IO[bytes]) -> None:
        out = io.TextIOWrapper(stream, encoding="utf-8", newline="")
        out.write("\ufeff")
        writer = csv.writer(out, lineterminator="\r\n", quoting=csv.QUOTE_ALL)
        writer.writerow(CSV_COLUMNS)
        for item in queries.all_published(db.session):
            row = summary(item, base)
            writer.writerow([_csv_cell(row[column]) for column in CSV_COLUMNS])
        out.detach()

    return exports.serve(db.session, "csv", base, build, mimetype="text/csv",
                         disposition='attachment; filename="catalogue-ens.csv"')


@bp.get("/opendata/catalogue.json")
def opendata_json() -> Response:
    """The whole published catalogue as JSON."""

    base = base_url()

    def build(out: IO[bytes]) -> None:
        # Items first into a spool, counted as they go, so the count (written first)
        # is the number of items in the file even if the catalogue moves meanwhile.
        with tempfile.TemporaryFile() as items:
            count = 0
            for item in queries.all_published(db.session):
                items.write(b", " if count else b"[")
                items.write(json.dumps(summary(item, base), ensure_ascii=False).encode())
                count += 1
            items.write(b"]" if count else b"[]")
            items.seek(0)
            out.write(b'{"count": %d, "items": ' % count)
            shutil.copyfileobj(items, out)
            out.write(b"}")

    return exports.serve(db.session, "json", base, build, mimetype="application/json",
                         disposition='inline; filename="catalogue-ens.json"')


@bp.get("/statistiques")
def statistics_page() -> Response:
    """The catalogue today (by category, HDS hosting, medical devices), apps referenced over
    time, decisions by outcome and kind, time to decision; every breakdown with its total."""

    def build() -> str:
        session = db.session
        catalogue_now = stats.composition(session)
        over_time = stats.referenced_over_time(session)
        decisions = stats.decisions_by_kind(session)
        times = stats.review_times(session)
        distribution = stats.review_distribution([days for _, days in times])
        outcome_points = [(core_label("outcome", outcome),
                           sum(n for (o, _k), n in decisions.items() if o == outcome))
                          for outcome in OUTCOMES]
        share_points = [(_("Hébergeur certifié HDS"), catalogue_now.hds),
                        (_("Dispositif médical"), catalogue_now.medical_device)]
        return render_template(
            "listings/statistics.html",
            catalogue_now=catalogue_now, states=stats.counts_by_state(session),
            category_bars=stats.bars([(label("category", code), n)
                                      for code, n in catalogue_now.by_category.items()]),
            share_bars=stats.bars(share_points, scale=catalogue_now.total,
                                  fmt=lambda n: _count_and_share(n, catalogue_now.total)),
            over_time=over_time, over_time_bars=stats.bars(over_time),
            decisions=decisions, outcomes=OUTCOMES, kinds=[k.value for k in DossierKind],
            outcome_bars=stats.bars(outcome_points),
            distribution_bars=stats.bars([(_bucket_label(low, high), n) for low, high, n in distribution]),
            decided=len(times), median=stats.median_days(times), by_year=stats.median_by_year(times),
        )

    return conditional(stats.stats_token(db.session), build)


OUTCOMES = ("referenced", "refused")


def _count_and_share(n: float, total: int) -> str:
    return f"{formatting.number(n)} ({formatting.percent(n / total if total else 0)})"


def _bucket_label(low: int, high: int | None) -> str:
    if high is None:
        return _("plus de %(days)s jours", days=formatting.number(low - 1))
    return _("%(low)s à %(high)s jours", low=formatting.number(low), high=formatting.number(high))
