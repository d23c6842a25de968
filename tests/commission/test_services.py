"""The commission's rules, through its services."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from catalogue.accounts.models import Role
from catalogue.audit.services import verify_chain
from catalogue.clock import now, today
from catalogue.commission import dashboards as commission_dashboards
from catalogue.commission import queries as commission_queries
from catalogue.commission import services as commission
from catalogue.commission import sessions as commission_sessions
from catalogue.commission.models import (
    AdmissibilityDecision,
    AgendaItem,
    AgendaItemOutcome,
    Agreement,
    Assignment,
    Opinion,
    OpinionValue,
    Verdict,
    VoteChoice,
)
from catalogue.dossiers import queries as dossier_queries
from catalogue.dossiers.models import DossierState
from catalogue.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from catalogue.notifications.models import Notification
from tests.factories_commission import full_report, open_with_attendance
from workflows.engine import TransitionRefused

S = DossierState


# --- Admissibility -------------------------------------------------------------------


def test_declare_incomplete_needs_missing_items_and_tells_the_publisher(session, team, review_dossier):
    dossier = review_dossier()
    with pytest.raises(TransitionRefused, match="élément manquant"):
        commission.declare_incomplete(session, dossier, actor=team.secretariat, missing_items=[])
    items = [{"requirement_code": "SEC-01", "field": "evidence", "message": "Rapport d'audit absent."}]
    commission.declare_incomplete(session, dossier, actor=team.secretariat, missing_items=items)
    assert dossier.state == S.INCOMPLETE
    decision = session.scalar(
        select(AdmissibilityDecision).where(AdmissibilityDecision.dossier_id == dossier.id))
    assert decision.missing_items == items
    owner_notes = session.scalars(select(Notification).where(
        Notification.message == "commission_dossier_incomplete")).all()
    assert owner_notes and "SEC-01" in owner_notes[0].body


def test_accept_needs_two_rapporteurs_and_starts_the_review_clock(session, team, review_dossier, clock):
    dossier = review_dossier()
    with pytest.raises(TransitionRefused, match="Deux rapporteurs"):
        commission.accept_dossier(session, dossier, actor=team.secretariat)
    proposed = commission.propose_rapporteurs(session, dossier)
    commission.assign_rapporteurs(session, dossier, [u.id for u in proposed], actor=team.secretariat)
    commission.accept_dossier(session, dossier, actor=team.secretariat)
    assert dossier.state == S.UNDER_EVALUATION
    assert dossier.review_started_on == today()
    assert dossier.review_due_on == today() + timedelta(days=60)


# --- Rapporteurs and interests ----------------------------------------------------------


def test_proposal_takes_least_loaded_then_longest_idle(session, team, review_dossier, advance, clock):
    r1, r2, r3 = team.rapporteurs
    busy = review_dossier()
    commission.assign_rapporteurs(session, busy, [r1.id, r2.id], actor=team.secretariat,
                                  override_reason="Compétences")
    dossier = review_dossier()
    # r3 has no open assignment; then r1 and r2 tie on load (1 each).
    assert commission.propose_rapporteurs(session, dossier)[0] == r3
    clock.shift(timedelta(days=1))
    other = review_dossier()
    commission.assign_rapporteurs(session, other, [r2.id, r3.id], actor=team.secretariat,
                                  override_reason="Compétences")
    # Loads: r1 1, r2 2, r3 1; r1's last assignment is older than r3's.
    assert commission.propose_rapporteurs(session, dossier) == [r1, r3]


def test_override_of_the_proposal_needs_a_reason(session, team, review_dossier):
    dossier = review_dossier()
    proposed = {u.id for u in commission.propose_rapporteurs(session, dossier)}
    other = next(r.id for r in team.rapporteurs if r.id not in proposed)
    chosen = [other, next(iter(proposed))]
    with pytest.raises(ValidationFailed) as error:
        commission.assign_rapporteurs(session, dossier, chosen, actor=team.secretariat)
    assert "override_reason" in error.value.errors
    rows = commission.assign_rapporteurs(session, dossier, chosen, actor=team.secretariat,
                                         override_reason="Expertise dispositifs médicaux")
    assert {r.override_reason for r in rows} == {"Expertise dispositifs médicaux"}
    with pytest.raises(ValidationFailed, match="distincts"):
        commission.assign_rapporteurs(session, dossier, [other, other], actor=team.secretariat)


def test_rapporteur_with_declared_interest_is_never_proposed_nor_assigned(session, team, review_dossier):
    dossier = review_dossier()
    r1 = team.rapporteurs[0]
    commission.declare_interest(session, actor=r1, organisation_id=dossier.organisation_id,
                                nature="Conseil rémunéré en 2025", started_on=today() - timedelta(days=300))
    assert r1 not in commission.propose_rapporteurs(session, dossier)
    with pytest.raises(ValidationFailed, match="intérêt"):
        commission.assign_rapporteurs(session, dossier, [r1.id, team.rapporteurs[1].id],
                                      actor=team.secretariat, override_reason="x")


def test_declaring_an_interest_releases_current_assignments(session, team, review_dossier, advance):
    dossier = advance(review_dossier(), "under_evaluation")
    r1 = team.rapporteurs[0]
    commission.declare_interest(session, actor=r1, organisation_id=dossier.organisation_id,
                                nature="Actionnaire", started_on=today())
    assignment = session.scalar(select(Assignment).where(Assignment.rapporteur_id == r1.id,
                                                         Assignment.dossier_id == dossier.id))
    assert assignment.released_at is not None
    with pytest.raises(NotFound):
        commission.file_report(session, dossier, actor=r1, assessments={}, proposed_opinion=None)


def test_interest_dates_are_checked_and_only_the_declarant_updates(session, team, review_dossier):
    dossier = review_dossier()
    member = team.members[0]
    with pytest.raises(ValidationFailed) as error:
        commission.declare_interest(session, actor=member, organisation_id=dossier.organisation_id,
                                    nature="", started_on=date(2026, 1, 10), ended_on=date(2025, 1, 1))
    assert set(error.value.errors) == {"nature", "ended_on"}
    declaration = commission.declare_interest(session, actor=member, organisation_id=dossier.organisation_id,
                                              nature="Ancien salarié", started_on=date(2024, 1, 1))
    with pytest.raises(NotFound):
        commission.update_interest(session, declaration, actor=team.members[1], nature="x",
                                   started_on=date(2024, 1, 1), ended_on=None)
    commission.update_interest(session, declaration, actor=member, nature="Ancien salarié",
                               started_on=date(2024, 1, 1), ended_on=date(2024, 12, 31))
    assert not commission_queries.has_declared_interest(session, member.id, dossier.organisation_id)
    with pytest.raises(PermissionDenied):
        commission.all_interests(session, actor=member)
    assert declaration in commission.all_interests(session, actor=team.secretariat)


# --- Reports ------------------------------------------------------------------------------


def test_reports_are_independent_until_filed(session, team, review_dossier, advance):
    dossier = advance(review_dossier(), "under_evaluation")
    r1, r2 = team.rapporteurs[:2]
    full_report(session, dossier, r1)
    draft = commission.file_report(session, dossier, actor=r2, assessments={}, proposed_opinion="favourable")
    assert draft.filed_at is None
    # r2 has not filed: sees only their own draft; r1 filed: sees only their own too (r2's is a draft).
    assert [r.rapporteur_id for r in commission.visible_reports(session, dossier, r2)] == [r2.id]
    assert [r.rapporteur_id for r in commission.visible_reports(session, dossier, r1)] == [r1.id]
    with pytest.raises(TransitionRefused, match="Rapporteur 2"):
        commission.complete_evaluation(session, dossier, actor=team.secretariat)
    full_report(session, dossier, r2)
    assert {r.rapporteur_id for r in commission.visible_reports(session, dossier, r2)} == {r1.id, r2.id}
    seen = commission.visible_reports(session, dossier, team.secretariat)
    assert {r.rapporteur_id for r in seen} == {r1.id, r2.id}
    commission.complete_evaluation(session, dossier, actor=team.secretariat)
    assert dossier.state == S.READY_FOR_COMMISSION


def test_a_report_needs_every_verdict_and_is_final_once_filed(session, team, review_dossier, advance):
    dossier = advance(review_dossier(), "under_evaluation")
    r1 = team.rapporteurs[0]
    requirements = dossier_queries.applicable_requirements(session, dossier)
    first = requirements[0]
    with pytest.raises(ValidationFailed, match="Verdict manquant"):
        commission.file_report(session, dossier, actor=r1,
                               assessments={first.id: {"verdict": "compliant"}},
                               proposed_opinion="favourable", submit=True)
    with pytest.raises(ValidationFailed) as error:
        commission.file_report(session, dossier, actor=r1,
                               assessments={first.id: {"verdict": "not_compliant"}},
                               proposed_opinion="favourable")
    assert f"public-{first.id}" in error.value.errors
    full_report(session, dossier, r1)
    with pytest.raises(Conflict):
        full_report(session, dossier, r1)
    with pytest.raises(NotFound):
        commission.file_report(session, dossier, actor=team.rapporteurs[2], assessments={},
                               proposed_opinion=None)


# --- Information requests and the clock ------------------------------------------------------


def test_information_request_stops_the_clock_and_the_answer_pushes_the_due_date(
        session, team, review_dossier, advance, clock):
    dossier = advance(review_dossier(), "under_evaluation")
    due = dossier.review_due_on
    with pytest.raises(TransitionRefused, match="questions"):
        commission.request_information(session, dossier, actor=team.rapporteurs[0], questions=" ")
    commission.request_information(session, dossier, actor=team.rapporteurs[0], questions="Hébergeur ?")
    assert dossier.state == S.INFORMATION_REQUESTED and dossier.clock_stopped_on == today()
    request = commission_queries.open_information_request(session, dossier)
    assert request.due_on == today() + timedelta(days=30)
    clock.shift(timedelta(days=12))
    stopped = commission_queries.resume_review_clock(dossier)
    assert stopped == 12 and dossier.review_due_on == due + timedelta(days=12)
    assert dossier.clock_stopped_on is None and dossier.days_stopped == 12


# --- Sessions, votes, opinions -----------------------------------------------------------------


@pytest.fixture
def scheduled(session, team, review_dossier, advance):
    dossier = advance(review_dossier(), "scheduled")
    item = session.scalar(select(AgendaItem).where(AgendaItem.dossier_id == dossier.id))
    return dossier, item


def test_votes_are_refused_outside_an_open_session_twice_absent_or_conflicted(session, team, scheduled):
    dossier, item = scheduled
    m1, m2, m3, m4 = team.members
    with pytest.raises(PermissionDenied, match="séance ouverte"):
        commission_sessions.cast_vote(session, item, actor=m1, choice="favourable")
    commission.declare_interest(session, actor=m4, organisation_id=dossier.organisation_id,
                                nature="Conjoint salarié", started_on=today())
    open_with_attendance(item.session, team, present=[m1, m2, m4, team.chair])
    commission_sessions.cast_vote(session, item, actor=m1, choice="favourable")
    with pytest.raises(Conflict, match="déjà voté"):
        commission_sessions.cast_vote(session, item, actor=m1, choice="unfavourable")
    with pytest.raises(PermissionDenied, match="présents"):
        commission_sessions.cast_vote(session, item, actor=m3, choice="favourable")
    with pytest.raises(PermissionDenied, match="intérêt"):
        commission_sessions.cast_vote(session, item, actor=m4, choice="favourable")
    with pytest.raises(PermissionDenied, match="membres"):
        commission_sessions.cast_vote(session, item, actor=team.rapporteurs[0], choice="favourable")
    with pytest.raises(ValidationFailed):
        commission_sessions.cast_vote(session, item, actor=m2, choice="peut-être")


def test_no_opinion_without_quorum(session, team, scheduled):
    dossier, item = scheduled
    # Five sitting members: quorum is three.
    assert commission_queries.quorum_required(session) == 3
    open_with_attendance(item.session, team, present=[team.members[0], team.chair])
    commission_sessions.cast_vote(session, item, actor=team.members[0], choice="favourable")
    with pytest.raises(TransitionRefused, match="Quorum non atteint : 2 membre"):
        commission_sessions.issue_opinion(session, item, actor=team.chair)
    assert dossier.state == S.SCHEDULED


def test_quorum_setting_overrides_the_majority(app, session, team, scheduled, monkeypatch):
    monkeypatch.setitem(app.config, "QUORUM", 2)
    dossier, item = scheduled
    open_with_attendance(item.session, team, present=[team.members[0], team.chair])
    commission_sessions.cast_vote(session, item, actor=team.members[0], choice="favourable")
    commission_sessions.issue_opinion(session, item, actor=team.chair)
    assert dossier.state == S.OPINION_ISSUED


def test_opinion_is_the_majority_of_votes_cast_abstentions_aside(session, team, scheduled):
    _dossier, item = scheduled
    open_with_attendance(item.session, team)
    m1, m2, m3, m4 = team.members
    for voter, choice in ((m1, "abstention"), (m2, "abstention"), (m3, "abstention"),
                          (m4, "unfavourable"), (team.chair, "abstention")):
        commission_sessions.cast_vote(session, item, actor=voter, choice=choice)
    opinion = commission_sessions.issue_opinion(session, item, actor=team.chair)
    assert opinion.value == OpinionValue.UNFAVOURABLE
    assert opinion.tally["abstention"] == 4 and opinion.tally["unfavourable"] == 1
    assert item.outcome == AgendaItemOutcome.OPINION_ISSUED


def test_the_chair_breaks_a_tie(session, team, scheduled):
    _dossier, item = scheduled
    open_with_attendance(item.session, team)
    m1, m2, m3, _ = team.members
    for voter, choice in ((m1, "favourable"), (m2, "unfavourable"), (m3, "unfavourable"),
                          (team.chair, "favourable")):
        commission_sessions.cast_vote(session, item, actor=voter, choice=choice)
    assert commission_sessions.issue_opinion(session, item, actor=team.chair).value == OpinionValue.FAVOURABLE


def test_tie_without_the_chairs_vote_is_refused_with_the_reason():
    _counts, opinion, reason = commission_queries.tally(
        [(1, "favourable"), (2, "unfavourable"), (3, "abstention")], {3})
    assert opinion is None and "Égalité" in reason
    assert commission_queries.tally([(1, "abstention")], set())[1] is None
    assert commission_queries.tally([(1, VoteChoice.FAVOURABLE_WITH_RESERVATIONS)], set())[1] == \
        OpinionValue.FAVOURABLE_WITH_RESERVATIONS


def test_reservations_need_their_text(session, team, scheduled):
    _dossier, item = scheduled
    open_with_attendance(item.session, team)
    for voter in team.voters[:3]:
        commission_sessions.cast_vote(session, item, actor=voter, choice="favourable_with_reservations")
    with pytest.raises(TransitionRefused, match="réserves"):
        commission_sessions.issue_opinion(session, item, actor=team.chair)
    opinion = commission_sessions.issue_opinion(session, item, actor=team.chair,
                                       reservations="Publier la politique de confidentialité mise à jour.")
    assert opinion.reservations.startswith("Publier")


def test_postpone_needs_a_reason_and_frees_the_dossier_for_another_session(session, team, scheduled):
    dossier, item = scheduled
    open_with_attendance(item.session, team)
    with pytest.raises(TransitionRefused, match="motif"):
        commission_sessions.postpone_item(session, item, actor=team.chair, reason="")
    commission_sessions.postpone_item(session, item, actor=team.chair, reason="Rapporteur absent")
    assert dossier.state == S.READY_FOR_COMMISSION and item.outcome == AgendaItemOutcome.POSTPONED
    with pytest.raises(TransitionRefused, match="programmée"):
        commission_sessions.schedule_dossier(session, dossier, item.session, actor=team.secretariat)
    later = commission_sessions.plan_session(session, actor=team.secretariat, title="Séance suivante",
                                    scheduled_at=now() + timedelta(days=30), dossier_ids=[dossier.id])
    assert dossier.state == S.SCHEDULED and later.items[0].dossier_id == dossier.id


def test_closing_needs_every_item_treated_and_freezes_the_minutes(session, team, scheduled):
    dossier, item = scheduled
    m4 = team.members[3]
    commission.declare_interest(session, actor=m4, organisation_id=dossier.organisation_id,
                                nature="Conjoint salarié", started_on=today())
    open_with_attendance(item.session, team, present=[*team.members[:3], m4, team.chair])
    with pytest.raises(ValidationFailed, match=dossier.reference):
        commission_sessions.close_session(session, item.session, actor=team.chair)
    for voter in team.members[:2]:
        commission_sessions.cast_vote(session, item, actor=voter, choice="favourable")
    commission_sessions.cast_vote(session, item, actor=team.chair, choice="unfavourable")
    commission_sessions.issue_opinion(session, item, actor=team.chair)
    closed = commission_sessions.close_session(session, item.session, actor=team.chair)
    minutes = closed.minutes
    assert "Présents : Membre 1, Membre 2, Membre 3, Membre 4, Paule Présidente" in minutes
    assert "- Membre 1 : Favorable" in minutes and "- Paule Présidente : Défavorable" in minutes
    assert "**Avis de la commission : Favorable.**" in minutes
    assert "- Membre 4 : intérêt déclaré lié à l'éditeur" in minutes
    assert "- Membre 3 : présent, n'a pas voté" in minutes
    with pytest.raises(PermissionDenied):
        commission_sessions.cast_vote(session, item, actor=team.members[2], choice="favourable")


def test_only_the_chair_runs_a_session(session, team, scheduled):
    _, item = scheduled
    with pytest.raises(PermissionDenied):
        commission_sessions.open_session(session, item.session, actor=team.members[0])
    commission_sessions.open_session(session, item.session, actor=team.chair)
    with pytest.raises(Conflict):
        commission_sessions.open_session(session, item.session, actor=team.chair)


# --- Decision ------------------------------------------------------------------------------------


def test_referencing_needs_a_favourable_opinion(session, team, review_dossier, advance):
    dossier = advance(review_dossier(), "opinion_issued", votes=["unfavourable"] * 4)
    with pytest.raises(TransitionRefused, match="avis favorable"):
        commission.decide(session, dossier, actor=team.decision_maker, outcome="referenced",
                          motivation="…")
    with pytest.raises(TransitionRefused, match="exigence par exigence"):
        commission.decide(session, dossier, actor=team.decision_maker, outcome="refused",
                          motivation="Avis défavorable.", reasons=[])
    code = dossier_queries.applicable_requirements(session, dossier)[0].code
    decision = commission.decide(session, dossier, actor=team.decision_maker, outcome="refused",
                                 motivation="Avis défavorable.",
                                 reasons=[{"requirement_code": code, "reason": "Chiffrement absent."}])
    assert dossier.state == S.REFUSED and decision.reasons[0]["requirement_code"] == code
    assert dossier.closed_at is not None


def test_suspensive_reservations_block_referencing_until_a_rapporteur_confirms(
        session, team, review_dossier, advance):
    from catalogue.dossiers import services as dossiers

    dossier = advance(review_dossier(), "opinion_issued",
                      votes=["favourable_with_suspensive_reservations"] * 3,
                      reservations="Fournir le rapport de test d'intrusion.")
    with pytest.raises(TransitionRefused, match="réserves suspensives"):
        commission.decide(session, dossier, actor=team.decision_maker, outcome="referenced",
                          motivation="Avis favorable.")
    with pytest.raises(TransitionRefused, match="pas encore déclaré"):
        commission.confirm_lift(session, dossier, actor=team.rapporteurs[0])
    owner = commission_queries.publisher_members(session, dossier)[0]
    dossiers.lift_reservations(session, dossier, actor=owner, statement="Rapport joint.")
    with pytest.raises(TransitionRefused, match="rôle"):
        commission.confirm_lift(session, dossier, actor=team.rapporteurs[2])
    commission.confirm_lift(session, dossier, actor=team.rapporteurs[0])
    commission.decide(session, dossier, actor=team.decision_maker, outcome="referenced",
                      motivation="Avis favorable, réserves levées.")
    assert dossier.state == S.AGREEMENT_PENDING


def test_referencing_creates_the_agreement(app, session, team, review_dossier, advance):
    dossier = advance(review_dossier(), "agreement_pending")
    agreement = session.scalar(select(Agreement).where(Agreement.dossier_id == dossier.id))
    assert agreement.duration_days == app.config["LISTING_VALIDITY_DAYS"] == 1095
    assert agreement.data_categories == dossier.profile_snapshot["data_categories"]
    assert "suspendre" in agreement.withdrawal_terms and agreement.accepted_at is None
    assert verify_chain(session) is None


def test_whole_walk_is_audited(session, team, review_dossier, advance):
    from catalogue.audit.models import AuditEvent

    dossier = advance(review_dossier(), "agreement_pending")
    actions = session.scalars(select(AuditEvent.action).where(AuditEvent.subject_type == "Dossier",
                                                              AuditEvent.subject_id == str(dossier.id))).all()
    for expected in ("commission.rapporteurs_assigned", "dossier.accept", "commission.report_filed",
                     "dossier.complete_evaluation", "dossier.schedule", "dossier.issue_opinion",
                     "dossier.decide"):
        assert expected in actions
    assert session.scalar(select(Opinion.value).where(Opinion.dossier_id == dossier.id)) == "favourable"


def test_dashboards(session, team, review_dossier, advance, clock):
    advance(review_dossier(), "opinion_issued")
    late = advance(review_dossier(), "under_evaluation")
    clock.shift(timedelta(days=61))
    stats = commission_dashboards.secretariat_dashboard(session)
    assert stats.counts["opinion_issued"] == 1 and stats.counts["under_evaluation"] == 1
    assert stats.review_days_median == 0 and stats.reviewed == 1
    assert [r.dossier for r in stats.overdue] == [late]
    rows = commission_dashboards.rapporteur_dashboard(session, team.rapporteurs[0])
    assert late in [r.dossier for r in rows]
    queue = commission_dashboards.queue(session)
    assert queue[0].dossier == late and queue[0].overdue


def test_percentile_is_nearest_rank():
    assert commission_dashboards._percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 0.9) == 9
    assert commission_dashboards._percentile([5], 0.9) == 5
    assert commission_dashboards._percentile([], 0.9) is None


def test_verdict_values_are_the_three_of_design():
    assert {v.value for v in Verdict} == {"compliant", "not_compliant", "reservation"}
    assert Role.CHAIR in commission_queries.VOTING_ROLES


def test_publishers_answer_resumes_the_clock_pushed_by_the_days_stopped(
        session, team, review_dossier, advance, clock):
    from catalogue.dossiers import services as dossiers

    dossier = advance(review_dossier(), "under_evaluation")
    due = dossier.review_due_on
    commission.request_information(session, dossier, actor=team.rapporteurs[0], questions="Hébergeur ?")
    clock.shift(timedelta(days=9))
    owner = commission_queries.publisher_members(session, dossier)[0]
    dossiers.answer_information(session, dossier, actor=owner, answer="OVHcloud, région Gravelines.")
    assert dossier.state == S.UNDER_EVALUATION and dossier.round == 2
    assert dossier.review_due_on == due + timedelta(days=9) and dossier.clock_stopped_on is None
    # The new round needs new reports: the first round's do not count.
    with pytest.raises(TransitionRefused, match="En attente du rapport"):
        commission.complete_evaluation(session, dossier, actor=team.secretariat)
