"""Demo part ``publishers``: the two demo publishers' organisations, apps and dossiers.

``editeur@demo.ens.fr`` and ``editeur2@demo.ens.fr`` (created by the accounts part)
each own a verified organisation with its registration extract, a second member,
several apps with full French profiles, logos and screenshots, an evidence
library, and dossiers in draft (partly answered) and submitted. Everything goes
through the services. Idempotent: the apps' slugs mark what was built.

``more_submitted_dossiers(session, count)`` gives the commission part extra
submitted dossiers on demand.
"""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.accounts import services as accounts
from catalogue.accounts.models import Role, User, UserRole
from catalogue.apps import services as apps
from catalogue.apps.models import App
from catalogue.clock import today
from catalogue.demo.cli import DEMO_PASSWORD
from catalogue.dossiers import evidence as evidence_files
from catalogue.dossiers import queries as dossier_queries
from catalogue.dossiers import services as dossiers
from catalogue.dossiers.models import AnswerStatus, Dossier
from catalogue.dossiers.samples import sample_pdf, sample_png
from catalogue.frameworks.lifecycle import bring_into_force
from catalogue.frameworks.queries import framework_in_force
from catalogue.frameworks.vocabulary import evidence_label
from catalogue.publishers import queries as publisher_queries
from catalogue.publishers import services as publishers
from catalogue.publishers.identifiers import luhn_valid
from catalogue.publishers.models import MemberRole, Membership, Organisation

SLUG_PREFIX = "demo-editeur-"

ORGANISATIONS = {
    "editeur@demo.ens.fr": {
        "legal_name": "Santé Connectée SAS", "siren_seed": 84_210_000, "address": "8 rue des Lilas",
        "postal_code": "69003", "city": "Lyon", "legal_representative": "Claire Martin, présidente",
        "contact_phone": "04 72 00 00 00", "colleague": ("lea.durand@demo.ens.fr", "Léa Durand"),
    },
    "editeur2@demo.ens.fr": {
        "legal_name": "Numérique & Soins SARL", "siren_seed": 84_210_013, "address": "21 allée Jean Jaurès",
        "postal_code": "31000", "city": "Toulouse", "legal_representative": "Karim Benali, gérant",
        "contact_phone": "05 61 00 00 00", "colleague": ("hugo.roux@demo.ens.fr", "Hugo Roux"),
    },
}

# (owner, slug suffix, profile, dossier state: None, "draft" or "submitted")
APPS: tuple[tuple[str, str, dict[str, Any], str | None], ...] = (
    ("editeur@demo.ens.fr", "glyco-carnet", {
        "name": "GlycoCarnet",
        "summary": "Carnet de glycémie connecté qui partage vos relevés et alertes avec votre équipe "
                   "soignante et votre espace santé.",
        "description": "## Pour qui ?\n\nLes personnes vivant avec un diabète de type 1 ou 2.\n\n"
                       "## Ce que fait l'application\n\n- relevés de glycémie manuels ou par capteur\n"
                       "- **alertes** d'hypoglycémie paramétrables\n- synthèse mensuelle envoyée dans "
                       "votre espace santé\n\nLes données sont hébergées en France chez un hébergeur "
                       "certifié HDS.",
        "category": "chronic_disease", "audiences": ["chronic_patients", "professionals"],
        "platforms": ["ios", "android", "web"], "pricing": "freemium",
        "price_text": "Option capteur : 3,90 € par mois", "languages": ["fr", "en"],
        "data_categories": ["measurements", "documents"], "connected_services": ["mes_dmp", "insi"],
        "hosting_provider": "OVHcloud Healthcare", "hds_certified": True,
        "hds_certificate_ref": "HDS-OVH-2024-17", "predicates": ["processes_health_data",
                                                                 "exchanges_documents"],
    }, "submitted"),
    ("editeur@demo.ens.fr", "pas-a-pas", {
        "name": "Pas à Pas Rééducation",
        "summary": "Programme de rééducation à domicile avec vidéos d'exercices et suivi de la "
                   "douleur, prescrit par votre kinésithérapeute.",
        "description": "Des **séances guidées** de 15 minutes, adaptées chaque semaine à vos progrès.",
        "category": "disability_autonomy", "audiences": ["patients", "older_people"],
        "platforms": ["ios", "android"], "pricing": "free", "languages": ["fr"],
        "data_categories": ["measurements", "calendar"], "connected_services": ["mes_dmp"],
        "hosting_provider": "Scaleway Santé", "hds_certified": True,
        "hds_certificate_ref": "HDS-SCW-2025-02", "predicates": ["processes_health_data"],
    }, "draft"),
    ("editeur@demo.ens.fr", "mamans-sereines", {
        "name": "Mamans Sereines",
        "summary": "Suivi de grossesse semaine par semaine : rendez-vous, examens recommandés et "
                   "conseils validés par des sages-femmes.",
        "description": "Un calendrier des **examens obligatoires** et des fiches conseils relues par "
                       "des sages-femmes.",
        "category": "pregnancy_parenthood", "audiences": ["parents"], "platforms": ["ios", "android", "web"],
        "pricing": "free", "languages": ["fr", "ar"], "data_categories": ["calendar", "documents"],
        "connected_services": ["mes_dmp"], "hosting_provider": "Claranet Santé", "hds_certified": True,
        "hds_certificate_ref": "HDS-CLA-2023-88", "predicates": ["processes_health_data"],
    }, None),
    ("editeur2@demo.ens.fr", "tension-plus", {
        "name": "Tension Plus",
        "summary": "Relevés de tension artérielle avec un tensiomètre connecté et rappels de "
                   "traitement, partagés avec votre médecin traitant.",
        "description": "Compatible avec les tensiomètres Bluetooth courants. Rappels de prise de "
                       "traitement et **graphique** hebdomadaire.",
        "category": "chronic_disease", "audiences": ["chronic_patients", "older_people"],
        "platforms": ["ios", "android", "connected_device"], "pricing": "paid",
        "price_text": "Abonnement 2,50 € par mois, tensiomètre non fourni", "languages": ["fr"],
        "data_categories": ["measurements", "medical_profile"], "connected_services": ["mes_dmp"],
        "hosting_provider": "Cegedim Cloud", "hds_certified": True, "hds_certificate_ref": "HDS-CEG-2025-04",
        "is_medical_device": True, "medical_device_class": "IIa", "predicates": ["processes_health_data"],
    }, "submitted"),
    ("editeur2@demo.ens.fr", "aidants-relais", {
        "name": "Aidants Relais",
        "summary": "Agenda partagé et messagerie pour coordonner les aidants d'un proche en perte "
                   "d'autonomie avec les professionnels du domicile.",
        "description": "Planning partagé des passages, **cahier de liaison** et messagerie sécurisée.",
        "category": "caregivers", "audiences": ["caregivers", "professionals"],
        "platforms": ["web", "android"],
        "pricing": "free", "languages": ["fr"], "data_categories": ["calendar", "messaging"],
        "connected_services": ["mssante", "pro_sante_connect"], "hosting_provider": "Worldline Santé",
        "hds_certified": True, "hds_certificate_ref": "HDS-WL-2024-31",
        "predicates": ["processes_health_data"],
    }, "draft"),
)


