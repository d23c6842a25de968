"""Demo part ``listings``: tops the catalogue up to N published listings (``--apps N``).

Each listing rests on real rows — a verified publisher, an app profile, a dossier
filed and referenced under the framework in force, the commission's opinion, the
State's decision and the accepted agreement — so public pages show true data.
Everything is written in bulk (one ``INSERT`` per table and batch) inside the
seed's transaction, the search index included: 10,000 listings take seconds.
Names and texts are French, varied and accented, generated from a seeded RNG;
re-running adds only what is missing.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from catalogue.accounts.models import Role, User, UserRole
from catalogue.apps import vocabulary
from catalogue.apps.models import App, Pricing
from catalogue.audit import services as audit
from catalogue.clock import now
from catalogue.commission.models import Agreement, Decision, DecisionOutcome, Opinion, OpinionValue
from catalogue.demo.themes import (
    CATALOGUE_THEMES,
    CITIES,
    DETAILS,
    HDS_DETAIL,
    HOSTS,
    NO_HEALTH_DATA,
    PLAIN_DETAIL,
    PLAIN_HOSTS,
    PUBLISHER_FORMS,
    PUBLISHER_WORDS,
    SUFFIXES,
)
from catalogue.dossiers.models import Dossier, DossierKind, DossierState, Evidence, ReferenceCounter
from catalogue.dossiers.samples import sample_pdf
from catalogue.frameworks.models import Framework, FrameworkStatus
from catalogue.listings import cache
from catalogue.listings.labels import facet_values, label
from catalogue.listings.models import (
    Listing,
    ListingEvent,
    ListingEventKind,
    ListingFacet,
    ListingState,
)
from catalogue.publishers.identifiers import luhn_valid
from catalogue.publishers.models import Organisation, OrganisationStatus
from catalogue.search import services as search
from catalogue.search.text import unaccent
from catalogue.settings import setting
from catalogue.storage.services import get_storage, new_key

BATCH = 2000
APPS_PER_PUBLISHER = 6

OPINIONS = [(OpinionValue.FAVOURABLE, 7), (OpinionValue.FAVOURABLE_WITH_RESERVATIONS, 3)]


def siren_for(n: int) -> str:
    """A valid SIREN (Luhn) in a block reserved for demo publishers (``8…``)."""
    body = f"8{n:07d}"
    return next(body + str(k) for k in range(10) if luhn_valid(body + str(k)))


def slugify(text: str) -> str:
    out = "".join(ch if ch.isalnum() else "-" for ch in unaccent(text))
    return "-".join(part for part in out.split("-") if part)


@dataclass
class AppSpec:
    index: int
    name: str
    slug: str
    category: str
    profile: dict[str, Any]
    decided_on: date
    review_days: int
    opinion: OpinionValue


def generate(count: int, seed: int, first_day: date, last_day: date) -> Iterator[AppSpec]:
    """``count`` app specs, the same for the same seed (so re-runs find them again)."""
    rng = random.Random(seed)
    categories = list(CATALOGUE_THEMES)
    span = max((last_day - first_day).days, 1)
    uses: dict[str, int] = {}
    i = 0
    while i < count:
        category = categories[i % len(categories)]
        theme = CATALOGUE_THEMES[category]
        stem = rng.choice(theme["stems"])
        # The first app of each category is its flagship: first stem, first use (what the
        # home page's example searches find).
        flagship = i < len(categories)
        if flagship:
            stem = theme["stems"][0]
        base = (stem + rng.choice(SUFFIXES)).strip()
        uses[base] = uses.get(base, 0) + 1
        # Names stay unique: the second "Glycémo Plus" is "Glycémo Plus 2".
        name = base if uses[base] == 1 else f"{base} {uses[base]}"
        uses_of_stem = theme.get("does_by_stem", {}).get(stem, theme["does"])
        does = rng.choice(uses_of_stem)
        if flagship:
            does = uses_of_stem[0]
        health_data = category not in NO_HEALTH_DATA
        platforms = sorted(rng.sample(["web", "ios", "android", "desktop", "connected_device"],
                                      rng.choice([1, 2, 2, 3])))
        pricing = rng.choices(["free", "freemium", "paid"], weights=[6, 3, 2])[0]
        is_md = rng.random() < 0.25
        services = sorted(rng.sample(["mes_dmp", "mssante", "pro_sante_connect", "insi",
                                      "e_prescription", "france_connect", "apcv"],
                                     rng.choice([0, 1, 1, 2])))
        audiences = sorted(set(rng.sample(theme["audiences"], min(2, len(theme["audiences"])))))
        # At least two categories: the consent screen grants them one by one.
        data = sorted(rng.sample(theme["data"], min(len(theme["data"]), rng.choice([2, 2, 3]))))
        details = [d if health_data or d != HDS_DETAIL else PLAIN_DETAIL for d in rng.sample(DETAILS, 2)]
        summary = f"{name} {does}."[:200]
        description = (
            f"## À quoi sert {name} ?\n\n{name} {does}. {details[0]}\n\n"
            "## Pour qui ?\n\nPensé pour : "
            + ", ".join(vocabulary.label(vocabulary.AUDIENCES, a).lower() for a in audiences) + ".\n\n"
            f"## Vos données\n\n{details[1]} Vous choisissez ce que vous partagez depuis "
            f"votre espace santé, et pouvez révoquer votre accord à tout moment."
        )
        profile = {
            "summary": summary, "description": description, "category": category,
            "audiences": audiences, "platforms": platforms, "pricing": pricing,
            "price_text": "" if pricing == "free" else rng.choice(
                ["4,99 € par mois", "29 € par an", "Options à partir de 2 € par mois",
                 "Pris en charge sur prescription"]),
            "languages": ["fr"] + (["en"] if rng.random() < 0.3 else []),
            "data_categories": data, "hosting_provider": rng.choice(HOSTS),
            "hds_certified": health_data,
            "hds_certificate_ref": f"HDS-{rng.randint(2022, 2026)}-{rng.randint(100, 999)}",
            "is_medical_device": is_md,
            "medical_device_class": rng.choice(["I", "IIa", "IIb"]) if is_md else None,
            "connected_services": services,
            "predicates": (["processes_health_data"] if health_data else []) + ["connects_patient_space"]
            + (["is_medical_device"] if is_md else []),
        }
        if not health_data:
            profile.update(hosting_provider=PLAIN_HOSTS[i % len(PLAIN_HOSTS)], hds_certified=False,
                           hds_certificate_ref="", is_medical_device=False, medical_device_class=None)
            profile["predicates"] = ["connects_patient_space"]
        weights = [w for _, w in OPINIONS]
        yield AppSpec(
            index=i, name=name, slug=f"{slugify(name)}-{i + 1}", category=category,
            profile=profile, decided_on=first_day + timedelta(days=rng.randrange(span)),
            review_days=rng.randint(35, 160),
            opinion=rng.choices([o for o, _ in OPINIONS], weights=weights)[0],
        )
        i += 1


def _reserve_references(session: Session, year: int, n: int) -> int:
    """Reserve ``n`` dossier numbers of ``year`` at once; returns the first one."""
    ins = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    table = ReferenceCounter.__table__
    stmt = ins(table).values(year=year, last_number=n).on_conflict_do_update(
        index_elements=[table.c.year], set_={"last_number": table.c.last_number + n}
    ).returning(table.c.last_number)
    return session.execute(stmt).scalar_one() - n + 1


def _user_with(session: Session, role: Role, email: str) -> User:
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        user = session.scalar(select(User).join(UserRole).where(UserRole.role == role).limit(1))
    if user is None:
        raise RuntimeError(f"no user with role {role.value}: run the accounts demo part first")
    return user


def _t(model: Any) -> Any:
    """The model's table: Core inserts send one multi-row statement per batch, where ORM
    bulk inserts of versioned models fall back to a statement per row on PostgreSQL."""
    return model.__table__


def _at(day: date, hour: int) -> datetime:
    return datetime.combine(day, time(hour, 0), tzinfo=UTC)


def create_listings(session: Session, specs: list[AppSpec], *, framework: Framework,
                    decision_maker: User, chair: User) -> int:
    """Insert, in bulk, every row a listing rests on for each spec; returns how many."""
    if not specs:
        return 0

    moment = now()
    validity = int(setting("LISTING_VALIDITY_DAYS"))
    # Publishers: one per APPS_PER_PUBLISHER specs, keyed by the spec index.
    org_rows = {}
    for spec in specs:
        k = spec.index // APPS_PER_PUBLISHER
        if k not in org_rows:
            org_rows[k] = {
                "legal_name": f"{PUBLISHER_WORDS[k % len(PUBLISHER_WORDS)]} "
                              f"{PUBLISHER_FORMS[k % len(PUBLISHER_FORMS)]}"
                              + (f" {k // len(PUBLISHER_WORDS) + 1}" if k >= len(PUBLISHER_WORDS) else ""),
                "siren": siren_for(k + 1), "city": CITIES[k % len(CITIES)][0],
                "address": f"{k % 90 + 1} rue de la République", "postal_code": CITIES[k % len(CITIES)][1],
                "legal_representative": "Camille Martin",
                "contact_email": f"contact{k + 1}@editeur-demo.fr",
                "status": OrganisationStatus.VERIFIED, "verified_at": moment,
                "created_at": moment,
            }
    existing_orgs: dict[str, int] = {}
    for chunk in _chunks([r["siren"] for r in org_rows.values()]):
        existing_orgs.update(session.execute(
            select(Organisation.siren, Organisation.id).where(Organisation.siren.in_(chunk))
        ).all())
    missing = [r for r in org_rows.values() if r["siren"] not in existing_orgs]
    if missing:
        organisations = _t(Organisation)
        stmt = insert(organisations).returning(organisations.c.siren, organisations.c.id)
        for row in session.execute(stmt, missing):
            existing_orgs[row.siren] = row.id
    org_id = {k: existing_orgs[r["siren"]] for k, r in org_rows.items()}
    _registration_extracts(session, org_rows, org_id, moment)

    created = 0
    for start in range(0, len(specs), BATCH):
        chunk = specs[start:start + BATCH]
        app_rows = [{
            "organisation_id": org_id[s.index // APPS_PER_PUBLISHER], "slug": s.slug,
            "name": s.name, **{k: v for k, v in s.profile.items() if k != "pricing"},
            "pricing": Pricing(s.profile["pricing"]),
            "website_url": f"https://{s.slug}.exemple.fr",
            "privacy_policy_url": f"https://{s.slug}.exemple.fr/confidentialite",
            "accessibility_statement_url": f"https://{s.slug}.exemple.fr/accessibilite",
            "support_contact": f"aide@{s.slug}.exemple.fr",
            "created_at": _at(s.decided_on - timedelta(days=s.review_days + 20), 9),
            "updated_at": moment,
        } for s in chunk]
        app_ids = dict(session.execute(insert(_t(App)).returning(_t(App).c.slug, _t(App).c.id,
                                                                sort_by_parameter_order=True),
                                       app_rows).all())
        refs: dict[int, list[int]] = {}
        for s in chunk:
            refs.setdefault(s.decided_on.year, []).append(s.index)
        ref_of: dict[int, str] = {}
        for year, indexes in refs.items():
            first = _reserve_references(session, year, len(indexes))
            for offset, index in enumerate(indexes):
                ref_of[index] = f"ENS-{year}-{first + offset:05d}"
        dossier_rows = []
        for s, row in zip(chunk, app_rows, strict=True):
            decided = _at(s.decided_on, 14)
            submitted = decided - timedelta(days=s.review_days)
            dossier_rows.append({
                "reference": ref_of[s.index], "app_id": app_ids[s.slug],
                "organisation_id": row["organisation_id"], "kind": DossierKind.INITIAL,
                "state": DossierState.REFERENCED, "framework_id": framework.id,
                "profile_snapshot": {"name": s.name, **s.profile}, "round": 1,
                "created_at": submitted - timedelta(days=10), "submitted_at": submitted,
                "review_started_on": (submitted + timedelta(days=7)).date(),
                "review_due_on": (submitted + timedelta(days=67)).date(),
                "days_stopped": 0, "closed_at": decided + timedelta(days=3),
            })
        dossier_ids = dict(session.execute(
            insert(_t(Dossier)).returning(_t(Dossier).c.reference, _t(Dossier).c.id,
                                          sort_by_parameter_order=True),
            dossier_rows).all())
        by_spec = {s.index: dossier_ids[ref_of[s.index]] for s in chunk}
        session.execute(insert(_t(Opinion)), [{
            "dossier_id": by_spec[s.index], "value": s.opinion,
            "reservations": "" if s.opinion == OpinionValue.FAVOURABLE else
            "Compléter la déclaration d'accessibilité dans les six mois.",
            "tally": {"favourable": 4, "unfavourable": 0, "abstention": 1},
            "issued_by_id": chair.id, "issued_at": _at(s.decided_on - timedelta(days=12), 16),
        } for s in chunk])
        session.execute(insert(_t(Decision)), [{
            "dossier_id": by_spec[s.index], "outcome": DecisionOutcome.REFERENCED,
            "motivation": "Au vu de l'avis favorable de la commission et des pièces du dossier.",
            "reasons": [], "decided_by_id": decision_maker.id, "decided_at": _at(s.decided_on, 14),
        } for s in chunk])
        session.execute(insert(_t(Agreement)), [{
            "dossier_id": by_spec[s.index], "duration_days": validity,
            "data_categories": s.profile["data_categories"],
            "withdrawal_terms": "Retrait sur préavis de trois mois ou sans délai en cas "
                                "d'atteinte à la sécurité des données.",
            "accepted_at": _at(s.decided_on + timedelta(days=3), 10),
        } for s in chunk])
        listing_rows = [{
            "app_id": app_ids[s.slug], "state": ListingState.PUBLISHED,
            "dossier_id": by_spec[s.index], "framework_id": framework.id,
            "opinion": s.opinion.value, "decided_at": _at(s.decided_on, 14),
            "published_at": _at(s.decided_on + timedelta(days=3), 10),
            "valid_until": s.decided_on + timedelta(days=validity),
            "state_changed_at": _at(s.decided_on + timedelta(days=3), 10),
            "sort_key": unaccent(s.name)[:120], "version_id": 1, "updated_at": moment,
        } for s in chunk]
        listing_ids = dict(session.execute(
            insert(_t(Listing)).returning(_t(Listing).c.app_id, _t(Listing).c.id,
                                          sort_by_parameter_order=True),
            listing_rows).all())
        session.execute(insert(_t(ListingEvent)), [{
            "listing_id": listing_ids[app_ids[s.slug]], "kind": ListingEventKind.PUBLISHED,
            "occurred_at": _at(s.decided_on + timedelta(days=3), 10), "public_note": "",
            "dossier_id": by_spec[s.index],
        } for s in chunk])
        facet_rows = []
        documents = []
        org_names = {r["siren"]: r["legal_name"] for r in org_rows.values()}
        for s in chunk:
            lid = listing_ids[app_ids[s.slug]]
            shim = _ProfileView(s.profile)
            facet_rows += [{"listing_id": lid, "facet": f, "value": v} for f, v in facet_values(shim)]
            publisher = org_names[org_rows[s.index // APPS_PER_PUBLISHER]["siren"]]
            documents.append(search.Document(lid, s.name, " ".join((
                s.profile["summary"], s.profile["description"], publisher,
                label("category", s.category, "fr")))))
        session.execute(insert(_t(ListingFacet)), facet_rows)
        search.index_documents(session, documents)
        created += len(chunk)
    cache.catalogue_changed(session)
    audit.record(session, "demo.listings_seeded", actor=None, subject=("Listing", None),
                 payload={"created": created, "framework_id": framework.id})
    return created


def _registration_extracts(session: Session, org_rows: dict[int, dict[str, Any]], org_id: dict[int, int],
                           moment: datetime) -> None:
    """A registration extract (Kbis) on file for each verified publisher that lacks one: the
    secretariat verifies an organisation on it. Stored and inserted in bulk, like the rest."""
    having = set(session.scalars(select(Evidence.organisation_id).where(
        Evidence.organisation_id.in_(list(org_id.values())), Evidence.kind == "registration_extract")))
    rows = []
    for k, org in org_rows.items():
        if org_id[k] in having:
            continue
        data = sample_pdf(f"Extrait Kbis {org['siren']}",
                          [org["legal_name"], org["address"], f"{org['postal_code']} {org['city']}"])
        key = new_key("evidence")
        get_storage().put(key, data)
        rows.append({"organisation_id": org_id[k], "app_id": None, "kind": "registration_extract",
                     "extra_kinds": [], "title": "Extrait Kbis", "filename": "extrait-kbis.pdf",
                     "content_type": "application/pdf", "size": len(data),
                     "sha256": hashlib.sha256(data).hexdigest(), "storage_key": key,
                     "valid_until": None, "uploaded_by_id": None, "uploaded_at": moment})
    if rows:
        session.execute(insert(_t(Evidence)), rows)


class _ProfileView:
    """An app-like view of a spec's profile, for ``facet_values``."""

    def __init__(self, profile: dict[str, Any]):
        self.category = profile["category"]
        self.pricing = profile["pricing"]
        self.is_medical_device = profile["is_medical_device"]
        self.audiences = profile["audiences"]
        self.platforms = profile["platforms"]
        self.connected_services = profile["connected_services"]


