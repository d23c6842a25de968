"""The patient's space: connecting an app category by category, revoking, history,
export of all their data, account deletion."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from catalogue import db
from catalogue.accounts.models import Role, User
from catalogue.audit.models import AuditEvent
from catalogue.audit.services import verify_chain
from catalogue.consents import services as consents
from catalogue.consents.models import Consent, ConsentEventKind, ConsentState
from catalogue.errors import DomainError, ValidationFailed
from catalogue.listings import services as listings
from tests.accounts.helpers import post_form
from tests.factories import PASSWORD
from tests.factories_listings import reload

PROFILE = {"name": "Carnet Santé Plus",
           "data_categories": ["documents", "measurements", "calendar"]}


@pytest.fixture
def listing(bulk_listings: Any) -> Any:
    return bulk_listings([PROFILE])[0]


def test_connect_page_lists_each_declared_category(client: Any, login: Any, make_patient: Any,
                                                   listing: Any) -> None:
    login(make_patient())
    slug = listing.app.slug
    html = client.get(f"/compte/connexions/nouvelle/{slug}").get_data(as_text=True)
    for code, text in (("documents", "Documents de santé"), ("measurements", "Mesures de santé"),
                       ("calendar", "Agenda et rendez-vous")):
        assert f'value="{code}"' in html and text in html
    assert html.count('type="checkbox"') == 3
    assert "<legend" in html  # the checkboxes are grouped under a legend


def test_patient_connects_two_categories_then_revokes(client: Any, login: Any, make_patient: Any,
                                                      listing: Any) -> None:
    patient = make_patient()
    login(patient)
    slug = listing.app.slug
    url = f"/compte/connexions/nouvelle/{slug}"
    none = post_form(client, url, {})
    assert none.status_code == 422 and "Cochez au moins une catégorie" in none.get_data(as_text=True)
    forged = post_form(client, url, {"scopes": ["documents", "identity"]})
    assert forged.status_code == 422
    done = post_form(client, url, {"scopes": ["documents", "measurements"]})
    assert done.status_code == 302 and done.headers["Location"].endswith("/compte/connexions")
    consent = db.session.scalar(select(Consent).where(Consent.patient_id == patient.id))
    assert consent.scopes == ["documents", "measurements"] and consent.state == ConsentState.ACTIVE
    consent_id = consent.id
    page = client.get("/compte/connexions").get_data(as_text=True)
    assert "Carnet Santé Plus" in page and "Autorisation accordée" in page
    assert "Mesures de santé" in page and "Agenda et rendez-vous" not in page
    revoked = post_form(client, f"/compte/connexions/{consent_id}/revoquer", {},
                        form_page="/compte/connexions")
    assert revoked.status_code == 302
    consent = db.session.get(Consent, consent_id)
    assert consent.state == ConsentState.REVOKED and consent.revoked_at is not None
    page = client.get("/compte/connexions").get_data(as_text=True)
    assert "Aucune application n'est connectée" in page and "Autorisation révoquée" in page
    actions = db.session.scalars(select(AuditEvent.action).where(
        AuditEvent.subject_type == "Consent")).all()
    assert actions == ["consent.granted", "consent.revoked"]


def test_other_patients_consents_are_invisible(client: Any, login: Any, make_patient: Any,
                                               listing: Any, session: Any) -> None:
    owner = make_patient()
    consent = consents.grant_consent(session, listing, ["documents"], actor=owner)
    db.commit()
    login(make_patient())
    response = post_form(client, f"/compte/connexions/{consent.id}/revoquer", {},
                         form_page="/compte/connexions")
    assert response.status_code == 404
    assert db.session.get(Consent, consent.id).state == ConsentState.ACTIVE


def test_connecting_requires_sign_in_and_a_published_listing(client: Any, session: Any, listing: Any,
                                                             make_patient: Any, make_user: Any) -> None:
    response = client.get(f"/compte/connexions/nouvelle/{listing.app.slug}")
    assert response.status_code == 302 and "/connexion" in response.headers["Location"]
    listing = reload(listing)
    patient = make_patient()
    listings.suspend_listing(session, listing, actor=make_user(roles=[Role.SECRETARIAT]),
                             reason="Incident.")
    with pytest.raises(DomainError, match="pas disponible"):
        consents.grant_consent(session, listing, ["documents"], actor=patient)


def test_grant_validates_scopes_and_updates_a_live_consent(session: Any, listing: Any,
                                                           make_patient: Any) -> None:
    patient = make_patient()
    with pytest.raises(ValidationFailed):
        consents.grant_consent(session, listing, [], actor=patient)
    with pytest.raises(ValidationFailed):
        consents.grant_consent(session, listing, ["reimbursements"], actor=patient)
    first = consents.grant_consent(session, listing, ["documents"], actor=patient)
    second = consents.grant_consent(session, listing, ["calendar", "documents"], actor=patient)
    assert first.id == second.id and second.scopes == ["documents", "calendar"]
    kinds = [e.kind for e in consents.history_of(session, patient)]
    assert kinds == [ConsentEventKind.GRANTED, ConsentEventKind.GRANTED]


def test_export_holds_all_the_users_data(client: Any, login: Any, make_patient: Any,
                                         listing: Any, session: Any) -> None:
    patient = make_patient(email="lea.martin@example.org", display_name="Léa Martin")
    consents.grant_consent(session, listing, ["documents", "calendar"], actor=patient)
    listings.create_report(session, listing, actor=patient, kind="content",
                           text="La description annonce une fonction absente.")
    db.commit()
    login(patient)
    assert "Télécharger mes données" in client.get("/compte/export").get_data(as_text=True)
    response = post_form(client, "/compte/export", {})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert "attachment" in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    data = json.loads(response.data)
    assert data["account"]["email"] == "lea.martin@example.org"
    assert data["account"]["display_name"] == "Léa Martin"
    assert data["consents"][0]["scopes"] == ["documents", "calendar"]
    assert data["consent_history"][0]["kind"] == "granted"
    assert data["reports"][0]["text"].startswith("La description")
    assert "password_hash" not in json.dumps(data)


def test_account_deletion_erases_personal_data_and_keeps_the_audit(
        client: Any, login: Any, make_patient: Any, listing: Any, session: Any) -> None:
    patient = make_patient(email="a.effacer@example.org", display_name="Anne Effacée")
    consent = consents.grant_consent(session, listing, ["documents"], actor=patient)
    report = listings.create_report(session, listing, actor=patient, kind="other",
                                    text="Un problème assez long pour être décrit.")
    db.commit()
    login(patient)
    wrong = post_form(client, "/compte/suppression", {"password": "faux", "confirm": "y"})
    assert wrong.status_code == 422 and "Mot de passe incorrect" in wrong.get_data(as_text=True)
    unconfirmed = post_form(client, "/compte/suppression", {"password": PASSWORD})
    assert unconfirmed.status_code == 422
    done = post_form(client, "/compte/suppression", {"password": PASSWORD, "confirm": "y"})
    assert done.status_code == 302
    user = db.session.get(User, patient.id)
    assert user.erased_at is not None and user.password_hash is None
    assert user.display_name == "" and "a.effacer" not in user.email and not user.is_active
    assert db.session.get(Consent, consent.id).state == ConsentState.REVOKED
    assert db.session.get(type(report), report.id).reporter_id is None
    # Signed out, and the old cookie no longer works.
    assert client.get("/compte/").status_code == 302
    events = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "account.erased")).all()
    assert len(events) == 1
    everything = json.dumps([e.payload for e in db.session.scalars(select(AuditEvent))],
                            ensure_ascii=False)
    assert "a.effacer" not in everything and "Anne" not in everything
    assert verify_chain(db.session) is None


def test_deletion_refused_for_staff_accounts(session: Any, make_user: Any) -> None:
    staff = make_user(roles=[Role.SECRETARIAT])
    with pytest.raises(DomainError, match="administrateur"):
        consents.delete_account(session, staff, actor=staff)


def test_reports_page_shows_status_after_triage(client: Any, login: Any, make_patient: Any,
                                                listing: Any, session: Any, make_user: Any) -> None:
    patient = make_patient()
    report = listings.create_report(session, listing, actor=patient, kind="accessibility",
                                    text="Les boutons ne sont pas lisibles au lecteur d'écran.")
    listings.triage_report(session, report, actor=make_user(roles=[Role.SECRETARIAT]),
                           status="dismissed", note="L'application a été auditée depuis.")
    db.commit()
    login(patient)
    html = client.get("/compte/signalements").get_data(as_text=True)
    assert "Classé sans suite" in html and "auditée depuis" in html and "Accessibilité" in html


def test_revoking_asks_for_confirmation_and_consents_can_be_modified(
        client: Any, login: Any, make_patient: Any, listing: Any) -> None:
    patient = make_patient()
    login(patient)
    slug = listing.app.slug
    post_form(client, f"/compte/connexions/nouvelle/{slug}", {"scopes": ["documents"]})
    page = client.get("/compte/connexions").get_data(as_text=True)
    assert '<details class="revoke-confirm">' in page and "Confirmer la révocation" in page
    assert "ne pourra plus lire ni recevoir de données" in page
    assert f'href="/compte/connexions/nouvelle/{slug}">Modifier les données autorisées' in page
    assert page.count('id="csrf_token"') == 0  # several forms, no duplicate id


def test_notifications_are_an_inbox_with_pages(client: Any, login: Any, make_patient: Any) -> None:
    from catalogue.notifications.models import Notification

    patient = make_patient()
    for n in range(25):
        db.session.add(Notification(user_id=patient.id, message="test", title=f"Message {n:02d}",
                                    body=f"Première ligne {n}\nSuite très longue " * 3, link=""))
    db.session.commit()
    login(patient)
    first = client.get("/compte/notifications").get_data(as_text=True)
    assert "25 notifications non lues" in first and first.count('class="inbox-row') == 20
    assert "Suite très longue" not in first  # one line per notification
    second = client.get("/compte/notifications?page=2").get_data(as_text=True)
    assert second.count('class="inbox-row') == 5 and 'aria-current="page">2<' in second
