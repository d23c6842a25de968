"""Publisher services: sign-up, verification, members and invitations."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from catalogue.accounts.models import Role
from catalogue.audit.models import AuditEvent
from catalogue.dossiers import evidence as evidence_files
from catalogue.dossiers.samples import sample_pdf
from catalogue.errors import DomainError, NotFound, PermissionDenied, ValidationFailed
from catalogue.notifications.models import OutboxMessage
from catalogue.publishers import queries as publisher_queries
from catalogue.publishers import services as publishers
from catalogue.publishers.models import MemberRole, Membership, OrganisationStatus

SECRET = "test-secret"


def _register(session, user, siren="732829320", **extra):
    return publishers.register_publisher(session, user=user, legal_name="Santé Plus SAS", siren=siren,
                                         legal_representative="Jeanne Martin, présidente", **extra)


def test_register_makes_the_user_owner_of_a_pending_organisation(session, make_user):
    user = make_user()
    organisation = _register(session, user, siret="732 829 320 00074")
    assert organisation.status == OrganisationStatus.PENDING
    assert organisation.siret == "73282932000074"
    assert publisher_queries.member_role(session, organisation.id, user.id) == MemberRole.OWNER
    event = session.scalar(select(AuditEvent).where(AuditEvent.action == "organisation.registered"))
    assert event.subject_id == str(organisation.id)


@pytest.mark.parametrize(("siren", "siret", "field"), [
    ("732829321", None, "siren"), ("1234", None, "siren"), ("732829320", "73282932000075", "siret"),
    ("732829320", "55210055400013", "siret"),
])
def test_bad_identifiers_are_refused_field_by_field(session, make_user, siren, siret, field):
    with pytest.raises(ValidationFailed) as caught:
        _register(session, make_user(), siren=siren, siret=siret)
    assert field in caught.value.errors


def test_a_siren_registers_once(session, make_user):
    _register(session, make_user())
    with pytest.raises(ValidationFailed) as caught:
        _register(session, make_user())
    assert "déjà inscrite" in caught.value.errors["siren"]


def test_sign_up_creates_account_and_organisation_or_nothing(session):
    user, organisation = publishers.sign_up_publisher(
        session, email="Editrice@Exemple.fr", password="Une phrase de passe solide", display_name="Éd",
        legal_name="Ma Santé SAS", siren="552100554", legal_representative="Éd")
    assert user.email == "editrice@exemple.fr"
    assert publisher_queries.member_role(session, organisation.id, user.id) == MemberRole.OWNER
    with pytest.raises(ValidationFailed) as caught:
        publishers.sign_up_publisher(session, email="autre@exemple.fr", password="court",
                                     legal_name="", siren="552100555")
    assert {"password", "legal_name", "siren"} <= set(caught.value.errors)
    from catalogue.accounts.models import User
    assert session.scalar(select(User).where(User.email == "autre@exemple.fr")) is None


def test_verification_needs_the_secretariat_and_a_registration_extract(session, make_user):
    owner = make_user()
    organisation = _register(session, owner)
    secretariat = make_user(roles=[Role.SECRETARIAT])
    with pytest.raises(PermissionDenied):
        publishers.verify_organisation(session, organisation, actor=owner)
    with pytest.raises(DomainError, match="extrait"):
        publishers.verify_organisation(session, organisation, actor=secretariat)
    evidence_files.add_evidence(session, organisation, actor=owner, filename="kbis.pdf",
                          data=sample_pdf("Kbis"), kind="registration_extract", title="Kbis")
    publishers.verify_organisation(session, organisation, actor=secretariat)
    assert organisation.status == OrganisationStatus.VERIFIED
    assert organisation.verified_by_id == secretariat.id
    assert session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == owner.email,
                                                      OutboxMessage.message == "organisation_verified"))


def test_rejection_needs_a_reason(session, make_user):
    organisation = _register(session, make_user())
    secretariat = make_user(roles=[Role.SECRETARIAT])
    with pytest.raises(ValidationFailed):
        publishers.verify_organisation(session, organisation, actor=secretariat, approve=False)
    publishers.verify_organisation(session, organisation, actor=secretariat, approve=False,
                                   reason="Extrait illisible.")
    assert organisation.status == OrganisationStatus.REJECTED
    assert organisation.rejection_reason == "Extrait illisible."


def test_invitation_link_is_signed_personal_and_expiring(session, make_user, clock):
    owner = make_user()
    organisation = _register(session, owner)
    invitation = publishers.invite_member(session, organisation, actor=owner, email="Bob@Exemple.fr",
                                          role=MemberRole.EDITOR, secret_key=SECRET)
    mail = session.scalar(select(OutboxMessage).where(OutboxMessage.message == "invitation"))
    assert mail.recipient == "bob@exemple.fr"
    token = publishers.invitation_token(SECRET, invitation)
    assert f"/editeur/invitation/{token}" in mail.text_body
    with pytest.raises(DomainError, match="pas valide"):
        publishers.read_invitation(session, token + "x", secret_key=SECRET)
    with pytest.raises(DomainError, match="pas valide"):
        publishers.read_invitation(session, token, secret_key="another-secret")
    stranger = make_user(email="eve@exemple.fr")
    with pytest.raises(PermissionDenied):
        publishers.accept_invitation(session, token, user=stranger, secret_key=SECRET)
    bob = make_user(email="bob@exemple.fr")
    publishers.accept_invitation(session, token, user=bob, secret_key=SECRET)
    assert publisher_queries.member_role(session, organisation.id, bob.id) == MemberRole.EDITOR
    with pytest.raises(DomainError, match="déjà été acceptée"):
        publishers.accept_invitation(session, token, user=bob, secret_key=SECRET)
    late = publishers.invite_member(session, organisation, actor=owner, email="carol@exemple.fr",
                                    role=MemberRole.OWNER, secret_key=SECRET)
    late_token = publishers.invitation_token(SECRET, late)
    clock.shift(timedelta(days=8))
    with pytest.raises(DomainError, match="expiré"):
        publishers.read_invitation(session, late_token, secret_key=SECRET)


def test_only_owners_manage_members_and_one_owner_always_stays(session, make_user):
    owner = make_user()
    organisation = _register(session, owner)
    editor = make_user()
    session.add(Membership(organisation_id=organisation.id, user_id=editor.id, role=MemberRole.EDITOR))
    session.flush()
    with pytest.raises(PermissionDenied):
        publishers.invite_member(session, organisation, actor=editor, email="x@exemple.fr",
                                 role=MemberRole.EDITOR, secret_key=SECRET)
    with pytest.raises(NotFound):
        publishers.invite_member(session, organisation, actor=make_user(), email="x@exemple.fr",
                                 role=MemberRole.EDITOR, secret_key=SECRET)
    owner_membership = publisher_queries.membership_for(
        session, organisation, session.scalar(select(Membership.id).where(Membership.user_id == owner.id)))
    with pytest.raises(DomainError, match="au moins un propriétaire"):
        publishers.change_member_role(session, owner_membership, actor=owner, role=MemberRole.EDITOR)
    with pytest.raises(DomainError, match="au moins un propriétaire"):
        publishers.remove_member(session, owner_membership, actor=owner)
    editor_membership = publisher_queries.membership_for(
        session, organisation, session.scalar(select(Membership.id).where(Membership.user_id == editor.id)))
    publishers.change_member_role(session, editor_membership, actor=owner, role=MemberRole.OWNER)
    publishers.change_member_role(session, owner_membership, actor=editor, role=MemberRole.EDITOR)
    assert publisher_queries.member_role(session, organisation.id, owner.id) == MemberRole.EDITOR
    publishers.remove_member(session, owner_membership, actor=editor)
    assert publisher_queries.member_role(session, organisation.id, owner.id) is None
