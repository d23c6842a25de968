"""The public statistics (``/statistiques``): every breakdown adds up to its total, the
assessed facts come from the decided snapshot, the charts are tables with their bars, the
page costs the same number of statements whatever the size of the catalogue."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

import pytest
from sqlalchemy import update

from catalogue import db
from catalogue.accounts.models import Role
from catalogue.apps.models import App
from catalogue.listings import services as listings
from catalogue.web import commit
from tests.factories_listings import reload

PROFILES = [
    {"name": "Glycémie Facile", "category": "chronic_disease"},
    {"name": "Sérénité", "category": "mental_health", "hds_certified": False},
    {"name": "Écoute Bébé", "category": "pregnancy_parenthood", "is_medical_device": True,
     "medical_device_class": "IIa"},
    {"name": "Tension Suivie", "category": "chronic_disease", "is_medical_device": True,
     "medical_device_class": "I"},
]


class _Tables(HTMLParser):
    """The rows of every table of a page, by table id: [(header cell, [data cells…]), …],
    body and foot rows apart."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, dict[str, list[tuple[str, list[str]]]]] = {}
        self._table: str | None = None
        self._part = "tbody"
        self._cells: list[str] | None = None
        self._text: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "table":
            self._table = dict(attrs).get("id") or f"t{len(self.tables)}"
            self.tables[self._table] = {"thead": [], "tbody": [], "tfoot": []}
        elif tag in ("thead", "tbody", "tfoot"):
            self._part = tag
        elif tag == "tr":
            self._cells = []
        elif tag in ("th", "td"):
            self._text = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("th", "td") and self._cells is not None and self._text is not None:
            self._cells.append(re.sub(r"[ \t\r\n]+", " ", "".join(self._text)).strip())
            self._text = None
        elif tag == "tr" and self._table and self._cells:
            self.tables[self._table][self._part].append((self._cells[0], self._cells[1:]))
            self._cells = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)


def tables(html: str) -> dict[str, dict[str, list[tuple[str, list[str]]]]]:
    parser = _Tables()
    parser.feed(html)
    return parser.tables


def first_int(cell: str) -> int:
    """The first number of a cell ("3", "2 (50 %)", "1 951" with a narrow space)."""
    match = re.match(r"[\d\u202f\u00a0 ]+", cell)
    assert match, cell
    return int(re.sub(r"\D", "", match.group()))


def body_sum(table: dict[str, list[tuple[str, list[str]]]], column: int = 0) -> int:
    return sum(first_int(cells[column]) for _label, cells in table["tbody"])


def foot(table: dict[str, list[tuple[str, list[str]]]], label: str, column: int = 0) -> int:
    return next(first_int(cells[column]) for head, cells in table["tfoot"] if head.startswith(label))


@pytest.fixture
def catalogue(bulk_listings: Any, make_user: Any) -> list[Any]:
    made = bulk_listings(PROFILES)
    listings.suspend_listing(db.session, reload(made[3]), actor=make_user(roles=[Role.SECRETARIAT]),
                             reason="Faille de sécurité en cours d'analyse.")
    commit()
    return made