def _user(session: Session, email: str) -> User:
    user = accounts.find_user(session, email)
    if user is None:
        raise RuntimeError(f"demo account {email} missing: run the accounts part first")
    return user


def _secretariat(session: Session) -> User:
    user = session.scalar(select(User).join(UserRole, UserRole.user_id == User.id)
                          .where(UserRole.role == Role.SECRETARIAT).order_by(User.id).limit(1))
    if user is None:
        raise RuntimeError("no secretariat account: run the accounts part first")
    return user


def organisation_of(session: Session, owner: User) -> Organisation | None:
    return session.scalar(
        select(Organisation).join(Membership, Membership.organisation_id == Organisation.id)
        .where(Membership.user_id == owner.id, Membership.role == MemberRole.OWNER)
        .order_by(Organisation.id).limit(1))


def _siren(seed: int) -> str:
    body = f"{seed:08d}"
    return next(body + str(k) for k in range(10) if luhn_valid(body + str(k)))


def _organisation(session: Session, email: str, secretariat: User) -> Organisation:
    owner = _user(session, email)
    organisation = organisation_of(session, owner)
    spec = ORGANISATIONS[email]
    if organisation is None:
        organisation = publishers.register_publisher(
            session, user=owner, legal_name=spec["legal_name"], siren=_siren(spec["siren_seed"]),
            address=spec["address"], postal_code=spec["postal_code"], city=spec["city"],
            legal_representative=spec["legal_representative"], contact_phone=spec["contact_phone"])
    if organisation.status.value != "verified":
        evidence_files.add_evidence(session, organisation, actor=owner, filename="extrait-kbis.pdf",
                              data=sample_pdf(f"Extrait Kbis - SIREN {organisation.siren}",
                                              [organisation.legal_name, organisation.city]),
                              kind="registration_extract", title="Extrait Kbis")
        publishers.verify_organisation(session, organisation, actor=secretariat)
    colleague_email, colleague_name = spec["colleague"]
    colleague = accounts.find_user(session, colleague_email) or accounts.create_user(
        session, colleague_email, DEMO_PASSWORD, display_name=colleague_name, verified=True)
    if publisher_queries.member_role(session, organisation.id, colleague.id) is None:
        session.add(Membership(organisation_id=organisation.id, user_id=colleague.id, role=MemberRole.EDITOR))
        session.flush()
    return organisation


