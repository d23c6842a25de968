"""App profile rules: the questionnaire, images, and what a listed app may change."""

import io

import pytest
from PIL import Image
from sqlalchemy import select

from catalogue.apps import services as apps
from catalogue.apps.models import App
from catalogue.audit.models import AuditEvent
from catalogue.dossiers.samples import sample_png
from catalogue.errors import NotFound, ValidationFailed
from tests.factories_publishers import DEFAULT_PROFILE, owner_of


def test_profile_is_validated_field_by_field(session, make_organisation):
    organisation = make_organisation(verified=False)
    owner = owner_of(session, organisation)
    bad = {**DEFAULT_PROFILE, "name": "", "summary": "x" * 201, "category": "astrologie",
           "platforms": ["ios", "minitel"], "pricing": "paid", "price_text": "",
           "website_url": "javascript:alert(1)", "is_medical_device": True,
           "medical_device_class": None}
    with pytest.raises(ValidationFailed) as caught:
        apps.create_app_profile(session, organisation, actor=owner, **bad)
    assert {"name", "summary", "category", "platforms", "price_text", "website_url",
            "medical_device_class"} <= set(caught.value.errors)
    assert "200 caractères" in caught.value.errors["summary"]
    assert session.scalar(select(App.id)) is None


def test_predicates_follow_the_profile_and_slugs_stay_unique(session, make_app_profile, make_organisation):
    organisation = make_organisation()
    first = make_app_profile(organisation, name="Mon Carnet Santé",
                             audiences=["children", "professionals"], connected_services=["insi"],
                             is_medical_device=True, medical_device_class="IIa",
                             predicates=["uses_ai", "targets_minors"])
    assert first.slug == "mon-carnet-sante"
    assert set(first.predicates) == {"processes_health_data", "is_medical_device",
                                     "connects_patient_space", "handles_patient_identity",
                                     "has_professional_users", "targets_minors", "uses_ai"}
    second = make_app_profile(organisation, name="Mon Carnet Santé")
    assert second.slug == "mon-carnet-sante-2"
    apps.update_app_profile(session, first, actor=owner_of(session, organisation), audiences=["patients"],
                            connected_services=[], data_categories=[], is_medical_device=False)
    assert "targets_minors" not in first.predicates and "is_medical_device" not in first.predicates
    assert "connects_patient_space" not in first.predicates


def test_only_members_edit_an_app(session, make_app_profile, make_user):
    app = make_app_profile()
    with pytest.raises(NotFound):
        apps.update_app_profile(session, app, actor=make_user(), name="Piraté")
    with pytest.raises(NotFound):
        apps.app_for_user(session, app.id, make_user())


def _image_with_exif() -> bytes:
    image = Image.new("RGB", (300, 300), (200, 30, 30))
    exif = Image.Exif()
    exif[0x010E] = "secret location"
    out = io.BytesIO()
    image.save(out, format="JPEG", exif=exif)
    return out.getvalue()


def test_logo_is_reencoded_without_metadata_and_bad_images_are_refused(session, make_app_profile):
    app = make_app_profile()
    owner = owner_of(session, app.organisation)
    from catalogue.storage.services import get_storage

    apps.set_logo(session, app, actor=owner, data=_image_with_exif())
    stored = get_storage().get(app.logo_key)
    assert b"secret location" not in stored
    assert Image.open(io.BytesIO(stored)).size == (300, 300)
    tiny = io.BytesIO()
    Image.new("RGB", (20, 20)).save(tiny, format="PNG")
    for data in (b"<svg onload=alert(1)>", b"GIF89a" + b"\0" * 50, tiny.getvalue()):
        with pytest.raises(ValidationFailed) as caught:
            apps.set_logo(session, app, actor=owner, data=data)
        assert "logo" in caught.value.errors
    bomb = io.BytesIO()
    Image.new("1", (12000, 12000)).save(bomb, format="PNG")
    with pytest.raises(ValidationFailed, match="pixels"):
        apps.set_logo(session, app, actor=owner, data=bomb.getvalue())


def test_screenshots_need_a_text_alternative(session, make_app_profile):
    app = make_app_profile()
    owner = owner_of(session, app.organisation)
    with pytest.raises(ValidationFailed) as caught:
        apps.add_screenshot(session, app, actor=owner, data=sample_png("Accueil"), alt_text=" ")
    assert "alt_text" in caught.value.errors
    shot = apps.add_screenshot(session, app, actor=owner, data=sample_png("Accueil"),
                               alt_text="Écran d'accueil avec le graphique de glycémie")
    assert shot.position == 0 and app.screenshots == [shot]
    apps.remove_screenshot(session, app, shot.id, actor=owner)
    assert app.screenshots == []


@pytest.fixture
def listed_app(session, make_submitted_dossier, advance):
    from catalogue.dossiers import services as dossiers

    dossier = advance(make_submitted_dossier(), "agreement_pending")
    dossiers.sign_agreement(session, dossier, actor=owner_of(session, dossier.organisation))
    return dossier.app


def test_listed_app_changes_presentation_at_once_but_not_what_was_assessed(session, listed_app):
    from catalogue.listings.models import ListingEvent, ListingEventKind

    owner = owner_of(session, listed_app.organisation)
    with pytest.raises(apps.AssessedFieldChange) as caught:
        apps.update_app_profile(session, listed_app, actor=owner, hosting_provider="Autre hébergeur",
                                summary="Nouveau résumé")
    assert caught.value.fields == ["hosting_provider"]
    apps.update_app_profile(session, listed_app, actor=owner, summary="Nouveau résumé plus clair.")
    assert listed_app.summary == "Nouveau résumé plus clair."
    kinds = session.scalars(select(ListingEvent.kind)).all()
    assert ListingEventKind.UPDATED in kinds
    assert session.scalar(select(AuditEvent).where(AuditEvent.action == "app.updated"))
