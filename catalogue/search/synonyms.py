"""Query expansion with a curated French health thesaurus (``synonyms.txt``), for both
search engines: each term of a query matches itself or any synonym of its group, so that
"diabète" also finds an app about "glycémie" or "insuline".

The thesaurus is data, normalised like the index (``text.words`` then ``text.stem``);
``expand`` turns a ``SearchQuery`` into an ``ExpandedQuery`` with the same ``fts5()`` and
``tsquery()`` methods, OR-ing the alternatives of each term.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path

from catalogue.search.text import SearchQuery, stem, words

DATA = Path(__file__).with_name("synonyms.txt")


@functools.cache
def thesaurus() -> dict[str, tuple[str, ...]]:
    """stem → every stem of its group (itself first), read once from ``synonyms.txt``."""
    groups: dict[str, tuple[str, ...]] = {}
    for line in DATA.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        stems: list[str] = []
        for entry in line.split(","):
            for word in words(entry):
                s = stem(word)
                if s and s not in stems:
                    stems.append(s)
        for s in stems:
            # A word in two groups gets the union, its own stem first.
            merged = [s, *[x for x in groups.get(s, ()) if x != s], *[x for x in stems if x != s]]
            groups[s] = tuple(dict.fromkeys(merged))
    return groups


@dataclass(frozen=True)
class ExpandedQuery:
    """Each group: the alternatives of one query term (the term itself first)."""

    groups: tuple[tuple[str, ...], ...]
    prefix_last: bool
    prefix_word: str = ""  # the last word as typed (``SearchQuery.prefix_word``)

    def __bool__(self) -> bool:
        return bool(self.groups)

    def _parts(self, quote: str, prefix: str, alt: str) -> list[str]:
        parts = []
        last = len(self.groups) - 1
        for i, group in enumerate(self.groups):
            terms = [f"{quote}{t}{quote}" for t in group]
            if i == last and self.prefix_last:
                # Only the word being typed is a prefix, as typed: the stem of a whole word
                # ("medic" for "médicament") would also find "médical".
                word = f"{quote}{self.prefix_word}{quote}"
                if self.prefix_word and word != terms[0]:
                    terms.append(word + prefix)
                else:
                    terms[0] += prefix
            parts.append(terms[0] if len(terms) == 1 else "(" + f" {alt} ".join(terms) + ")")
        return parts

    def fts5(self) -> str:
        """The FTS5 MATCH expression: quoted stems, alternatives OR-ed in parentheses."""
        return " AND ".join(self._parts('"', "*", "OR"))

    def tsquery(self) -> str:
        """The tsquery text: alternatives with ``|``, terms with ``&``."""
        return " & ".join(self._parts("'", ":*", "|"))


def expand(query: SearchQuery) -> ExpandedQuery:
    """The query with each term's synonyms as alternatives (a term still being typed is
    expanded only once it is a whole word of the thesaurus)."""
    table = thesaurus()
    return ExpandedQuery(tuple(table.get(t, (t,)) for t in query.terms), query.prefix_last,
                         query.prefix_word)
