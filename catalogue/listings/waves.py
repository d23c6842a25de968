"""Waves enforced (DESIGN §4 "Framework"): once a newer wave of the framework is published,
each listing referenced under an older one shows its gap; at the new wave's compliance
deadline the clock moves the listings without a favourable compliance decision to the state
the wave prescribes (suspended unless its file says delisted).

The gap is computed for the listing's *decided* profile: the requirements the new wave
adds, makes mandatory or rewords for this app, and whether the evidence on file in the
organisation's library already covers the kinds they ask for.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from catalogue.apps.models import App
from catalogue.dossiers.models import Evidence
from catalogue.frameworks.applicability import applicable_requirements
from catalogue.frameworks.models import Framework, FrameworkStatus, Requirement
from catalogue.frameworks.queries import latest_published
from catalogue.listings.lifecycle import LISTING_LIFECYCLE, NONCOMPLIANT_TRANSITIONS
from catalogue.listings.models import Listing, ListingState
from workflows.engine import fire

ADDED, MANDATORY, REWORDED = "added", "mandatory", "reworded"
CHANGE_LABELS = {ADDED: "nouvelle", MANDATORY: "devenue obligatoire", REWORDED: "reformulée"}


@dataclass(frozen=True)
class GapItem:
    requirement: Requirement
    change: str
    missing_kinds: tuple[str, ...]

    @property
    def covered(self) -> bool:
        """Every evidence kind the requirement asks for is on file."""
        return not self.missing_kinds

    @property
    def change_label(self) -> str:
        return CHANGE_LABELS[self.change]


@dataclass
class WaveGap:
    """What a listing must do to comply with a newer wave, and by when."""

    framework: Framework
    deadline: date | None
    items: list[GapItem] = field(default_factory=list)

    @property
    def uncovered(self) -> int:
        return sum(1 for i in self.items if not i.covered)

    @property
    def in_force(self) -> bool:
        return self.framework.status == FrameworkStatus.IN_FORCE


def _newer(latest: Framework | None, listing: Listing) -> bool:
    return (latest is not None and latest.id != listing.framework_id
            and latest.code == listing.framework.code
            and latest.effective_from > listing.framework.effective_from)


def wave_gaps(session: Session, listings: Iterable[Listing]) -> dict[int, WaveGap]:
    """listing id → its gap with the newest published wave (listings under that wave, or
    with no newer one, have none). Frameworks and evidence are read once for all."""
    latest = latest_published(session)
    rows = [listing for listing in listings if _newer(latest, listing)]
    if latest is None or not rows:
        return {}
    framework_ids = {listing.framework_id for listing in rows}
    old_requirements: dict[int, dict[str, Requirement]] = defaultdict(dict)
    for requirement in session.scalars(
            select(Requirement).where(Requirement.framework_id.in_(framework_ids))):
        old_requirements[requirement.framework_id][requirement.code] = requirement
    on_file = _kinds_on_file(session, rows)
    gaps: dict[int, WaveGap] = {}
    for listing in rows:
        predicates = list(listing.profile.predicates)
        old = old_requirements[listing.framework_id]
        old_applicable = {r.code for r in applicable_requirements(list(old.values()), predicates)}
        kinds = on_file.get(listing.app_id, set())
        gap = WaveGap(latest, latest.compliance_deadline)
        for requirement in applicable_requirements(latest.requirements, predicates):
            before = old.get(requirement.code)
            if before is None or requirement.code not in old_applicable:
                change = ADDED
            elif requirement.mandatory and not before.mandatory:
                change = MANDATORY
            elif (before.title, before.statement) != (requirement.title, requirement.statement) \
                    or set(requirement.evidence or []) - set(before.evidence or []):
                change = REWORDED
            else:
                continue
            missing = tuple(k for k in requirement.evidence or [] if k not in kinds)
            gap.items.append(GapItem(requirement, change, missing))
        gaps[listing.id] = gap
    return gaps


def wave_gap(session: Session, listing: Listing) -> WaveGap | None:
    """The listing's gap with the newest published wave, or None."""
    return wave_gaps(session, [listing]).get(listing.id)


def _kinds_on_file(session: Session, listings: list[Listing]) -> dict[int, set[str]]:
    """app id → evidence kinds in its organisation's library (shared by all its apps)."""
    org_of = {listing.app_id: listing.app.organisation_id for listing in listings}
    rows = session.execute(
        select(Evidence.organisation_id, Evidence.kind, Evidence.extra_kinds)
        .where(Evidence.organisation_id.in_(set(org_of.values())))
    ).all()
    kinds: dict[int, set[str]] = defaultdict(set)
    for app_id, organisation_id in org_of.items():
        kinds[app_id] = {k for org, kind, extra in rows if org == organisation_id
                         for k in (kind, *(extra or []))}
    return kinds


def listings_at_risk(session: Session) -> list[Listing]:
    """Live listings referenced under a wave older than the newest published one that sets
    a compliance deadline: without a compliance decision they will be suspended."""
    latest = latest_published(session)
    if latest is None or latest.compliance_deadline is None:
        return []
    return list(session.scalars(
        select(Listing).join(Framework, Framework.id == Listing.framework_id)
        .where(Listing.state.in_((ListingState.PUBLISHED, ListingState.SUSPENDED)),
               Framework.code == latest.code, Framework.effective_from < latest.effective_from)
        .options(joinedload(Listing.app).joinedload(App.organisation))
        .order_by(Listing.sort_key, Listing.id)
    ).unique())


def enforce_compliance_deadlines(session: Session, on: date) -> int:
    """Move every listing still referenced under a wave older than one whose compliance
    deadline is before ``on`` to the state that wave prescribes (``on_compliance_deadline``:
    suspended by default, or delisted), through the listing lifecycle's transition for it,
    with the reason shown publicly; patients are told as for any suspension. Idempotent:
    returns how many listings moved."""
    passed = session.scalars(
        select(Framework).where(Framework.compliance_deadline.is_not(None),
                                Framework.compliance_deadline < on,
                                Framework.status != FrameworkStatus.DRAFT)
        .order_by(Framework.effective_from.desc())
    ).all()
    count = 0
    for wave in passed:
        name = NONCOMPLIANT_TRANSITIONS[wave.on_compliance_deadline]
        sources = LISTING_LIFECYCLE.transition(name).sources
        due = session.scalars(
            select(Listing).join(Framework, Framework.id == Listing.framework_id)
            .where(Listing.state.in_(sources), Framework.code == wave.code,
                   Framework.effective_from < wave.effective_from)
            .order_by(Listing.id)
        ).all()
        for listing in due:
            fire(session, LISTING_LIFECYCLE, listing, name, None, wave=wave, today=on)
            count += 1
    return count
