"""App questionnaire pages over HTTP."""

from __future__ import annotations

from sqlalchemy import select

from catalogue import db
from catalogue.apps.models import App
from tests.accounts.helpers import csrf_token
from tests.factories_publishers import owner_of

FORM = {"name": "Bouge Ta Santé", "slug": "", "summary": "Programme d'activité physique adaptée.",
        "description": "Séances **adaptées**.", "category": "nutrition_activity",
        "audiences": ["chronic_patients"], "platforms": ["web"], "languages": ["fr"], "pricing": "free",
        "price_text": "", "website_url": "https://bouge.fr", "privacy_policy_url": "",
        "accessibility_statement_url": "", "support_contact": "aide@bouge.fr", "hosting_provider": "",
        "hds_certificate_ref": "", "medical_device_class": ""}


def test_questionnaire_creates_the_app_or_shows_french_errors(client, login, session, make_organisation):
    organisation = make_organisation()
    owner = owner_of(session, organisation)
    db.commit()
    login(owner)
    url = f"/editeur/organisations/{organisation.id}/applications/nouvelle"
    bad = {**FORM, "summary": "x" * 250, "pricing": "paid", "csrf_token": csrf_token(client, url)}
    response = client.post(url, data=bad)
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert "200 caractères" in html and "Précisez les tarifs" in html
    response = client.post(url, data={**FORM, "csrf_token": csrf_token(client, url)})
    assert response.status_code == 302
    app = session.scalar(select(App).where(App.slug == "bouge-ta-sante"))
    assert app.category == "nutrition_activity"
    page = client.get(response.location).get_data(as_text=True)
    assert "<strong>adaptées</strong>" in page and "Ouvrir un dossier de référencement" in page


def test_logo_upload_is_saved_or_refused_with_the_reason(client, login, session, make_app_profile):
    import io

    from catalogue.dossiers.samples import sample_png

    app = make_app_profile()
    owner = owner_of(session, app.organisation)
    db.commit()
    login(owner)
    page = f"/editeur/applications/{app.id}"
    url = f"{page}/logo"
    bad = client.post(url, data={"csrf_token": csrf_token(client, page),
                                 "logo": (io.BytesIO(b"<script>alert(1)</script>"), "logo.png")},
                      content_type="multipart/form-data", follow_redirects=True)
    assert db.session.get(App, app.id).logo_key is None
    assert 'class="alert alert-danger"' in bad.get_data(as_text=True)
    good = client.post(url, data={"csrf_token": csrf_token(client, page),
                                  "logo": (io.BytesIO(sample_png("Logo", (256, 256))), "logo.png")},
                       content_type="multipart/form-data", follow_redirects=True)
    assert "Logo mis à jour." in good.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(App, app.id).logo_key is not None
