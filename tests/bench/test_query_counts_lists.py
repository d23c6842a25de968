"""List pages beyond the public hot paths: the number of SQL queries does not grow with
the rows shown (the publisher's apps and dossiers, the admin lists, the public
catalogue's filtered and sorted pages at two sizes). Each page is fetched with few
rows, then with more, and must run the same number of queries.

The commission queue and session page have their own tests (tests/commission/).
"""

from __future__ import annotations

from typing import Any

from catalogue import db
from catalogue.accounts.models import Role
from catalogue.audit import services as audit
from catalogue.notifications.models import OutboxMessage
from tests.factories_publishers import owner_of


def _count(client: Any, count_queries: Any, path: str) -> int:
    client.get(path)  # first request of a version builds what is shared (search index)
    with count_queries() as counter:
        response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return counter.count


def test_publisher_organisation_page_lists_apps_and_dossiers_in_constant_queries(
        client: Any, login: Any, session: Any, make_organisation: Any, make_dossier: Any,
        count_queries: Any) -> None:
    organisation = make_organisation()
    owner = owner_of(session, organisation)
    make_dossier(organisation=organisation)
    db.commit()
    login(owner)
    path = f"/editeur/organisations/{organisation.id}"
    few = _count(client, count_queries, path)
    for _ in range(4):
        make_dossier(organisation=organisation)
    db.commit()
    page = client.get(path).get_data(as_text=True)
    assert page.count("/editeur/dossiers/") >= 5
    assert _count(client, count_queries, path) == few


def test_admin_lists_run_constant_queries(client: Any, login: Any, session: Any,
                                          make_user: Any, count_queries: Any) -> None:
    admin = make_user(roles=[Role.ADMIN])
    db.commit()
    login(admin)
    pages = ("/admin/utilisateurs", "/admin/courriels", "/admin/audit", "/admin/")

    def add_rows(n: int) -> None:
        for i in range(n):
            user = make_user(roles=[Role.PATIENT, Role.RAPPORTEUR] if i % 2 else [Role.PATIENT])
            session.add(OutboxMessage(message="welcome", recipient=user.email, subject="Bienvenue",
                                      text_body="Bonjour"))
            audit.record(session, "test.row", actor=user, subject=("User", str(user.id)),
                         payload={"n": i})
        db.commit()

    add_rows(2)
    few = {path: _count(client, count_queries, path) for path in pages}
    add_rows(12)
    many = {path: _count(client, count_queries, path) for path in pages}
    assert many == few


def test_public_catalogue_filtered_and_sorted_pages_at_two_sizes(client: Any, count_queries: Any,
                                                                 seed_catalogue: Any) -> None:
    pages = ("/catalogue?category=chronic_disease&platform=ios&platform=android",
             "/catalogue?sort=-referenced_at&page=2", "/catalogue?q=donn&sort=name",
             "/api/v1/apps?sort=-referenced_at&per_page=100&pricing=free,paid",
             "/api/v1/apps?q=suivi&medical_device=false&per_page=50", "/api/v1/categories")
    seed_catalogue(25)
    few = {path: _count(client, count_queries, path) for path in pages}
    seed_catalogue(120)
    many = {path: _count(client, count_queries, path) for path in pages}
    assert many == few
    assert max(many.values()) <= 5, many
