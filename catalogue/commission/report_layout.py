"""The rapporteur's report, one category at a time: the side menu's categories with their
counts, which one is shown, and where a save leads (reads only, no Flask)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

CONCLUSION = "conclusion"


@dataclass
class Category:
    code: str
    title: str
    title_en: str
    requirements: list[Any]
    assessed: int = 0

    @property
    def complete(self) -> bool:
        return self.assessed == len(self.requirements)


@dataclass
class Layout:
    items: list[Category]
    by_code: dict[str, Category] = field(default_factory=dict)

    @property
    def assessed(self) -> int:
        return sum(c.assessed for c in self.items)

    @property
    def total(self) -> int:
        return sum(len(c.requirements) for c in self.items)


def categories(progress: list[Any], saved: dict[str, Any]) -> Layout:
    """The dossier's categories (``dossiers.queries.progress``) with how many requirements
    already carry a verdict in the saved report (``verdict_<id>`` keys)."""
    items = []
    for p in progress:
        assessed = sum(1 for r in p.requirements if saved.get(f"verdict_{r.id}"))
        items.append(Category(p.code, p.title, getattr(p, "title_en", "") or "", list(p.requirements),
                              assessed))
    return Layout(items, {c.code: c for c in items})


def chosen(layout: Layout, wanted: str | None, *, posted: bool) -> str | None:
    """The category shown: the one asked for, else (on a GET) the first one not complete,
    else the conclusion. ``None`` (a POST without a category) means every requirement."""
    if wanted == CONCLUSION or (wanted and wanted in layout.by_code):
        return wanted
    if posted:
        return None
    return next((c.code for c in layout.items if not c.complete), CONCLUSION)


def after_save(layout: Layout, current: str | None, action: str | None, base: str) -> str:
    """Where a saved draft leads: the same category, or the next one for "save-next"."""
    if current is None:
        return base
    target = current
    if action == "save-next":
        codes = [c.code for c in layout.items] + [CONCLUSION]
        target = codes[min(codes.index(current) + 1, len(codes) - 1)] if current in codes else current
    return f"{base}?categorie={target}"