def seed(session: Session, options: Any) -> list[str]:
    """Top the catalogue up to ``options.apps`` published listings (idempotent)."""
    framework = session.scalar(
        select(Framework).where(Framework.status == FrameworkStatus.IN_FORCE)
        .order_by(Framework.effective_from.desc()).limit(1)
    )
    if framework is None:
        return ["Catalogue : aucun référentiel en vigueur, aucune fiche créée."]
    published = session.scalar(
        select(func.count(Listing.id)).where(Listing.state == ListingState.PUBLISHED)) or 0
    wanted = options.apps
    if published >= wanted:
        return [f"Catalogue : {published} fiches publiées (rien à ajouter)."]
    first_day = framework.effective_from
    last_day = max(now().date() - timedelta(days=4), first_day + timedelta(days=1))
    specs = list(generate(wanted, options.seed, first_day, last_day))
    taken: set[str] = set()
    for chunk in _chunks([s.slug for s in specs]):
        taken.update(session.scalars(select(App.slug).where(App.slug.in_(chunk))))
    todo = [s for s in specs if s.slug not in taken][: wanted - published]
    created = create_listings(
        session, todo, framework=framework,
        decision_maker=_user_with(session, Role.DECISION_MAKER, "decideur@demo.ens.fr"),
        chair=_user_with(session, Role.CHAIR, "president@demo.ens.fr"),
    )
    return [f"Catalogue : {created} fiches ajoutées, {published + created} fiches publiées."]


def _chunks(values: list[str], size: int = 5000) -> list[list[str]]:
    """Slices small enough for one IN list (PostgreSQL takes at most 65,535 parameters)."""
    return [values[i:i + size] for i in range(0, len(values), size)]