def test_every_breakdown_adds_up_to_its_total(client: Any, catalogue: list[Any]) -> None:
    html = client.get("/statistiques").get_data(as_text=True)
    found = tables(html)
    kpi = [first_int(k) for k in re.findall(r'<span class="kpi">([^<]+)</span>', html)]
    listed, referenced, refused = kpi[0], kpi[1], kpi[2]
    # Four apps, one suspended: still in the catalogue, said so.
    assert listed == 4 and "dont 1 suspendue" in html
    assert (referenced, refused) == (4, 0)

    categories = found["c-categories"]
    assert body_sum(categories) == foot(categories, "Total") == listed
    assert ("Suivi des maladies chroniques", ["2"]) in [(h, [c.split()[-1] for c in cells])
                                                      for h, cells in categories["tbody"]]

    states = found["t-states"]
    assert body_sum(states) == foot(states, "Total") == 4
    assert foot(states, "Au catalogue aujourd'hui") == listed

    kinds = found["t-decisions-kind"]
    assert body_sum(kinds, 0) == foot(kinds, "Total", 0) == referenced
    assert body_sum(kinds, 1) == foot(kinds, "Total", 1) == refused

    outcomes = found["c-decisions"]
    assert body_sum(outcomes) == foot(outcomes, "Total") == referenced + refused

    # Every decided dossier falls in exactly one bucket of days (60 days for the bulk ones).
    delays = found["c-delai"]
    assert body_sum(delays) == foot(delays, "Total") == referenced + refused
    assert [first_int(cells[0]) for head, cells in delays["tbody"] if head == "31 à 60 jours"] == [4]

    # The curve ends where the catalogue is today.
    over_time = found["c-temps"]["tbody"]
    assert first_int(over_time[-1][1][0]) == listed


def test_hds_and_medical_device_shares_come_from_the_decided_snapshot(
        client: Any, catalogue: list[Any]) -> None:
    shares = tables(client.get("/statistiques").get_data(as_text=True))["c-parts"]["tbody"]
    assert shares == [("Hébergeur certifié HDS", ["3 (75\u202f%)"]),
                      ("Dispositif médical", ["2 (50\u202f%)"])]
    # A publisher's live edit is not public until a dossier's decision: the figures stay.
    db.session.execute(update(App).values(is_medical_device=True, hds_certified=True))
    commit()
    again = tables(client.get("/statistiques").get_data(as_text=True))["c-parts"]["tbody"]
    assert again == shares


def test_charts_are_tables_with_bars_hidden_from_screen_readers(client: Any, catalogue: list[Any]) -> None:
    html = client.get("/statistiques").get_data(as_text=True)
    assert html.count('class="table table-sm bar-table"') == 5
    assert '<svg class="bar"' in html and 'aria-hidden="true" focusable="false"' in html
    assert 'style="' not in html.split("<main", 1)[1]  # the CSP forbids inline styles
    # The largest category fills its bar; the others are drawn to its scale.
    assert '<rect class="bar-fill" width="100.00"' in html and 'width="50.00"' in html


def test_statistics_in_english(client: Any, catalogue: list[Any]) -> None:
    html = client.get("/statistiques?lang=en").get_data(as_text=True)
    assert "31 to 60 days" in html and "HDS-certified host" in html
    assert "3 (75%)" in html and "Chronic disease follow-up" in html and "Total" in html


def test_empty_catalogue(client: Any) -> None:
    html = client.get("/statistiques").get_data(as_text=True)
    assert "Aucune application n'est au catalogue aujourd'hui." in html
    assert "Aucune décision n'a encore été rendue." in html


def test_statistics_statements_do_not_grow_with_the_catalogue(
        client: Any, bulk_listings: Any, count_queries: Any) -> None:
    bulk_listings([{"name": f"Appli {i:02d}"} for i in range(3)])
    with count_queries() as few:
        assert client.get("/statistiques").status_code == 200
    bulk_listings([{"name": f"Autre {i:02d}", "category": "mental_health",
                    "is_medical_device": True} for i in range(15)])
    with count_queries() as many:
        html = client.get("/statistiques").get_data(as_text=True)
    assert '<span class="kpi">18</span>' in html
    assert many.count == few.count


def test_zero_takes_the_singular_in_french_only(client: Any) -> None:
    french = client.get("/statistiques").get_data(as_text=True)
    assert '<span class="kpi">0</span> application au catalogue aujourd\'hui' in french
    assert "dont 0 suspendue<" in french and "décision de refus" in french
    english = client.get("/statistiques?lang=en").get_data(as_text=True)
    assert '<span class="kpi">0</span> apps in the catalogue today' in english
