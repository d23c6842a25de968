"""``tick``: lapse, reminders once per deadline, idempotence (frozen clock)."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from sqlalchemy import func, select

from catalogue.clock import today
from catalogue.commission import queries as commission_queries
from catalogue.commission import services as commission
from catalogue.commission.models import ReminderSent
from catalogue.dossiers.models import DossierState
from catalogue.notifications.models import Notification
from catalogue.schedule import tick


def _reminders(session, kind):
    return session.scalar(select(func.count()).select_from(Notification).where(
        Notification.message == "commission_reminder", Notification.body.contains(kind)))


def test_unanswered_request_lapses_after_its_due_date_once(session, team, review_dossier, advance, clock):
    dossier = advance(review_dossier(), "under_evaluation")
    commission.request_information(session, dossier, actor=team.secretariat, questions="Hébergeur ?")
    clock.shift(timedelta(days=30))
    assert tick(session, today()).lapsed == 0  # due today: still answerable
    assert dossier.state == DossierState.INFORMATION_REQUESTED
    clock.shift(timedelta(days=1))
    assert tick(session, today()).lapsed == 1
    assert dossier.state == DossierState.LAPSED and dossier.closed_at is not None
    assert tick(session, today()).lapsed == 0


def test_reminders_seven_days_before_each_deadline_sent_once(session, team, review_dossier, advance, clock):
    advance(review_dossier(), "under_evaluation")
    # Nothing due within 7 days yet.
    assert tick(session, today()).reminders == 0
    clock.shift(timedelta(days=60 - 7))
    result = tick(session, today())
    assert result.reminders == 1
    rows = session.scalars(select(Notification).where(Notification.message == "commission_reminder")).all()
    assert {n.user_id for n in rows} == {r.id for r in team.rapporteurs[:2]}
    assert "Votre rapport" in rows[0].body
    assert tick(session, today()).reminders == 0
    clock.shift(timedelta(days=3))
    assert tick(session, today()).reminders == 0
    assert session.scalar(select(func.count()).select_from(ReminderSent)) == 1


def test_rapporteur_who_filed_is_not_reminded(session, team, review_dossier, advance, clock):
    from tests.factories_commission import full_report

    dossier = advance(review_dossier(), "under_evaluation")
    full_report(session, dossier, team.rapporteurs[0])
    clock.shift(timedelta(days=55))
    tick(session, today())
    rows = session.scalars(select(Notification.user_id)
                           .where(Notification.message == "commission_reminder")).all()
    assert rows == [team.rapporteurs[1].id]


def test_publisher_is_reminded_before_the_answer_is_due(session, team, review_dossier, advance, clock):
    dossier = advance(review_dossier(), "information_requested")
    clock.shift(timedelta(days=23))
    assert tick(session, today()).reminders == 1
    owners = {u.id for u in commission_queries.publisher_members(session, dossier)}
    rows = session.scalars(select(Notification).where(Notification.message == "commission_reminder")).all()
    assert {n.user_id for n in rows} == owners and "caduc" in rows[0].body
    assert tick(session, today()).reminders == 0


def test_pushed_deadline_gets_its_own_reminder(session, team, review_dossier, advance, clock):
    dossier = advance(review_dossier(), "under_evaluation")
    clock.shift(timedelta(days=53))
    assert tick(session, today()).reminders == 1
    dossier.review_due_on = dossier.review_due_on + timedelta(days=10)
    clock.shift(timedelta(days=10))
    assert tick(session, today()).reminders == 1


def test_tick_reports_what_it_skipped_or_ran(session):
    result = tick(session, today())
    assert result.lapsed == 0 and "caducs : 0" in result.summary()


def test_listing_owner_reminded_before_expiry_then_listing_expires(session, team, review_dossier, advance,
                                                                    clock):
    from catalogue.dossiers import services as dossiers
    from catalogue.listings.models import Listing, ListingState

    dossier = advance(review_dossier(), "agreement_pending")
    owner = commission_queries.publisher_members(session, dossier)[0]
    dossiers.sign_agreement(session, dossier, actor=owner)
    listing = session.scalar(select(Listing).where(Listing.app_id == dossier.app_id))
    clock.move_to(datetime.combine(listing.valid_until - timedelta(days=7), time(9), tzinfo=UTC))
    result = tick(session, today())
    assert result.reminders == 1 and result.expired == 0
    note = session.scalar(select(Notification).where(Notification.message == "commission_reminder"))
    assert note.user_id == owner.id and "renouvellement" in note.body
    assert tick(session, today()).reminders == 0
    clock.move_to(datetime.combine(listing.valid_until + timedelta(days=1), time(9), tzinfo=UTC))
    assert tick(session, today()).expired == 1
    assert listing.state == ListingState.EXPIRED
