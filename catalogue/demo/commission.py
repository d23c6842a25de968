"""Demo part ``commission``: real dossiers taken through the services into every state.

Two publishers (``editeur@`` and ``editeur2@``), one app per scenario, each dossier
driven by the same service calls the pages make: admissibility, rapporteurs,
information requests, reports, a closed session with votes, opinions of every
kind and its minutes, a planned session, decisions, signed agreements, and
listings suspended and delisted through the listings services. ``membre2``
declared an interest in editeur2's organisation, so the minutes show them not
taking part. Idempotent: the apps' slugs mark what was already built.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.accounts.models import User
from catalogue.apps import services as apps
from catalogue.apps.models import App
from catalogue.clock import now, today
from catalogue.commission import queries as commission_queries
from catalogue.commission import services as commission
from catalogue.commission import sessions as commission_sessions
from catalogue.commission.models import InterestDeclaration
from catalogue.demo.publishers import answer_all
from catalogue.dossiers import evidence as evidence_files
from catalogue.dossiers import queries as dossier_queries
from catalogue.dossiers import services as dossiers
from catalogue.dossiers.lifecycle import DOSSIER_LIFECYCLE
from catalogue.dossiers.models import Dossier
from catalogue.dossiers.samples import sample_pdf
from catalogue.frameworks.lifecycle import bring_into_force
from catalogue.frameworks.queries import framework_in_force
from catalogue.listings import services as listings
from catalogue.listings.models import Listing
from catalogue.publishers import services as publishers
from catalogue.publishers.identifiers import luhn_valid
from catalogue.publishers.models import MemberRole, Membership, Organisation
from workflows import engine

SLUG_PREFIX = "demo-commission-"

# (slug suffix, app name, owner e-mail, final state) — one app per scenario.
SCENARIOS: tuple[tuple[str, str, str, str], ...] = (
    ("brouillon", "Carnet Tension", "editeur@demo.ens.fr", "draft"),
    ("depose", "Allergo Suivi", "editeur2@demo.ens.fr", "submitted"),
    ("incomplet", "Sommeil Serein", "editeur@demo.ens.fr", "incomplete"),
    ("instruction", "Asthme Quotidien", "editeur2@demo.ens.fr", "under_evaluation"),
    ("complements", "Grossesse Sereine", "editeur@demo.ens.fr", "information_requested"),
    ("pret", "Rééduc Genou", "editeur2@demo.ens.fr", "ready_for_commission"),
    ("inscrit", "Migraine Journal", "editeur@demo.ens.fr", "scheduled"),
    ("avis", "Cardio Veille", "editeur@demo.ens.fr", "opinion_issued"),
    ("convention", "Diabète Partage", "editeur2@demo.ens.fr", "agreement_pending"),
    ("reference", "Ordonnance Claire", "editeur@demo.ens.fr", "referenced"),
    ("refuse", "Humeur Express", "editeur2@demo.ens.fr", "refused"),
    ("caduc", "Peau Nette", "editeur@demo.ens.fr", "lapsed"),
    ("retire", "Vaccins Famille", "editeur2@demo.ens.fr", "withdrawn"),
    ("suspendu", "Oxymètre Maison", "editeur@demo.ens.fr", "suspended"),
    ("dereference", "Régime Facile", "editeur2@demo.ens.fr", "delisted"),
)

PROFILE: dict[str, Any] = {
    "category": "chronic_disease", "audiences": ["chronic_patients"], "platforms": ["ios", "android", "web"],
    "pricing": "free", "languages": ["fr"], "website_url": "https://exemple-editeur.fr",
    "privacy_policy_url": "https://exemple-editeur.fr/confidentialite",
    "accessibility_statement_url": "https://exemple-editeur.fr/accessibilite",
    "support_contact": "support@exemple-editeur.fr", "data_categories": ["measurements"],
    "hosting_provider": "Hébergeur Santé Certifié SAS", "hds_certified": True,
    "hds_certificate_ref": "HDS-2025-0107", "connected_services": ["mes_dmp"],
    "predicates": ["processes_health_data"],
}


def _user(session: Session, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        raise RuntimeError(f"demo account {email} missing: run the accounts part first")
    return user


def _organisation(session: Session, owner: User, secretariat: User, n: int) -> Organisation:
    """The owner's organisation (made by the publishers part; created here when absent)."""
    organisation = session.scalar(
        select(Organisation).join(Membership, Membership.organisation_id == Organisation.id)
        .where(Membership.user_id == owner.id, Membership.role == MemberRole.OWNER)
        .order_by(Organisation.id).limit(1))
    if organisation is not None:
        return organisation

    body = f"{84_210_000 + n * 13:08d}"
    siren = next(body + str(k) for k in range(10) if luhn_valid(body + str(k)))
    organisation = publishers.register_publisher(
        session, user=owner, legal_name=("Santé Connectée SAS", "Numérique & Soins SARL")[n % 2],
        siren=siren, address="8 rue des Lilas", postal_code=("69003", "31000")[n % 2],
        city=("Lyon", "Toulouse")[n % 2], legal_representative=owner.display_name)
    evidence_files.add_evidence(session, organisation, actor=owner, filename="kbis.pdf",
                          data=sample_pdf(f"Extrait Kbis {siren}", [organisation.legal_name]),
                          kind="registration_extract", title="Extrait Kbis")
    publishers.verify_organisation(session, organisation, actor=secretariat)
    return organisation


