"""Message ids and the French "catalogue".

``N_`` marks French message ids stored as plain strings. Transition labels and some state
labels live in lifecycle tables that also run from the CLI and jobs, and are stored (audit,
minutes) in French. ``N_`` marks them for extraction (``pybabel extract -k N_``); they are
translated at display with ``gettext`` through ``catalogue.core.labels``.

French is the source language: its messages are the msgids, with no catalogue. So that
every French message gets French typography (narrow no-break spaces, see
``formatting.french_spacing``) in one place, ``TypographicBabel`` gives Flask-Babel a domain
whose French translations fall back to ``FrenchTypography``: ``gettext``, ``ngettext``,
``lazy_gettext`` and the templates' ``_`` all go through it, before the variables are put in.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property, lru_cache
from typing import Any, TypeVar

from babel import support
from flask_babel import Babel, Domain, _get_current_context, get_locale

from catalogue.core.formatting import french_spacing

# The French text of a message id: the same few hundred ids on every page, spaced once.
_french_message = lru_cache(maxsize=4096)(french_spacing)


T = TypeVar("T")


def per_locale(build: Callable[[], T]) -> Callable[[], T]:
    """``build()`` (a table of translated labels) once per locale, then the same table:
    the context processors give their labels to every page, which would otherwise
    translate them all again on each render. The locale is the one ``gettext`` uses at
    that moment (``force_locale`` included); the table must not be modified by its users."""
    tables: dict[str, T] = {}

    def table() -> T:
        locale = get_locale()
        key = str(locale) if locale is not None else ""
        built = tables.get(key)
        if built is None:
            built = tables[key] = build()
        return built

    return table


def N_(message: str) -> str:
    """Return ``message`` unchanged; its only job is to be found by the extractor."""
    return message


class FrenchTypography(support.NullTranslations):
    """The French messages: the msgids themselves, with French spacing."""

    def gettext(self, message: str) -> str:
        return _french_message(message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        return _french_message(msgid1 if n == 1 else msgid2)

    def pgettext(self, context: str, message: str) -> str:
        return _french_message(message)

    def npgettext(self, context: str, msgid1: str, msgid2: str, n: int) -> str:
        return _french_message(msgid1 if n == 1 else msgid2)

    # Babel's u-names are bound to the standard library's functions, not to these.
    ugettext = gettext
    ungettext = ngettext
    upgettext = pgettext
    unpgettext = npgettext


class TypographicDomain(Domain):
    """Flask-Babel's domain, whose French translations end in ``FrenchTypography``.

    The translations of the current locale are kept on Flask-Babel's context
    (``babel_translations``, the slot its ``refresh`` and ``force_locale`` clear and
    restore) so that each of a page's hundred ``_()`` costs a lookup, not a resolution
    of the locale and its catalogue (docs/PERFORMANCE.md §0.4).
    """

    def get_translations(self) -> Any:
        ctx = _get_current_context()
        if ctx is None:
            return super().get_translations()
        translations = getattr(ctx, "babel_translations", None)
        if translations is None:
            translations = ctx.babel_translations = self._load_translations()
        return translations

    def _load_translations(self) -> Any:
        translations = super().get_translations()
        locale = get_locale()
        # The loaded translations are cached per locale: the fallback is added once.
        if locale is not None and locale.language == "fr" \
                and not getattr(translations, "french_typography", False):
            translations.add_fallback(FrenchTypography())
            translations.french_typography = True
        return translations


class TypographicBabel(Babel):
    """Flask-Babel with the ``TypographicDomain``."""

    @cached_property
    def domain_instance(self) -> Domain:
        return TypographicDomain(domain=self.domain)
