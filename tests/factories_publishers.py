"""Publisher-side factories, through the services: organisations, apps, dossiers.

- ``make_organisation(owner=None, verified=True, **fields)`` → a registered organisation
  (verified by a secretariat user against an uploaded registration extract by default).
- ``make_app_profile(organisation=None, actor=None, **fields)`` → an app with a full profile.
- ``make_dossier(app=None, kind="initial", actor=None)`` → a draft dossier (ENS 2026.1 in force).
- ``make_submitted_dossier(app=None, organisation=None, predicates=None)`` → a submitted
  dossier whose every applicable requirement is answered ``compliant`` with the evidence kinds
  it asks for, submitted by the owner.
- ``fill_answers(dossier, actor)`` → answer every applicable requirement (compliant + evidence).
"""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from sqlalchemy import select

from catalogue import db
from catalogue.accounts.models import Role, User
from catalogue.apps import services as apps
from catalogue.apps.models import App
from catalogue.clock import today
from catalogue.dossiers import evidence as evidence_files
from catalogue.dossiers import queries as dossier_queries
from catalogue.dossiers import services as dossiers
from catalogue.dossiers.models import AnswerStatus, Dossier, DossierKind
from catalogue.dossiers.samples import sample_pdf
from catalogue.frameworks.models import Framework, FrameworkStatus
from catalogue.publishers import services as publishers
from catalogue.publishers.models import MemberRole, Membership, Organisation
from tests.waves import SPEC_2026

_seq = itertools.count(1)


def valid_siren(seed: int) -> str:
    """A valid SIREN (8 digits + Luhn key) from a number."""
    body = f"{seed:08d}"[-8:]
    for key in range(10):
        candidate = body + str(key)
        from catalogue.publishers.identifiers import luhn_valid

        if luhn_valid(candidate):
            return candidate
    raise AssertionError("unreachable")


def ensure_framework_in_force(session: Any) -> Framework:
    """ENS 2026.1 imported and in force (as of the frozen or real date)."""
    from catalogue.frameworks.queries import framework_in_force
    from catalogue.frameworks.services import import_framework

    framework = framework_in_force(session)
    if framework is not None:
        return framework
    framework = session.scalar(select(Framework).where(Framework.code == "ENS",
                                                       Framework.version == "2026.1"))
    if framework is None:
        framework = import_framework(session, SPEC_2026).framework
    if framework.status != FrameworkStatus.IN_FORCE:
        from catalogue.frameworks.lifecycle import bring_into_force

        bring_into_force(session, max(today(), framework.effective_from))
    session.flush()
    return framework


def owner_of(session: Any, organisation: Organisation) -> User:
    return session.scalar(
        select(User).join(Membership, Membership.user_id == User.id)
        .where(Membership.organisation_id == organisation.id, Membership.role == MemberRole.OWNER)
        .order_by(Membership.id).limit(1)
    )


DEFAULT_PROFILE: dict[str, Any] = {
    "summary": "Carnet de suivi de la glycémie partagé avec l'équipe soignante.",
    "description": "## Fonctionnalités\n\n- relevés de glycémie\n- **alertes** personnalisées",
    "category": "chronic_disease",
    "audiences": ["chronic_patients"],
    "platforms": ["ios", "android"],
    "pricing": "free",
    "languages": ["fr"],
    "website_url": "https://exemple.fr",
    "privacy_policy_url": "https://exemple.fr/confidentialite",
    "accessibility_statement_url": "https://exemple.fr/accessibilite",
    "support_contact": "support@exemple.fr",
    "data_categories": ["measurements"],
    "hosting_provider": "Hébergeur Santé SAS",
    "hds_certified": True,
    "hds_certificate_ref": "HDS-2025-0042",
    "connected_services": ["mes_dmp"],
    "predicates": ["processes_health_data"],
}


