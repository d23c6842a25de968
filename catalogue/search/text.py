"""Text normalisation shared by both search engines (DESIGN §7 "Search").

PostgreSQL indexes with a text search configuration ``ens_french`` that runs
``unaccent`` then the French Snowball stemmer (stop words removed). SQLite's FTS5
cannot stem, so this module does the same in Python: lower-case, strip accents,
drop the same French stop words (PostgreSQL's ``french.stop``, shipped alongside),
stem with the same Snowball algorithm. Queries are normalised here for *both*
engines, so a query means the same thing whichever database runs it.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import snowballstemmer

# Letters and digits; underscores, punctuation, FTS operators, quotes, emoji and the
# replacement character of badly encoded input are all separators.
_WORD = re.compile(r"[^\W_]+")
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"})
# Bounds on what a query may cost: a pasted novel searches on its first words.
MAX_QUERY_TERMS = 12
MAX_TERM_LENGTH = 60

STOP_WORDS = frozenset(
    line.strip()
    for line in (Path(__file__).with_name("french_stop.txt")).read_text(encoding="utf-8").splitlines()
    if line.strip()
)


@functools.cache
def _stemmer() -> snowballstemmer.stemmer:
    return snowballstemmer.stemmer("french")


def unaccent(value: str) -> str:
    """Lower-case and strip diacritics (``Éléphant`` → ``elephant``)."""
    decomposed = unicodedata.normalize("NFKD", value.translate(_LIGATURES))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()


def words(value: str) -> list[str]:
    """The unaccented words of a text, in order, stop words removed."""
    return [w for w in _WORD.findall(unaccent(value)) if w not in STOP_WORDS]


@functools.lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The French Snowball stem of one unaccented word (numbers unchanged).

    Cached: a catalogue's vocabulary is small, and the pure-Python stemmer is the
    bulk of the cost of indexing.
    """
    if not word.isalpha():
        return word
    return _stemmer().stemWord(word)


def index_text(value: str) -> str:
    """The text as the SQLite index stores it: stems separated by spaces."""
    return " ".join(stem(w) for w in words(value))


@dataclass(frozen=True)
class SearchQuery:
    """A parsed query: stems that must all match; the last word also as a prefix while typing.

    The prefix is the word as typed (unaccented), not its stem: the stem of a whole word
    is often shorter than the word ("médicament" → ``medic``), and as a prefix it would
    match unrelated words ("médical", "Médicalis"). The last term thus matches its stem
    exactly, or any stem beginning with the typed word ("gross" → "grossesse").
    """

    terms: tuple[str, ...]
    prefix_last: bool
    prefix_word: str = ""  # the last word as typed (unaccented); its stem if empty

    def __bool__(self) -> bool:
        return bool(self.terms)

    def _prefix(self) -> str:
        return self.prefix_word or self.terms[-1]

    def fts5(self) -> str:
        """The FTS5 MATCH expression: each stem quoted, so no operator can slip through."""
        parts = [f'"{t}"' for t in self.terms]
        if self.prefix_last:
            prefix = self._prefix()
            parts[-1] = (f'"{prefix}"*' if prefix == self.terms[-1]
                         else f'({parts[-1]} OR "{prefix}"*)')
        return " AND ".join(parts)

    def tsquery(self) -> str:
        """The tsquery text (for ``to_tsquery('simple', …)``): stems are already final."""
        parts = [f"'{t}'" for t in self.terms]
        if self.prefix_last:
            prefix = self._prefix()
            parts[-1] = (f"'{prefix}':*" if prefix == self.terms[-1]
                         else f"({parts[-1]} | '{prefix}':*)")
        return " & ".join(parts)


def parse_query(raw: str | None) -> SearchQuery:
    """Turn what a user typed into a ``SearchQuery`` (possibly empty).

    The last word is matched as a prefix unless the query ends with a space or
    punctuation (the user finished typing it).
    """
    raw = raw or ""
    found = [w[:MAX_TERM_LENGTH] for w in words(raw)][:MAX_QUERY_TERMS]
    terms: list[str] = []
    for word in found:
        stemmed = stem(word)
        if stemmed and stemmed not in terms:
            terms.append(stemmed)
    stripped = raw.rstrip()
    prefix_last = bool(terms) and stripped == raw and bool(stripped) and stripped[-1].isalnum()
    if prefix_last and found and stem(found[-1]) != terms[-1]:
        # The last word duplicated an earlier one; no prefix semantics to keep.
        prefix_last = False
    return SearchQuery(tuple(terms), prefix_last, found[-1] if prefix_last else "")
