"""The hot paths the benchmark measures, and the targets of issue 8 that apply to them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote


@dataclass(frozen=True)
class HotPath:
    """One measured request.

    ``template`` is filled from the run's context (``slug``, ``q``, ``category``),
    each value URL-encoded. ``conditional_on`` names the path whose ``ETag`` this
    request sends back in ``If-None-Match`` (same URL, fetched once first; the
    answer must then be ``expect``, a 304). ``target_ratio`` is the least share of its floor's requests per
    second the path must reach at 10,000 apps; ``search`` paths must also scale
    (cost at 100,000 apps at most twice the cost at 1,000).
    """

    name: str
    label: str
    template: str
    expect: int = 200
    conditional_on: str | None = None
    target_ratio: float | None = None
    search: bool = False

    def path(self, context: dict[str, Any]) -> str:
        """The request path with its query string; ``KeyError`` names what the context lacks."""
        return self.template.format(**{k: quote(str(v), safe="") for k, v in context.items()})


HOT_PATHS: tuple[HotPath, ...] = (
    HotPath("home", "Accueil /", "/"),
    HotPath("search_page", "Page de recherche /catalogue?q=", "/catalogue?q={q}",
            target_ratio=0.5, search=True),
    HotPath("listing_page", "Fiche /catalogue/<slug>", "/catalogue/{slug}", target_ratio=0.6),
    HotPath("api_list", "API liste /api/v1/apps", "/api/v1/apps", target_ratio=0.5),
    HotPath("api_search", "API recherche ?q=&category=", "/api/v1/apps?q={q}&category={category}",
            target_ratio=0.5, search=True),
    HotPath("api_detail", "API fiche /api/v1/apps/<slug>", "/api/v1/apps/{slug}", target_ratio=0.6),
    HotPath("api_304", "API liste, If-None-Match → 304", "/api/v1/apps", expect=304,
            conditional_on="api_list", target_ratio=0.9),
    HotPath("csv", "Export /opendata/catalogue.csv", "/opendata/catalogue.csv"),
)

# Not hot paths, but present from the first commit: they let the harness be
# tested (and compared) before the catalogue exists. ``--paths healthz,openapi``.
EXTRA_PATHS: tuple[HotPath, ...] = (
    HotPath("healthz", "Santé /healthz", "/healthz"),
    HotPath("openapi", "OpenAPI /api/v1/openapi.json", "/api/v1/openapi.json"),
    HotPath("referentiels", "Référentiels /referentiels", "/referentiels"),
    HotPath("accessibility", "Page statique /accessibilite", "/accessibilite"),
)

ALL_PATHS = {p.name: p for p in HOT_PATHS + EXTRA_PATHS}
DEFAULT_PATHS = tuple(p.name for p in HOT_PATHS)

# Targets of issue 8 that are not per path.
P99_LIMIT_MS = 50.0
SEED_LIMIT_S = 60.0
SEED_TARGET_SIZE = 10_000
RSS_LIMIT_MB = 150.0
RATIO_TARGET_SIZE = 10_000
SCALING_SMALL, SCALING_LARGE, SCALING_LIMIT = 1_000, 100_000, 2.0
