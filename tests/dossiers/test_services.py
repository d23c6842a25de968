"""Dossier services and the publisher's rules of the lifecycle."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from catalogue import db
from catalogue.accounts.models import Role
from catalogue.audit.models import AuditEvent
from catalogue.commission.models import Agreement
from catalogue.dossiers import evidence as evidence_files
from catalogue.dossiers import permissions as dossier_permissions
from catalogue.dossiers import queries as dossier_queries
from catalogue.dossiers import services as dossiers
from catalogue.dossiers.models import AnswerStatus, Dossier, DossierState, Evidence
from catalogue.dossiers.samples import sample_pdf
from catalogue.errors import Conflict, DomainError, NotFound, ValidationFailed
from catalogue.notifications.models import Notification, OutboxMessage
from catalogue.storage import services as storage
from tests.factories_publishers import fill_answers, owner_of

S = DossierState


def test_dossier_is_frozen_to_the_framework_and_to_the_profile_from_submission(
        session, make_dossier, clock):
    from catalogue.apps import services as apps

    dossier = make_dossier()
    app = dossier.app
    owner = owner_of(session, app.organisation)
    before = [r.code for r in dossier_queries.applicable_requirements(session, dossier)]
    assert dossier.framework.label == "ENS 2026.1"
    assert dossier.profile_snapshot["name"] == app.name
    # A draft follows the profile: its requirements are those of the profile it will be filed with.
    apps.update_app_profile(session, app, actor=owner,
                            predicates=["processes_health_data", "uses_ai"], is_medical_device=True,
                            medical_device_class="I")
    during = [r.code for r in dossier_queries.applicable_requirements(session, dossier)]
    assert "uses_ai" in dossier.profile_snapshot["predicates"] and set(before) < set(during)
    fill_answers(session, dossier, owner)
    dossiers.submit_dossier(session, dossier, actor=owner)
    # Filed: the assessed facts are frozen, the profile refuses to change them.
    with pytest.raises(apps.AssessedFieldChange, match=dossier.reference):
        apps.update_app_profile(session, app, actor=owner, predicates=["processes_health_data"])
    assert [r.code for r in dossier_queries.applicable_requirements(session, dossier)] == during


def test_one_open_dossier_per_app_and_kind(session, make_dossier, clock):
    dossier = make_dossier()
    owner = owner_of(session, dossier.organisation)
    with pytest.raises(DomainError, match="déjà ouvert"):
        dossiers.open_dossier(session, dossier.app, actor=owner)
    with pytest.raises(DomainError, match="application référencée"):
        dossiers.open_dossier(session, dossier.app, actor=owner, kind="modification")
    dossiers.withdraw_dossier(session, dossier, actor=owner, reason="Erreur de profil.")
    assert dossiers.open_dossier(session, dossier.app, actor=owner).state == S.DRAFT


def test_answers_are_checked_and_submission_lists_every_problem(session, make_dossier, clock):
    dossier = make_dossier()
    owner = owner_of(session, dossier.organisation)
    requirements = dossier_queries.applicable_requirements(session, dossier)
    strict = next(r for r in requirements if not r.allow_not_applicable)
    with pytest.raises(ValidationFailed, match=strict.code):
        dossiers.save_answer(session, dossier, strict.code, actor=owner, status="not_applicable")
    mandatory = next(r for r in requirements if r.mandatory)
    dossiers.save_answer(session, dossier, mandatory.code, actor=owner, status="not_compliant")
    problems = dossier_queries.submission_problems(session, dossier)
    messages = [p.message for p in problems]
    assert any(m.startswith(mandatory.code) and "obligatoire" in m for m in messages)
    assert len([p for p in problems if p.field == "status"]) == len(requirements)
    with pytest.raises(ValidationFailed) as caught:
        dossiers.submit_dossier(session, dossier, actor=owner)
    assert any(mandatory.code in m for m in caught.value.errors)
    assert dossier.state == S.DRAFT and dossier.reference is None


def test_missing_evidence_and_unverified_organisation_block_submission(
        session, make_organisation, make_app_profile, make_dossier, clock):
    organisation = make_organisation(verified=False)
    dossier = make_dossier(make_app_profile(organisation))
    owner = owner_of(session, organisation)
    fill_answers(session, dossier, owner)
    problems = dossier_queries.submission_problems(session, dossier)
    assert [p.field for p in problems] == ["organisation"]
    with_evidence = next(r for r in dossier_queries.applicable_requirements(session, dossier) if r.evidence)
    dossiers.save_answer(session, dossier, with_evidence.code, actor=owner, status="compliant",
                         justification="ok", evidence_ids=[])
    messages = [p.message for p in dossier_queries.submission_problems(session, dossier)]
    assert any(m.startswith(with_evidence.code) and "pièce manquante" in m for m in messages)


def test_submit_gives_sequential_references_receipt_and_notifications(
        session, make_submitted_dossier, clock):
    first = make_submitted_dossier()
    second = make_submitted_dossier()
    assert (first.reference, second.reference) == ("ENS-2026-00001", "ENS-2026-00002")
    assert first.submitted_at is not None and first.state == S.SUBMITTED
    owner = owner_of(session, first.organisation)
    receipt = session.scalar(select(OutboxMessage).where(OutboxMessage.recipient == owner.email,
                                                         OutboxMessage.message == "dossier_receipt"))
    assert "ENS-2026-00001" in receipt.subject
    evidence = session.scalars(select(Evidence).where(Evidence.organisation_id == first.organisation_id,
                                                      Evidence.app_id == first.app_id)).all()
    assert evidence and all(e.sha256 in receipt.text_body for e in evidence)
    assert "ENS 2026.1" in receipt.text_body
    assert session.scalar(select(Notification).where(Notification.user_id == owner.id,
                                                     Notification.message == "dossier_receipt"))
    clock.move_to("2027-01-05 10:00:00+00:00")
    third = make_submitted_dossier()
    assert third.reference == "ENS-2027-00001"


def test_a_submitted_dossier_cannot_be_edited_or_submitted_again(session, make_submitted_dossier, clock):
    dossier = make_submitted_dossier()
    owner = owner_of(session, dossier.organisation)
    code = dossier_queries.applicable_requirements(session, dossier)[0].code
    with pytest.raises(DomainError, match="déposé"):
        dossiers.save_answer(session, dossier, code, actor=owner, status="compliant")
    with pytest.raises(Conflict):
        dossiers.submit_dossier(session, dossier, actor=owner)


def test_evidence_is_stored_once_per_organisation(session, make_dossier, clock):
    dossier = make_dossier()
    owner = owner_of(session, dossier.organisation)
    data = sample_pdf("Analyse d'impact")
    first = evidence_files.add_evidence(session, dossier.organisation, actor=owner, app=dossier.app,
                                  filename="aipd.pdf", data=data, kind="dpia", title="AIPD")
    again = evidence_files.add_evidence(session, dossier.organisation, actor=owner, app=dossier.app,
                                  filename="copie.pdf", data=data, kind="dpia", title="AIPD bis")
    assert again.id == first.id
    assert session.scalar(select(func.count()).select_from(Evidence).where(
        Evidence.organisation_id == dossier.organisation_id, Evidence.kind == "dpia")) == 1
    with pytest.raises(ValidationFailed) as caught:
        evidence_files.add_evidence(session, dossier.organisation, actor=owner, filename="x.pdf",
                              data=data + b"x", kind="inconnu", title="")
    assert {"kind", "title"} <= set(caught.value.errors)


class FailingStorage:
    def __init__(self, inner):
        self.inner = inner

    def put(self, key, data):
        raise storage.StorageError("disk full")

    def get(self, key):
        return self.inner.get(key)

    def delete(self, key):
        self.inner.delete(key)

    def exists(self, key):
        return self.inner.exists(key)


def test_storage_failure_leaves_no_row(session, make_dossier, clock):
    dossier = make_dossier()
    owner = owner_of(session, dossier.organisation)
    real = storage.get_storage()
    storage.configure(FailingStorage(real))
    try:
        with pytest.raises(DomainError, match="n'a pas pu être enregistré"):
            evidence_files.add_evidence(session, dossier.organisation, actor=owner, filename="a.pdf",
                                  data=sample_pdf("unique failing"), kind="dpia", title="AIPD")
    finally:
        storage.configure(real)
    assert session.scalar(select(Evidence).where(Evidence.title == "AIPD")) is None


def test_a_rolled_back_upload_leaves_no_file(app, session, make_dossier, clock):
    dossier = make_dossier()
    owner = owner_of(session, dossier.organisation)
    db.commit()
    evidence = evidence_files.add_evidence(session, dossier.organisation, actor=owner, filename="a.pdf",
                                     data=sample_pdf("rolled back"), kind="dpia", title="AIPD")
    key = evidence.storage_key
    assert storage.get_storage().exists(key)
    db.rollback()
    assert not storage.get_storage().exists(key)


def test_download_is_for_members_assigned_rapporteurs_secretariat_and_chair(
        session, make_submitted_dossier, make_user, advance, team, clock):
    dossier = make_submitted_dossier()
    evidence = next(iter(dossier_queries.current_answers(session, dossier).values())).evidence[0]
    owner = owner_of(session, dossier.organisation)
    assert evidence_files.evidence_for_download(session, evidence.id, owner) == evidence
    for stranger in (make_user(), make_user(roles=[Role.RAPPORTEUR]), make_user(roles=[Role.MEMBER]),
                     make_user(roles=[Role.DECISION_MAKER])):
        with pytest.raises(NotFound):
            evidence_files.evidence_for_download(session, evidence.id, stranger)
    assert evidence_files.evidence_for_download(session, evidence.id, team.secretariat)
    assert evidence_files.evidence_for_download(session, evidence.id, team.chair)
    advance(dossier, "under_evaluation")
    assert evidence_files.evidence_for_download(session, evidence.id, team.rapporteurs[0])
    with pytest.raises(NotFound):
        evidence_files.evidence_for_download(session, evidence.id, team.rapporteurs[2])
    downloads = session.scalars(select(AuditEvent).where(AuditEvent.action == "evidence.downloaded")).all()
    assert len(downloads) == 4 and {d.actor_id for d in downloads} == {
        owner.id, team.secretariat.id, team.chair.id, team.rapporteurs[0].id}


def test_strangers_do_not_see_dossiers(session, make_submitted_dossier, make_dossier, make_user, team, clock):
    dossier = make_submitted_dossier()
    draft = make_dossier()
    with pytest.raises(NotFound):
        dossier_permissions.dossier_for_commission(session, dossier.id, make_user())
    with pytest.raises(NotFound):
        dossier_permissions.dossier_for_commission(session, draft.id, team.secretariat)
    assert dossier_permissions.dossier_for_commission(session, dossier.id, team.secretariat)[0] == dossier
    with pytest.raises(NotFound):
        dossier_permissions.publisher_dossier(session, dossier.id, team.secretariat)


def test_resubmission_opens_a_new_round(session, make_submitted_dossier, advance, clock):
    dossier = advance(make_submitted_dossier(), "incomplete")
    owner = owner_of(session, dossier.organisation)
    requirement = dossier_queries.applicable_requirements(session, dossier)[0]
    before = dossier_queries.current_answers(session, dossier)[requirement.id]
    dossiers.save_answer(session, dossier, requirement.code, actor=owner, status="compliant",
                         justification="Précisé après la demande.",
                         evidence_ids=[e.id for e in before.evidence])
    assert dossier_queries.current_answers(session, dossier)[requirement.id].round == 1
    reference = dossier.reference
    dossiers.submit_dossier(session, dossier, actor=owner)
    assert dossier.state == S.SUBMITTED and dossier.round == 2 and dossier.reference == reference
    current = dossier_queries.current_answers(session, dossier)[requirement.id]
    assert current.justification == "Précisé après la demande."
    [(round_, changes)] = dossier_queries.round_changes(session, dossier)
    assert round_ == 2 and [c.code for c in changes] == [requirement.code]


def test_answering_information_resumes_the_clock_pushed_by_the_days_stopped(
        session, make_submitted_dossier, advance, clock):
    dossier = advance(make_submitted_dossier(), "information_requested")
    owner = owner_of(session, dossier.organisation)
    due_before = dossier.review_due_on
    assert dossier.clock_stopped_on is not None
    clock.shift(timedelta(days=9))
    with pytest.raises(ValidationFailed):
        dossiers.answer_information(session, dossier, actor=owner, answer="  ")
    extra = evidence_files.add_evidence(session, dossier.organisation, actor=owner, app=dossier.app,
                                  filename="sauvegardes.pdf", data=sample_pdf("Sauvegardes"),
                                  kind="continuity_plan", title="Plan de sauvegarde")
    dossiers.answer_information(session, dossier, actor=owner, answer="Sauvegardes chez HDS-Backup.",
                                evidence_ids=[extra.id])
    assert dossier.state == S.UNDER_EVALUATION
    assert dossier.review_due_on == due_before + timedelta(days=9)
    assert dossier.days_stopped == 9 and dossier.clock_stopped_on is None
    assert dossier.round == 2
    clock_view = dossier_queries.review_clock(dossier)
    assert clock_view.days_stopped == 9 and clock_view.days_used == 0


def test_withdrawal_needs_a_reason(session, make_submitted_dossier, clock):
    dossier = make_submitted_dossier()
    owner = owner_of(session, dossier.organisation)
    with pytest.raises(ValidationFailed):
        dossiers.withdraw_dossier(session, dossier, actor=owner, reason=" ")
    dossiers.withdraw_dossier(session, dossier, actor=owner, reason="Produit abandonné.")
    assert dossier.state == S.WITHDRAWN and dossier.withdrawal_reason == "Produit abandonné."
    assert dossier.closed_at is not None


def test_only_the_owner_signs_the_agreement_and_the_listing_is_published(
        session, make_submitted_dossier, make_user, advance, clock):
    from catalogue.listings.models import Listing, ListingState
    from catalogue.publishers.models import MemberRole, Membership
    from workflows.engine import TransitionRefused

    dossier = advance(make_submitted_dossier(), "agreement_pending")
    editor = make_user()
    session.add(Membership(organisation_id=dossier.organisation_id, user_id=editor.id,
                           role=MemberRole.EDITOR))
    session.flush()
    with pytest.raises(TransitionRefused):
        dossiers.sign_agreement(session, dossier, actor=editor)
    owner = owner_of(session, dossier.organisation)
    dossiers.sign_agreement(session, dossier, actor=owner)
    assert dossier.state == S.REFERENCED
    agreement = session.scalar(select(Agreement).where(Agreement.dossier_id == dossier.id))
    assert agreement.accepted_by_id == owner.id and agreement.accepted_at is not None
    listing = session.scalar(select(Listing).where(Listing.app_id == dossier.app_id))
    assert listing.state == ListingState.PUBLISHED and listing.dossier_id == dossier.id


def test_renewal_is_offered_six_months_before_expiry_and_carries_answers(
        session, make_submitted_dossier, advance, clock):
    dossier = advance(make_submitted_dossier(), "agreement_pending")
    owner = owner_of(session, dossier.organisation)
    dossiers.sign_agreement(session, dossier, actor=owner)
    app = dossier.app
    assert dossier_queries.renewal_offer(session, app) is None
    with pytest.raises(DomainError, match="six mois"):
        dossiers.open_dossier(session, app, actor=owner, kind="renewal")
    from catalogue.listings.queries import listing_of

    clock.move_to(f"{listing_of(session, app).valid_until - timedelta(days=150)} 09:00:00+00:00")
    assert dossier_queries.renewal_offer(session, app) is not None
    renewal = dossiers.open_dossier(session, app, actor=owner, kind="renewal")
    assert renewal.previous_dossier_id == dossier.id
    carried = dossier_queries.current_answers(session, renewal)
    assert len(carried) == len(dossier_queries.applicable_requirements(session, renewal))
    assert all(a.status == AnswerStatus.COMPLIANT and a.evidence for a in carried.values()
               if a.requirement.evidence)
    with pytest.raises(DomainError, match="déjà référencée"):
        dossiers.open_dossier(session, app, actor=owner, kind="initial")


def test_lift_reservations_is_recorded_for_the_rapporteur(session, make_submitted_dossier, advance, team,
                                                         clock):
    from catalogue.commission.models import Opinion

    dossier = advance(make_submitted_dossier(), "opinion_issued",
                      votes=["favourable_with_suspensive_reservations"] * 4,
                      reservations="Fournir le rapport de test d'intrusion.")
    owner = owner_of(session, dossier.organisation)
    with pytest.raises(ValidationFailed):
        dossiers.lift_reservations(session, dossier, actor=owner, statement="")
    dossiers.lift_reservations(session, dossier, actor=owner, statement="Rapport joint le 3 mars.")
    opinion = session.scalar(select(Opinion).where(Opinion.dossier_id == dossier.id))
    assert opinion.lift_requested_by_id == owner.id and opinion.lift_statement
    assert session.scalar(select(Notification).where(
        Notification.user_id == team.rapporteurs[0].id,
        Notification.message == "dossier_reservations_lifted"))
    assert isinstance(dossier, Dossier)


def test_answers_are_saved_together_or_not_at_all_with_one_audit_event(session, make_dossier, clock):
    dossier = make_dossier()
    owner = owner_of(session, dossier.organisation)
    requirements = dossier_queries.applicable_requirements(session, dossier)
    strict = next(r for r in requirements if not r.allow_not_applicable)
    others = [r for r in requirements if r is not strict][:3]
    version = dossier.version_id
    with pytest.raises(ValidationFailed) as caught:
        dossiers.save_answers(session, dossier, [
            *(dossiers.AnswerInput(r.code, "compliant", "En place.") for r in others),
            dossiers.AnswerInput(strict.code, "not_applicable"),
            dossiers.AnswerInput(others[0].code, "peut-être"),
        ], actor=owner)
    assert set(caught.value.errors) == {f"status-{strict.code}", f"status-{others[0].code}"}
    assert dossier_queries.current_answers(session, dossier, working=True) == {}
    events = session.scalar(select(func.count(AuditEvent.id))
                            .where(AuditEvent.action == "dossier.answers_saved"))
    saved = dossiers.save_answers(session, dossier, [dossiers.AnswerInput(r.code, "compliant", " En place. ")
                                                     for r in others], actor=owner)
    assert [a.requirement.code for a in saved] == [r.code for r in others]
    current = dossier_queries.current_answers(session, dossier, working=True)
    assert {a.justification for a in current.values()} == {"En place."}
    [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "dossier.answers_saved")
                              .order_by(AuditEvent.id.desc()).limit(1))
    assert session.scalar(select(func.count(AuditEvent.id))
                          .where(AuditEvent.action == "dossier.answers_saved")) == events + 1
    assert [c["requirement"] for c in event.payload["answers"]] == [r.code for r in others]
    assert all(c["before"] is None and c["after"]["status"] == "compliant" for c in event.payload["answers"])
    assert dossier.version_id == version + 1
    with pytest.raises(NotFound):
        dossiers.save_answers(session, dossier, [dossiers.AnswerInput("NOPE-99", "compliant")], actor=owner)
