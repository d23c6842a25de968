"""One formatter for dates, times, numbers, durations and quarters, through Babel.

Every page and e-mail shows times in Paris time (stored times are UTC), French dates as
French readers write them ("1er mars 2026"), numbers with the locale's separators
("1 951"), durations in words ("3 ans"), quarters as "T1 2026" / "Q1 2026".
Registered as Jinja filters by ``install``; usable from Python as plain functions.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from babel import Locale, dates, numbers
from flask import g, has_app_context, has_request_context, request
from flask_babel import get_locale, get_translations
from markupsafe import Markup, escape

PARIS = ZoneInfo("Europe/Paris")
NARROW_NBSP = "\u202f"
# A space (plain or no-break) before : ; ! ? », when the sign ends a word: "Référence :",
# not "https://", "12:30", "a:hover" or "!=" (no space before, or a word right after).
_SPACE_BEFORE_SIGN = re.compile(r"[ \u00a0]+([:;!?»])(?![\w/=])")
_SPACE_AFTER_GUILLEMET = re.compile(r"«[ \u00a0]+")


def french_spacing(text: str) -> str:
    """French typography: a narrow no-break space before ":", ";", "!", "?", "»" and after
    "«", in place of the space the text has there ("Référence : X" → "Référence\u202f: X").
    Applied to French messages before their variables are put in, so URLs, times and codes
    given as variables are never touched; a sign with no space before it is left alone."""
    if not text:
        return text
    return _SPACE_AFTER_GUILLEMET.sub("«" + NARROW_NBSP, _SPACE_BEFORE_SIGN.sub(NARROW_NBSP + r"\1", text))


def colon(locale: str | None = None) -> str:
    """The colon after a label put together in a template ("Référence : X", "Reference: X")."""
    return NARROW_NBSP + ":" if reader_lang(locale) == "fr" else ":"


def _babel_context() -> Any:
    """Flask-Babel's namespace on ``g`` (the locale and translations once resolved), if any.

    Read in one lookup: Flask-Babel's own accessors take six proxy lookups each, and the
    templates ask for the locale and translations a hundred times a page."""
    if not has_app_context():
        return None
    return getattr(g._get_current_object(), "_flask_babel", None)


def current_translations() -> Any:
    """``flask_babel.get_translations()``, from the slot where ``i18n.TypographicDomain``
    keeps them once loaded (Flask-Babel's ``refresh`` and ``force_locale`` clear it)."""
    translations = getattr(_babel_context(), "babel_translations", None)
    return translations if translations is not None else get_translations()


def reader_lang(locale: str | None = None) -> str:
    if locale:
        return locale
    if not has_request_context():
        return "fr"
    current = getattr(_babel_context(), "babel_locale", None) or get_locale()
    return current.language if current else "fr"


def plural_choice(num: float, locale: str | None = None) -> float:
    """The count that picks a message's plural form. French, the source language, takes the
    singular below 2 ("0 dossier", "1 dossier", "2 dossiers"); Babel's default rule, used
    for a source language without a catalogue, would say "0 dossiers"."""
    return 1 if reader_lang(locale) == "fr" and abs(num) < 2 else num


def ngettext(singular: str, plural: str, count: float, **variables: Any) -> str:
    """``flask_babel.ngettext`` with the reader's plural rule (``plural_choice``);
    ``%(num)s`` is the count, unless given (a formatted count: ``num=number(count)``)."""
    variables.setdefault("num", count)
    return get_translations().ungettext(singular, plural, plural_choice(count)) % variables


def template_ngettext(singular: str, plural: str, num: float) -> str:
    """The ``ngettext`` of templates (Jinja's i18n extension formats the result itself)."""
    return current_translations().ungettext(singular, plural, plural_choice(num))  # type: ignore[no-any-return]


def paris(value: datetime) -> datetime:
    """A stored time (UTC, naive or aware) in Paris time."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(PARIS)


def _as_date(value: date | datetime) -> date:
    return paris(value).date() if isinstance(value, datetime) else value


@lru_cache(maxsize=64)
def _date_pattern(fmt: str, lang: str) -> tuple[Locale, Any]:
    """Babel's locale and parsed pattern of a date format, once per (format, language):
    ``dates.format_date`` parses both on every call (half its cost; 20 cards a page)."""
    locale = Locale.parse(lang)
    if fmt in ("full", "long", "medium", "short"):
        fmt = dates.get_date_format(fmt, locale=locale)
    return locale, dates.parse_pattern(fmt)


def day(value: date | datetime | None, fmt: str = "long", locale: str | None = None) -> str:
    """A calendar day: "1er mars 2026", "24 juillet 2026"; "March 1, 2026" in English.

    ``fmt`` is a Babel width ("long", "medium") or pattern. A datetime is read in Paris time.
    """
    if value is None:
        return ""
    d = _as_date(value)
    lang = reader_lang(locale)
    babel_locale, pattern = _date_pattern(fmt, lang)
    text = pattern.apply(d, babel_locale)  # what dates.format_date(d, fmt, locale=lang) does
    if d.day == 1 and lang == "fr" and text.startswith("1 "):
        text = "1er" + text[1:]
    return text


def moment(value: datetime | None, zone: bool = False, locale: str | None = None) -> str:
    """A day and a time in Paris time ("2 décembre 2026 à 10:00"); ``zone`` adds
    "(heure de Paris)" where the reader could assume another zone (forms, receipts)."""
    if value is None:
        return ""
    local = paris(value)
    lang = reader_lang(locale)
    when, clock = day(local.date(), locale=lang), dates.format_time(local.time(), "short", locale=lang)
    if lang == "en":  # e-mails render outside a request, in the recipient's language
        return f"{when} at {clock}" + (" (Paris time)" if zone else "")
    return f"{when} à {clock}" + (" (heure de Paris)" if zone else "")


def _int_grouping(lang: str) -> str | None:
    """The group separator of ``lang`` when Babel writes whole numbers as Python's ``,``
    format does with that separator (checked here, once), else None."""
    group = numbers.get_group_symbol(lang)
    sample = -1234567890
    return group if numbers.format_decimal(sample, locale=lang) == f"{sample:,}".replace(",", group) else None


# Whole numbers (the facet counts: forty a page) without Babel's pattern machinery.
_INT_GROUPING = {lang: group for lang in ("fr", "en") if (group := _int_grouping(lang)) is not None}


def number(value: int | float | None) -> str:
    """A number with the locale's grouping ("1 951" in French, "1,951" in English)."""
    if value is None:
        return ""
    lang = reader_lang()
    group = _INT_GROUPING.get(lang) if type(value) is int else None
    if group is not None:
        return f"{value:,}".replace(",", group)
    return numbers.format_decimal(value, locale=lang)


def percent(value: float | None) -> str:
    """A share (0 to 1) as a whole percentage: "75 %" in French, with the narrow no-break
    space French typography puts before "%" (Babel's French pattern has a wide one),
    "75%" in English."""
    if value is None:
        return ""
    lang = reader_lang()
    text = numbers.format_percent(value, locale=lang)
    return text.replace("\u00a0", NARROW_NBSP) if lang == "fr" else text


def duration(days: int | None) -> str:
    """A duration in days, in words at the nearest sensible unit: 1095 → "3 ans"."""
    if days is None:
        return ""
    return dates.format_timedelta(timedelta(days=days), threshold=1.0, granularity="day",
                                  locale=reader_lang())


def quarter(year: int, q: int) -> str:
    """A calendar quarter: "T1 2026" in French, "Q1 2026" in English."""
    return dates.format_date(date(year, 3 * (q - 1) + 1, 1), "QQQ y", locale=reader_lang())


def time_tag(value: date | datetime | None, fmt: str = "long", with_time: bool = False,
             zone: bool = False) -> Markup:
    """A ``<time>`` element with its machine-readable value and the formatted text."""
    if value is None:
        return Markup("—")
    text = moment(value, zone=zone) if with_time and isinstance(value, datetime) else day(value, fmt)
    stamp = paris(value).isoformat(timespec="minutes") if isinstance(value, datetime) else value.isoformat()
    return Markup('<time datetime="{}">{}</time>').format(stamp, escape(text))


def days_left(due: date | None, today: date) -> int | None:
    """Calendar days from ``today`` to ``due`` (negative when late)."""
    return None if due is None else (due - today).days


def email_helpers(locale: str) -> dict[str, Any]:
    """The formatters for an e-mail written in ``locale`` (e-mails have their own Jinja)."""
    return {"day": lambda value, fmt="long": day(value, fmt, locale=locale),
            "moment": lambda value, zone=True: moment(value, zone=zone, locale=locale)}


def query_url(**changes: Any) -> str:
    """The current page's path and query with some arguments replaced (None removes one):
    sort links, pages, "voir plus"."""
    args = [(k, v) for k, v in request.args.items(multi=True) if k not in changes]
    args += [(k, str(v)) for k, v in changes.items() if v is not None]
    return f"{request.path}?{urlencode(args)}" if args else request.path