def answer_all(session: Session, dossier: Dossier, actor: User, *, stop_after: int | None = None) -> None:
    """Answer applicable requirements ``compliant`` with one generated PDF per evidence kind
    (all of them, or the first ``stop_after``), the files uploaded together."""
    library = {e.kind: e.id
               for e in dossier_queries.evidence_library(session, dossier.organisation, dossier.app)}
    requirements = dossier_queries.applicable_requirements(session, dossier)
    chosen = requirements[:stop_after] if stop_after is not None else requirements
    kinds = list(dict.fromkeys(k for r in chosen for k in r.evidence or [] if k not in library))
    uploads = [evidence_files.Upload(
        f"{kind}.pdf", sample_pdf(f"{kind.replace('_', ' ').capitalize()} - {dossier.app.name}",
                                  [dossier.organisation.legal_name, f"Version du {today():%d/%m/%Y}"]),
        kind, evidence_label(kind)) for kind in kinds]
    added = evidence_files.add_evidence_files(session, dossier.organisation, actor=actor, app=dossier.app,
                                              uploads=uploads)
    library.update((kind, evidence.id) for kind, evidence in zip(kinds, added, strict=True))
    dossiers.save_answers(session, dossier, [dossiers.AnswerInput(
        requirement.code, AnswerStatus.COMPLIANT,
        f"{requirement.title} : mesure en place et documentée dans la pièce jointe.",
        [library[kind] for kind in requirement.evidence or []]) for requirement in chosen], actor=actor)


def _images(session: Session, app: App, owner: User, colour: tuple[int, int, int]) -> None:
    apps.set_logo(session, app, actor=owner, data=sample_png(app.name[:2].upper(), size=(256, 256),
                                                             colour=colour))
    for label in ("Accueil", "Suivi"):
        apps.add_screenshot(session, app, actor=owner, data=sample_png(f"{app.name} - {label}",
                                                                       colour=colour),
                            alt_text=f"Écran « {label} » de {app.name}")


_COLOURS = itertools.cycle([(11, 93, 86), (18, 86, 140), (120, 40, 110), (150, 70, 20), (40, 100, 40)])


def seed(session: Session, options: Any) -> list[str]:
    """Build the demo publishers once; return the lines to print."""
    if framework_in_force(session) is None:
        bring_into_force(session, today())
    secretariat = _secretariat(session)
    organisations = {email: _organisation(session, email, secretariat) for email in ORGANISATIONS}
    built = 0
    for email, suffix, profile, state in APPS:
        slug = SLUG_PREFIX + suffix
        if session.scalar(select(App.id).where(App.slug == slug)) is not None:
            continue
        owner = _user(session, email)
        app = apps.create_app_profile(session, organisations[email], actor=owner, slug=slug,
                                      website_url=f"https://{suffix}.exemple.fr",
                                      privacy_policy_url=f"https://{suffix}.exemple.fr/confidentialite",
                                      accessibility_statement_url=f"https://{suffix}.exemple.fr/accessibilite",
                                      support_contact=f"support@{suffix}.exemple.fr", **profile)
        _images(session, app, owner, next(_COLOURS))
        built += 1
        if state is None or framework_in_force(session) is None:
            continue
        dossier = dossiers.open_dossier(session, app, actor=owner)
        if state == "draft":
            answer_all(session, dossier, owner, stop_after=6)
        else:
            answer_all(session, dossier, owner)
            dossiers.submit_dossier(session, dossier, actor=owner)
    lines = ["", "Éditeurs :"]
    for email, organisation in organisations.items():
        count = len(apps.apps_of(session, organisation))
        lines.append(f"  {organisation.legal_name} (SIREN {organisation.siren}), propriétaire {email}, "
                     f"{count} application(s)")
    if not built:
        lines.append("  (déjà en place)")
    return lines


def more_submitted_dossiers(session: Session, count: int, *, email: str = "editeur2@demo.ens.fr",
                            name: str = "Application de démonstration") -> list[Dossier]:
    """``count`` new apps of the publisher, each with a fully answered, submitted dossier
    (for the commission part's scenarios)."""
    owner = _user(session, email)
    organisation = organisation_of(session, owner) or _organisation(session, email, _secretariat(session))
    made = []
    for _ in range(count):
        n = 1 + len(apps.apps_of(session, organisation))
        app = apps.create_app_profile(
            session, organisation, actor=owner, name=f"{name} {n}",
            summary="Service de suivi de santé proposé pour le référencement.",
            description="Application de démonstration.", category="prevention",
            audiences=["general_public"], platforms=["web"], languages=["fr"], pricing="free",
            data_categories=["documents"], connected_services=["mes_dmp"],
            hosting_provider="Hébergeur Santé Certifié SAS", hds_certified=True,
            hds_certificate_ref="HDS-DEMO-2025", predicates=["processes_health_data"])
        dossier = dossiers.open_dossier(session, app, actor=owner)
        answer_all(session, dossier, owner)
        dossiers.submit_dossier(session, dossier, actor=owner)
        made.append(dossier)
    return made