def _report(session: Session, dossier: Dossier, rapporteur: User, opinion: str, *, file: bool = True) -> None:
    requirements = dossier_queries.applicable_requirements(session, dossier)
    assessments = {}
    for i, r in enumerate(requirements):
        verdict = "reservation" if (opinion != "favourable" and i == 0) else "compliant"
        assessments[r.id] = {
            "verdict": verdict,
            "public_comment": ("Préciser la durée de conservation des sauvegardes."
                               if verdict == "reservation" else "Pièces probantes et cohérentes."),
            "internal_comment": "Vérifié sur la pièce jointe." if i % 3 == 0 else ""}
    commission.file_report(session, dossier, actor=rapporteur, assessments=assessments,
                           proposed_opinion=opinion, summary="Dossier de bonne qualité dans l'ensemble.",
                           submit=file)


def seed(session: Session, options: Any) -> list[str]:
    """Build every scenario once; return the lines to print."""
    done = session.scalar(select(App.id).where(App.slug.like(SLUG_PREFIX + "%")).limit(1))
    if done is not None:
        return ["Commission : scénarios déjà en place (dossiers dans chaque état, séances)."]

    if framework_in_force(session) is None:
        bring_into_force(session, today())
    if framework_in_force(session) is None:
        return ["Commission : aucun référentiel en vigueur, aucun dossier créé."]

    secretariat = _user(session, "secretariat@demo.ens.fr")
    r1, r2, r3 = (_user(session, f"rapporteur{i}@demo.ens.fr") for i in (1, 2, 3))
    members = [_user(session, f"membre{i}@demo.ens.fr") for i in range(1, 6)]
    chair = _user(session, "president@demo.ens.fr")
    decider = _user(session, "decideur@demo.ens.fr")
    owners = {email: _user(session, email) for email in ("editeur@demo.ens.fr", "editeur2@demo.ens.fr")}
    organisations = {email: _organisation(session, owner, secretariat, i)
                     for i, (email, owner) in enumerate(owners.items())}

    # membre2 has a link with editeur2's organisation; rapporteur3 with editeur's.
    declared = select(InterestDeclaration.id).where(InterestDeclaration.user_id == members[1].id)
    if session.scalar(declared) is None:
        commission.declare_interest(session, actor=members[1],
                                    organisation_id=organisations["editeur2@demo.ens.fr"].id,
                                    nature="Ancienne salariée de l'éditeur (2021-2024).",
                                    started_on=today() - timedelta(days=900))
        commission.declare_interest(session, actor=r3,
                                    organisation_id=organisations["editeur@demo.ens.fr"].id,
                                    nature="Mission de conseil rémunérée en 2025.",
                                    started_on=today() - timedelta(days=200),
                                    ended_on=today() + timedelta(days=165))

    built: dict[str, Dossier] = {}
    for suffix, name, email, _state in SCENARIOS:
        owner = owners[email]
        app = apps.create_app_profile(
            session, organisations[email], actor=owner, name=name,
            summary=f"{name} : suivi au quotidien, partagé avec l'équipe soignante.",
            description=f"## {name}\n\nUn service pour suivre sa santé au quotidien et partager ses "
                        "relevés avec son équipe soignante, depuis son espace santé.", **PROFILE)
        app.slug = SLUG_PREFIX + suffix
        dossier = dossiers.open_dossier(session, app, actor=owner)
        built[suffix] = dossier
        if suffix == "brouillon":
            continue
        answer_all(session, dossier, owner)
        dossiers.submit_dossier(session, dossier, actor=owner)

    def admit(d: Dossier, override: bool = False) -> None:
        proposal = [u.id for u in commission.propose_rapporteurs(session, d)]
        if override:
            commission.assign_rapporteurs(session, d, [r1.id, r2.id], actor=secretariat,
                                          override_reason="Expertise en dispositifs connectés requise.")
        else:
            commission.assign_rapporteurs(session, d, proposal, actor=secretariat)
        commission.accept_dossier(session, d, actor=secretariat)

    def reports(d: Dossier, opinion: str = "favourable") -> None:
        for assignment in commission_queries.active_assignments(session, d):
            _report(session, d, assignment.rapporteur, opinion)
        commission.complete_evaluation(session, d, actor=secretariat)

    first_item = dossier_queries.applicable_requirements(session, built["incomplet"])[0].code
    commission.declare_incomplete(session, built["incomplet"], actor=secretariat, missing_items=[
        {"requirement_code": first_item, "field": "evidence",
         "message": "La pièce jointe est illisible : déposez le document au format PDF."},
        {"requirement_code": None, "field": "dossier",
         "message": "Le questionnaire d'orientation ne mentionne pas l'hébergeur des sauvegardes."}])

    admit(built["instruction"])
    first = commission_queries.active_assignments(session, built["instruction"])[0].rapporteur
    _report(session, built["instruction"], first, "favourable", file=False)

    admit(built["complements"])
    commission.request_information(session, built["complements"], actor=r1,
                                   questions="Précisez le lieu d'hébergement des sauvegardes (HEB-02) "
                                             "et leur durée de conservation (HEB-03).")
    admit(built["caduc"])
    commission.request_information(session, built["caduc"], actor=secretariat,
                                   questions="Transmettez le rapport du dernier test d'intrusion (SEC-07).")
    # The clock's act, as `flask workflows tick` would do once the due date has passed.
    engine.fire(session, DOSSIER_LIFECYCLE, built["caduc"], "lapse", None,
                on=today() + timedelta(days=31))

    dossiers.withdraw_dossier(session, built["retire"], actor=owners["editeur2@demo.ens.fr"],
                              reason="Refonte de l'application : un nouveau dossier sera déposé.")

    for suffix, opinion in (("pret", "favourable"), ("inscrit", "favourable"),
                            ("avis", "favourable_with_suspensive_reservations"),
                            ("convention", "favourable_with_reservations"), ("reference", "favourable"),
                            ("refuse", "unfavourable"), ("suspendu", "favourable"),
                            ("dereference", "favourable")):
        admit(built[suffix], override=suffix == "reference")
        reports(built[suffix], opinion)

    # The closed session: planned, then held (its date set in the past for the demo).
    held = commission_sessions.plan_session(
        session, actor=secretariat, title="Séance plénière n° 1", scheduled_at=now() + timedelta(hours=1),
        location="Salle du conseil et visioconférence",
        dossier_ids=[built[s].id for s in ("reference", "convention", "avis", "refuse", "suspendu",
                                             "dereference", "inscrit")])
    held.scheduled_at = now() - timedelta(days=6)
    commission_sessions.open_session(session, held, actor=chair)
    commission_sessions.record_attendance(session, held, actor=chair,
                                 present_ids=[chair.id, *[m.id for m in members[:4]]])
    votes = {
        "reference": ["favourable"] * 5,
        "convention": ["favourable_with_reservations", "favourable", "favourable_with_reservations",
                       "abstention", "favourable_with_reservations"],
        "avis": ["favourable_with_suspensive_reservations"] * 3 + ["favourable", "abstention"],
        "refuse": ["unfavourable", "unfavourable", "favourable_with_reservations", "unfavourable",
                   "abstention"],
        "suspendu": ["favourable"] * 4 + ["abstention"],
        "dereference": ["favourable", "favourable", "favourable_with_reservations", "favourable",
                        "favourable"],
    }
    reservations = {
        "convention": "Publier sous trois mois la déclaration d'accessibilité mise à jour.",
        "avis": "Transmettre le rapport de test d'intrusion corrigé avant tout référencement.",
    }
    voters = [chair, *members[:4]]
    for item in held.items:
        suffix = next(s for s, d in built.items() if d.id == item.dossier_id)
        if suffix == "inscrit":
            commission_sessions.postpone_item(session, item, actor=chair,
                                     reason="Rapport complémentaire attendu sur la sécurité des échanges.")
            continue
        for voter, choice in zip(voters, votes[suffix], strict=True):
            if commission_queries.eligible_voter_reason(session, item, voter) is None:
                commission_sessions.cast_vote(session, item, actor=voter, choice=choice)
        commission_sessions.issue_opinion(session, item, actor=chair,
                                          reservations=reservations.get(suffix, ""))
    commission_sessions.close_session(session, held, actor=chair)

    # The planned session, with the postponed dossier and the one ready.
    planned = commission_sessions.plan_session(
        session, actor=secretariat, title="Séance plénière n° 2", scheduled_at=now() + timedelta(days=14),
        location="Salle du conseil", dossier_ids=[built["inscrit"].id])
    del planned

    requirement = dossier_queries.applicable_requirements(session, built["refuse"])[0].code
    commission.decide(session, built["refuse"], actor=decider, outcome="refused",
                      motivation="Avis défavorable de la commission : les garanties de sécurité "
                                 "sont insuffisantes.",
                      reasons=[{"requirement_code": requirement,
                                "reason": "Chiffrement des données au repos non démontré."}])
    for suffix in ("convention", "reference", "suspendu", "dereference"):
        commission.decide(session, built[suffix], actor=decider, outcome="referenced",
                          motivation="Avis favorable de la commission ; exigences satisfaites.")
    for suffix in ("reference", "suspendu", "dereference"):
        dossier = built[suffix]
        dossiers.sign_agreement(session, dossier, actor=owners[next(
            e for s, _n, e, _st in SCENARIOS if s == suffix)])

    for suffix in ("suspendu", "dereference"):
        listing = session.scalar(select(Listing).where(Listing.app_id == built[suffix].app_id))
        listings.suspend_listing(session, listing, actor=secretariat,
                                 reason="Incident de sécurité signalé : fuite de données en cours d'analyse.")
        if suffix == "dereference":
            listings.delist_listing(session, listing, actor=decider,
                                    reason="Manquement grave et persistant à l'exigence de sécurité ; "
                                           "l'éditeur n'a pas corrigé dans le délai fixé.")
    session.flush()
    states = sorted({d.state.value for d in built.values()})
    return [f"Commission : {len(built)} dossiers de démonstration ({len(states)} états), "
            "2 séances (une close avec procès-verbal, une programmée), fiches suspendue et déréférencée."]
