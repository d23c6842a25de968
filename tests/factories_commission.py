"""Commission factories: the commission's members and dossiers taken through the services.

``review_dossier`` builds a submitted dossier. The publisher side's own factory
(``make_submitted_dossier`` in ``tests/factories_publishers.py``) is used when it
exists; otherwise the dossier is built here with the publishers' and frameworks'
services and the rows the publisher's submission would have written (answers,
reference), since the dossiers services are not there yet.
``advance(dossier, state)`` then walks it through the commission's services.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from catalogue import db
from catalogue.accounts.models import Role, User
from catalogue.clock import now, today
from catalogue.commission import services as commission
from catalogue.commission import sessions as commission_sessions
from catalogue.commission.models import CommissionSession, Verdict
from catalogue.dossiers import queries as dossier_queries
from catalogue.dossiers.models import Answer, AnswerStatus, Dossier, DossierState
from catalogue.frameworks.models import Framework
from tests.waves import SPEC_2026

S = DossierState
# The publisher side's factory is preferred once it is stable in the shared checkout.
USE_PUBLISHER_FACTORY = True
_siren = itertools.count(100)


def luhn_siren(seed: int) -> str:
    """A valid SIREN (8 digits + Luhn check digit)."""
    body = f"{seed:08d}"[-8:]
    total = 0
    for i, ch in enumerate(reversed(body + "0")):
        d = int(ch)
        if i % 2 == 1:
            d *= 2
            d -= 9 if d > 9 else 0
        total += d
    return body + str((10 - total % 10) % 10)


@dataclass
class Team:
    secretariat: User
    rapporteurs: list[User]
    members: list[User]
    chair: User
    decision_maker: User

    @property
    def voters(self) -> list[User]:
        return [*self.members, self.chair]


@pytest.fixture
def team(make_user: Any) -> Team:
    """A commission: secretariat, three rapporteurs, four members, a chair, a decision maker."""
    return Team(
        secretariat=make_user(roles=[Role.SECRETARIAT], display_name="Sophie Secrétariat"),
        rapporteurs=[make_user(roles=[Role.RAPPORTEUR], display_name=f"Rapporteur {i}") for i in (1, 2, 3)],
        members=[make_user(roles=[Role.MEMBER], display_name=f"Membre {i}") for i in (1, 2, 3, 4)],
        chair=make_user(roles=[Role.CHAIR, Role.MEMBER], display_name="Paule Présidente"),
        decision_maker=make_user(roles=[Role.DECISION_MAKER], display_name="Denis Décideur"),
    )


def _framework(session: Any) -> Framework:
    existing = session.scalar(select(Framework).where(Framework.code == "ENS", Framework.version == "2026.1"))
    if existing is not None:
        return existing
    from catalogue.frameworks.services import import_framework

    return import_framework(session, SPEC_2026).framework


@pytest.fixture
def review_dossier(app: Any, make_user: Any, request: pytest.FixtureRequest) -> Any:
    """``review_dossier(owner=None, organisation=None)`` → a submitted dossier, built by the
    publisher side's ``make_submitted_dossier`` when it exists."""
    owned = None
    if USE_PUBLISHER_FACTORY:
        try:
            owned = request.getfixturevalue("make_submitted_dossier")
            make_organisation = request.getfixturevalue("make_organisation")
        except pytest.FixtureLookupError:
            owned = None

    def factory(owner: User | None = None, organisation: Any = None, name: str = "Suivi Diabète",
                predicates: tuple[str, ...] = ("processes_health_data",)) -> Dossier:
        if owned is not None:
            if organisation is None:
                organisation = make_organisation(owner)
            return owned(organisation=organisation, predicates=predicates, name=f"{name} {next(_siren)}")
        from catalogue.apps.models import App
        from catalogue.publishers import services as publishers

        session = db.session
        if organisation is None:
            owner = owner or make_user(display_name="Éléonore Éditrice")
            organisation = publishers.register_publisher(
                session, user=owner, legal_name=f"Éditeur {next(_siren)} SAS",
                siren=luhn_siren(73_000_000 + next(_siren)), city="Lyon", postal_code="69001",
            )
        framework = _framework(session)
        n = next(_siren)
        app_row = App(organisation_id=organisation.id, slug=f"app-{n}", name=f"{name} {n}",
                      category="chronic_disease", data_categories=["health_measurements"],
                      predicates=list(predicates))
        session.add(app_row)
        session.flush()
        dossier = Dossier(app_id=app_row.id, organisation_id=organisation.id, framework_id=framework.id,
                          profile_snapshot={"predicates": list(predicates),
                                            "data_categories": ["health_measurements"]},
                          state=S.SUBMITTED, reference=f"ENS-2026-{n:05d}", submitted_at=now())
        session.add(dossier)
        session.flush()
        for requirement in dossier_queries.applicable_requirements(session, dossier):
            session.add(Answer(dossier_id=dossier.id, requirement_id=requirement.id, round=1,
                               status=AnswerStatus.COMPLIANT, justification="Conforme, voir pièces."))
        session.flush()
        return dossier

    return factory


