"""A small world for the security tests, built through the domains' factories and services.

Two verified organisations (A and B), each with an owner; in A: a draft dossier, a
dossier under evaluation (two rapporteurs assigned), a dossier on the agenda of a planned
session, a published listing (its own dossier walked to ``referenced``), an evidence file,
a screenshot, a pending invitation and an editor; a patient with a consent and a report on
the listing; a commission member who declared an interest in A. Everything is committed
into the test's outer transaction (rolled back at the end), and only ids are kept, since
objects detach after each request of the test client.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from catalogue import db
from catalogue.accounts.models import Role, User
from catalogue.apps import services as apps
from catalogue.clock import now
from catalogue.commission import services as commission
from catalogue.commission import sessions as commission_sessions
from catalogue.commission.models import AgendaItem
from catalogue.consents import services as consents
from catalogue.dossiers import evidence as evidence_files
from catalogue.dossiers.models import Answer, Dossier, answer_evidence
from catalogue.dossiers.samples import sample_pdf, sample_png
from catalogue.listings import services as listings
from catalogue.notifications.models import Notification, OutboxMessage
from catalogue.publishers import services as publishers
from catalogue.publishers.models import MemberRole, Membership

ROLES = (
    "anonymous", "patient", "owner", "other_owner", "secretariat", "rapporteur",
    "rapporteur_other", "member", "member_conflicted", "chair", "decision_maker", "admin",
)


@dataclass
class World:
    users: dict[str, int] = field(default_factory=dict)
    ids: dict[str, Any] = field(default_factory=dict)
    logins: dict[str, tuple[str, bool]] = field(default_factory=dict)

    def user(self, role: str) -> User | None:
        return None if role == "anonymous" else db.session.get(User, self.users[role])

    def client(self, app: Any, role: str) -> Any:
        """A fresh test client signed in as ``role`` (second factor passed where needed)."""
        client = app.test_client()
        if role != "anonymous":
            user_id, mfa = self.logins[role]
            with client.session_transaction() as sess:
                sess["_user_id"] = user_id
                sess["_fresh"] = True
                sess["mfa"] = mfa
        return client


def build_world(request: Any) -> World:
    """Build the world through the factories (see the module docstring)."""
    from tests.factories_publishers import owner_of

    fx = request.getfixturevalue
    make_user, make_organisation = fx("make_user"), fx("make_organisation")
    make_app_profile, make_dossier = fx("make_app_profile"), fx("make_dossier")
    make_submitted_dossier, make_listing, advance = (
        fx("make_submitted_dossier"), fx("make_listing"), fx("advance"))
    fx("ens_waves")  # both waves: 2026.1 in force, 2027.1 published
    team = fx("team")
    session = db.session
    world = World()

    org_a = make_organisation(secretariat=team.secretariat)
    org_b = make_organisation(secretariat=team.secretariat)
    owner_a, owner_b = owner_of(session, org_a), owner_of(session, org_b)
    listing = make_listing(organisation=org_a)
    app_a = make_app_profile(organisation=org_a)
    other_dossier = make_dossier(make_app_profile(organisation=org_b))
    draft = make_dossier(app_a)
    evaluation = make_submitted_dossier(organisation=org_a)
    advance(evaluation, "under_evaluation")
    scheduled = make_submitted_dossier(organisation=org_a)
    advance(scheduled, "scheduled")
    item = session.query(AgendaItem).filter_by(dossier_id=scheduled.id).one()

    evidence = evidence_files.add_evidence(session, org_a, actor=owner_a, app=app_a, filename="audit.pdf",
                                     data=sample_pdf("Audit de sécurité", ["Rapport"]),
                                     kind="security_audit", title="Audit de sécurité")
    screenshot = apps.add_screenshot(session, app_a, actor=owner_a, data=sample_png("Accueil"),
                                     alt_text="Écran d'accueil")
    editor = make_user(display_name="Éric Éditeur")
    membership = Membership(organisation_id=org_a.id, user_id=editor.id, role=MemberRole.EDITOR)
    session.add(membership)
    session.flush()
    invitation = publishers.invite_member(session, org_a, actor=owner_a, email="invitee@example.org",
                                          role=MemberRole.EDITOR,
                                          secret_key=fx("app").config["SECRET_KEY"])

    patient = make_user(roles=[Role.PATIENT], display_name="Paul Patient")
    listing = session.get(type(listing), listing.id)
    consent = consents.grant_consent(session, listing, list(listing.app.data_categories or [])[:1]
                                     or ["measurements"], actor=patient)
    report = listings.create_report(session, listing, actor=patient, kind="other",
                                    text="L'application ne se synchronise plus depuis hier.")
    conflicted = make_user(roles=[Role.MEMBER], display_name="Marc Conflit")
    declaration = commission.declare_interest(session, actor=conflicted, organisation_id=org_a.id,
                                              nature="Ancien salarié de l'éditeur.",
                                              started_on=date(2024, 1, 1))
    # A logo on the listed app (public image) and the minutes of a closed session.
    listed_app = session.get(type(app_a), listing.app_id)
    apps.set_logo(session, listed_app, actor=owner_a, data=sample_png("Logo", (128, 128)))
    closed = session.get(AgendaItem, session.scalar(
        select(AgendaItem.id).where(AgendaItem.dossier_id == _dossier_of(session, listing.app_id)))).session
    commission_sessions.close_session(session, closed, actor=team.chair)
    filed_evidence = session.scalar(
        select(answer_evidence.c.evidence_id).join(Answer, Answer.id == answer_evidence.c.answer_id)
        .where(Answer.dossier_id == evaluation.id).limit(1))
    admin = make_user(roles=[Role.ADMIN], display_name="Alice Admin")
    notification = session.query(Notification).filter_by(user_id=patient.id).first()
    if notification is None:
        notification = Notification(user_id=patient.id, message="test", title="Bienvenue")
        session.add(notification)
        session.flush()

    world.users = {
        "patient": patient.id, "owner": owner_a.id, "other_owner": owner_b.id,
        "secretariat": team.secretariat.id, "rapporteur": team.rapporteurs[0].id,
        "rapporteur_other": team.rapporteurs[2].id, "member": team.members[0].id,
        "member_conflicted": conflicted.id, "chair": team.chair.id,
        "decision_maker": team.decision_maker.id, "admin": admin.id,
    }
    for role, user_id in world.users.items():
        user = session.get(User, user_id)
        world.logins[role] = (user.get_id(), bool(user.needs_second_factor))
    world.ids = {
        "org_a": org_a.id, "org_b": org_b.id, "app_a": app_a.id, "listed_app": listing.app_id,
        "slug": listing.app.slug, "listing": listing.id, "draft": draft.id,
        "evaluation": evaluation.id, "scheduled": scheduled.id,
        "session": item.session_id, "item": item.id, "evidence": filed_evidence,
        "evidence_unfiled": evidence.id,
        "closed_session": closed.id, "other_dossier": other_dossier.id,
        "screenshot": screenshot.id, "membership": membership.id, "invitation": invitation.id,
        "consent": consent.id, "report": report.id, "declaration": declaration.id,
        "notification": notification.id,
        "outbox": session.scalar(select(OutboxMessage.id).order_by(OutboxMessage.id).limit(1)),
        "user_detail": owner_a.id,
        "framework_code": "ENS", "framework_version": "2026.1",
        "referenced": session.get(Dossier, _dossier_of(session, listing.app_id)).id,
        "end": now() + timedelta(days=1),
    }
    db.commit()
    return world


def _dossier_of(session: Any, app_id: int) -> int:
    return session.scalar(select(Dossier.id).where(Dossier.app_id == app_id).order_by(Dossier.id.desc()))