@pytest.fixture
def make_organisation(app: Any, make_user: Any) -> Any:
    def factory(owner: User | None = None, *, verified: bool = True, secretariat: User | None = None,
                **fields: Any) -> Organisation:
        session = db.session
        n = next(_seq)
        owner = owner or make_user(display_name=f"Olivia Propriétaire {n}")
        values = {"legal_name": f"Éditeur Santé {n} SAS", "siren": valid_siren(41_000_000 + n * 7),
                  "address": "12 rue de la Santé", "postal_code": "75013", "city": "Paris",
                  "legal_representative": "Olivia Propriétaire",
                  "contact_email": owner.email, **fields}
        organisation = publishers.register_publisher(session, user=owner, **values)
        if verified:
            evidence_files.add_evidence(
                session, organisation, actor=owner, filename="kbis.pdf",
                data=sample_pdf(f"Extrait Kbis {organisation.siren}", [organisation.legal_name]),
                kind="registration_extract", title="Extrait Kbis",
            )
            secretariat = secretariat or make_user(roles=[Role.SECRETARIAT])
            publishers.verify_organisation(session, organisation, actor=secretariat)
        return organisation

    return factory


@pytest.fixture
def make_app_profile(app: Any, make_organisation: Any) -> Any:
    def factory(organisation: Organisation | None = None, actor: User | None = None,
                **fields: Any) -> App:
        session = db.session
        organisation = organisation or make_organisation()
        actor = actor or owner_of(session, organisation)
        n = next(_seq)
        values = {**DEFAULT_PROFILE, "name": f"Suivi Glycémie {n}", **fields}
        return apps.create_app_profile(session, organisation, actor=actor, **values)

    return factory


def fill_answers(session: Any, dossier: Dossier, actor: User) -> None:
    """Answer every applicable requirement ``compliant`` with one file per evidence kind: the
    files in one ``add_evidence_files`` call, the answers in one ``save_answers`` call."""
    requirements = dossier_queries.applicable_requirements(session, dossier)
    kinds = list(dict.fromkeys(kind for r in requirements for kind in r.evidence or []))
    uploads = [evidence_files.Upload(f"{kind}.pdf",
                                     sample_pdf(f"{kind} - dossier {dossier.id}", [dossier.app.name]),
                                     kind, kind.replace("_", " ").capitalize()) for kind in kinds]
    files = evidence_files.add_evidence_files(session, dossier.organisation, actor=actor, app=dossier.app,
                                              uploads=uploads)
    library = {kind: evidence.id for kind, evidence in zip(kinds, files, strict=True)}
    dossiers.save_answers(session, dossier, [dossiers.AnswerInput(
        r.code, AnswerStatus.COMPLIANT, f"{r.code} : mesure en place, voir pièce.",
        [library[kind] for kind in r.evidence or []]) for r in requirements], actor=actor)


@pytest.fixture
def make_dossier(app: Any, make_app_profile: Any) -> Any:
    def factory(app: App | None = None, *, kind: DossierKind | str = DossierKind.INITIAL,
                actor: User | None = None, **profile: Any) -> Dossier:
        session = db.session
        ensure_framework_in_force(session)
        app = app or make_app_profile(**profile)
        actor = actor or owner_of(session, app.organisation)
        return dossiers.open_dossier(session, app, actor=actor, kind=DossierKind(kind))

    return factory


@pytest.fixture
def make_submitted_dossier(app: Any, make_organisation: Any, make_app_profile: Any,
                           make_dossier: Any) -> Any:
    def factory(app: App | None = None, *, organisation: Organisation | None = None,
                predicates: list[str] | tuple[str, ...] | None = None, **profile: Any) -> Dossier:
        session = db.session
        if app is None:
            if predicates is not None:
                profile["predicates"] = list(predicates)
            app = make_app_profile(organisation=organisation, **profile)
        dossier = make_dossier(app)
        owner = owner_of(session, app.organisation)
        fill_answers(session, dossier, owner)
        dossiers.submit_dossier(session, dossier, actor=owner)
        return dossier

    return factory
