"""Every publisher page renders for a member."""

from catalogue import db
from tests.factories_publishers import owner_of


def test_pages_render(client, login, session, make_submitted_dossier, clock):
    submitted = make_submitted_dossier()
    owner = owner_of(session, submitted.organisation)
    db.commit()
    login(owner)
    for url in (
        "/editeur/",
        f"/editeur/organisations/{submitted.organisation_id}",
        f"/editeur/applications/{submitted.app_id}",
        f"/editeur/applications/{submitted.app_id}/modifier",
        f"/editeur/organisations/{submitted.organisation_id}/applications/nouvelle",
        f"/editeur/dossiers/{submitted.id}",
        f"/editeur/dossiers/{submitted.id}/auto-evaluation",
        f"/editeur/dossiers/{submitted.id}/auto-evaluation/eligibility",
        f"/editeur/dossiers/{submitted.id}/accuse",
    ):
        response = client.get(url, follow_redirects=True)
        assert response.status_code == 200, (url, response.data[-3000:])
