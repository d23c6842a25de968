"""Public pages of the frameworks (`/referentiels`): versions, requirements, profile filter,
differences between versions. Anonymous, cacheable, printable."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, make_response, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _

from catalogue import db
from catalogue.api.caching import conditional
from catalogue.errors import NotFound
from catalogue.frameworks import queries as framework_queries
from catalogue.frameworks.forms import CompareForm, ProfileFilterForm
from catalogue.frameworks.models import FrameworkStatus
from catalogue.frameworks.vocabulary import evidence_label, predicate_label

bp = Blueprint("frameworks", __name__, url_prefix="/referentiels")


def _locale() -> str:
    return "en" if str(get_locale() or "fr") == "en" else "fr"


@bp.context_processor
def _presenters() -> dict[str, Any]:
    """Pick the text of the UI's language among the French and English values of the data."""
    lang = _locale()

    def localized(fr: str, en: str | None = None) -> str:
        return en if lang == "en" and en else fr

    status_labels = {
        FrameworkStatus.DRAFT: _("À venir"),
        FrameworkStatus.IN_FORCE: _("En vigueur"),
        FrameworkStatus.RETIRED: _("Retiré"),
    }
    return {
        "localized": localized,
        "predicate_label": lambda code: predicate_label(code, lang),
        "evidence_label": lambda code: evidence_label(code, lang),
        "status_label": lambda status: status_labels[FrameworkStatus(status)],
    }


@bp.get("")
def index() -> Response:
    """Every imported version, grouped by code, with a form to compare two of them."""

    def build() -> str:
        summaries = framework_queries.list_frameworks(db.session)
        codes: dict[str, list[framework_queries.FrameworkSummary]] = {}
        for summary in summaries:
            codes.setdefault(summary.framework.code, []).append(summary)
        forms = {}
        for code, versions in codes.items():
            labels = [s.framework.version for s in versions]
            if len(labels) > 1:
                # Newest first in the list: the natural question is "what is new?".
                forms[code] = CompareForm(formdata=None, versions=labels[::-1],
                                          data={"de": labels[1], "a": labels[0]})
        return render_template("frameworks/index.html", codes=codes, compare_forms=forms)

    return conditional(framework_queries.frameworks_token(db.session), build)


@bp.get("/<code>")
def latest(code: str) -> Response:
    """A code alone leads to its version in force, or else to its newest version."""
    framework = framework_queries.framework_in_force(db.session, code) or framework_queries.latest_published(
        db.session, code
    )
    if framework is None:
        raise NotFound(_("Ce référentiel n'existe pas."))
    return redirect(url_for(".show", code=framework.code, version=framework.version))


@bp.get("/<code>/comparer")
def compare(code: str) -> Response:
    """The comparison form's target: validate the two versions, then go to their diff."""
    summaries = framework_queries.list_frameworks(db.session, code)
    if not summaries:
        raise NotFound(_("Ce référentiel n'existe pas."))
    versions = [s.framework.version for s in summaries][::-1]
    form = CompareForm(request.args, versions=versions)
    if form.validate():
        return redirect(url_for(".diff", code=code, old=form.de.data, new=form.a.data))
    html = render_template(
        "frameworks/compare.html", code=code, form=form, summaries=summaries
    )
    return make_response(html, 400)


@bp.get("/<code>/<version>")
def show(code: str, version: str) -> Response:
    """A version's requirements grouped by category, optionally filtered by a profile."""
    form = ProfileFilterForm(request.args, locale=_locale())
    filtering = form.submitted
    if filtering and not form.validate():
        framework = framework_queries.get_framework(db.session, code, version)
        return make_response(_render_version(framework, form, None), 400)

    def build() -> str:
        framework = framework_queries.get_framework(db.session, code, version)
        shown = (
            framework_queries.requirements_for_profile(framework, form.profil.data or [])
            if filtering else None
        )
        return _render_version(framework, form, shown)

    # Frameworks are never deleted and the token covers them all: an ETag that matches was
    # given for this very URL under the same data, so a 304 needs no further look-up.
    return conditional(framework_queries.frameworks_token(db.session), build)


def _render_version(framework: Any, form: ProfileFilterForm, shown: list[Any] | None) -> str:
    """Render a version page; `shown` is the filtered list, None when not filtering."""
    listed = shown if shown is not None else framework.requirements
    by_category: dict[str, list[Any]] = {c.code: [] for c in framework.categories}
    for requirement in listed:
        by_category.setdefault(requirement.category, []).append(requirement)
    return render_template(
        "frameworks/show.html",
        framework=framework,
        form=form,
        filtering=shown is not None,
        shown_count=len(listed),
        by_category=by_category,
        mandatory_total=sum(1 for r in framework.requirements if r.mandatory),
        mandatory_shown=sum(1 for r in listed if r.mandatory),
        previous=framework_queries.previous_version(db.session, framework),
        following=framework_queries.next_version(db.session, framework),
    )


@bp.get("/<code>/<old>/diff/<new>")
def diff(code: str, old: str, new: str) -> Response:
    """What changed from version `old` to version `new` of a framework."""

    def build() -> str:
        before, after, changes = framework_queries.compare_versions(db.session, code, old, new)
        categories = {c.code: c for c in [*before.categories, *after.categories]}
        return render_template(
            "frameworks/diff.html", before=before, after=after, changes=changes,
            categories=categories,
        )

    return conditional(framework_queries.frameworks_token(db.session), build)
