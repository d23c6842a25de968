"""Template filters and globals: Babel formatting, labels of every vocabulary, next steps.

Kept apart from ``catalogue.core.formatting`` (which e-mails and services use) because the
labels and steps import every domain's tables.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import get_translations
from jinja2.runtime import Context
from jinja2.utils import pass_context
from markupsafe import Markup

from catalogue.core import formatting, labels
from catalogue.dossiers import steps


@pass_context
def template_gettext(context: Context, message: str, **variables: Any) -> str:
    """The templates' ``_()`` and ``gettext()``: what Jinja's new-style gettext does (the
    translation, marked safe under autoescape, always formatted with its variables), in one
    call where Jinja's alias ``_`` costs three nested ``Context.call`` (a page has a hundred)."""
    text = formatting.current_translations().ugettext(message)
    if context.eval_ctx.autoescape:
        text = Markup(text)  # noqa: S704 - a message of our catalogue, as Jinja's own gettext does
    if not variables and "%" not in text:
        return text  # what ``% {}`` would give, without Markup's escaping helper
    return text % variables  # type: ignore[no-any-return]


def install(app: Flask) -> None:
    """Register the filters and globals on the application's Jinja environment (after
    Flask-Babel, whose ``ngettext`` this replaces with the reader's plural rule)."""
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: get_translations().ugettext(s), ngettext=formatting.template_ngettext,
        newstyle=True)
    app.jinja_env.globals.update(_=template_gettext, gettext=template_gettext)
    app.jinja_env.filters.update(
        day=formatting.day, date_fr=formatting.day, moment=formatting.moment,
        number=formatting.number, percent=formatting.percent, duration=formatting.duration,
        time_tag=formatting.time_tag,
    )
    app.jinja_env.globals.update(
        label=labels.label, transition_label=labels.transition_label, quarter=formatting.quarter,
        days_left=formatting.days_left, query_url=formatting.query_url, next_step=steps.next_step,
        reader_lang=formatting.reader_lang, colon=formatting.colon,
        dossier_track=lambda d, *extra: steps.track(d.state, steps.completion_dates(d, *extra)),
    )