def full_report(session: Any, dossier: Dossier, rapporteur: User, *,
                opinion: str = "favourable", verdict: Verdict = Verdict.COMPLIANT) -> Any:
    """File a complete report (a verdict on every applicable requirement)."""
    assessments = {
        r.id: {"verdict": verdict.value, "public_comment": "Pièces probantes examinées.",
               "internal_comment": ""}
        for r in dossier_queries.applicable_requirements(session, dossier)
    }
    return commission.file_report(session, dossier, actor=rapporteur, assessments=assessments,
                                  proposed_opinion=opinion, summary="Dossier solide.", submit=True)


@pytest.fixture
def advance(team: Team) -> Any:
    """``advance(dossier, state, **options)``: walk a submitted dossier to ``state``
    through the commission's services. Options: ``votes`` (list of choices, one per
    voter), ``reservations``, ``outcome``."""

    def walk(dossier: Dossier, state: str, *, votes: list[str] | None = None,
             reservations: str = "", outcome: str = "referenced") -> Dossier:
        session = db.session
        target = S(state)
        if target == S.SUBMITTED:
            return dossier
        if target == S.INCOMPLETE:
            return commission.declare_incomplete(
                session, dossier, actor=team.secretariat,
                missing_items=[{"requirement_code": None, "field": "evidence",
                                "message": "L'analyse d'impact est illisible."}])
        r1, r2 = team.rapporteurs[:2]
        commission.assign_rapporteurs(session, dossier, [r1.id, r2.id], actor=team.secretariat,
                                      override_reason="Compétences en sécurité.")
        commission.accept_dossier(session, dossier, actor=team.secretariat)
        if target == S.UNDER_EVALUATION:
            return dossier
        if target in (S.INFORMATION_REQUESTED, S.LAPSED):
            commission.request_information(session, dossier, actor=r1,
                                           questions="Précisez l'hébergeur des sauvegardes.")
            if target == S.LAPSED:
                from catalogue.dossiers.lifecycle import DOSSIER_LIFECYCLE
                from workflows import engine

                engine.fire(session, DOSSIER_LIFECYCLE, dossier, "lapse", None,
                            on=today() + timedelta(days=60))
            return dossier
        full_report(session, dossier, r1)
        full_report(session, dossier, r2)
        commission.complete_evaluation(session, dossier, actor=team.secretariat)
        if target == S.READY_FOR_COMMISSION:
            return dossier
        planned = commission_sessions.plan_session(session, actor=team.secretariat, title="Séance de test",
                                          scheduled_at=now() + timedelta(days=1),
                                          dossier_ids=[dossier.id])
        if target == S.SCHEDULED:
            return dossier
        open_with_attendance(planned, team)
        item = planned.items[0]
        for voter, choice in zip(team.voters, votes or ["favourable"] * 4, strict=False):
            commission_sessions.cast_vote(session, item, actor=voter, choice=choice)
        commission_sessions.issue_opinion(session, item, actor=team.chair, reservations=reservations)
        if target == S.OPINION_ISSUED:
            return dossier
        commission.decide(session, dossier, actor=team.decision_maker, outcome=outcome,
                          motivation="Au vu de l'avis de la commission.",
                          reasons=[] if outcome == "referenced" else
                          [{"requirement_code":
                                dossier_queries.applicable_requirements(session, dossier)[0].code,
                            "reason": "Exigence non satisfaite."}])
        return dossier

    return walk


def open_with_attendance(commission_session: CommissionSession, team: Team,
                         present: list[User] | None = None) -> CommissionSession:
    session = db.session
    commission_sessions.open_session(session, commission_session, actor=team.chair)
    commission_sessions.record_attendance(session, commission_session, actor=team.chair,
                                 present_ids=[u.id for u in (present or team.voters)])
    return commission_session
