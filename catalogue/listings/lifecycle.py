"""The listing lifecycle (DESIGN §4 "Listing"), as a table.

``published`` → ``suspended`` (secretariat or decision maker, with a reason) →
``published`` (reinstated) or ``delisted`` (decision maker, motivated; final).
``published`` → ``expired`` (the clock, once ``valid_until`` has passed without a
renewal). At a newer wave's compliance deadline, a listing without a compliance decision
goes where the wave's ``on_compliance_deadline`` says, reason public: ``published`` →
``suspended`` (``suspend_noncompliant``, the default) or ``published``/``suspended`` →
``delisted`` (``delist_noncompliant``); both are the clock's. ``expired`` or
``delisted`` → ``published`` (``republish``, the system, when
the agreement of a new referencing decision is signed). Creation and renewal come from
a referenced dossier (``catalogue.listings.services.publish_from_dossier``), which
fires ``republish`` for a listing that had left the catalogue.
Its effects keep the public history, the patients' consents, the search index and
the cache in step.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.accounts.models import Role
from catalogue.audit.services import record_transition
from catalogue.clock import now, today
from catalogue.consents import services as consents
from catalogue.core.i18n import N_
from catalogue.listings import cache
from catalogue.listings.models import Listing, ListingEvent, ListingEventKind, ListingState
from catalogue.search import services as search
from workflows.engine import SYSTEM, Context, Lifecycle, Transition, fire

S = ListingState
REASON_MAX = 2000

STATE_LABELS = {
    S.PUBLISHED: N_("publiée"),
    S.SUSPENDED: N_("suspendue"),
    S.DELISTED: N_("déréférencée"),
    S.EXPIRED: N_("expirée"),
}


def roles_on_listing(_session: Session, _listing: Any, actor: Any) -> frozenset[str]:
    """Listing actions are commission ones: the actor's global roles decide."""
    return frozenset(r.value for r in actor.role_set)



def guard_reason_given(ctx: Context) -> str | None:
    reason = (ctx.data.get("reason") or "").strip()
    if not reason:
        return "Indiquez le motif : il est publié dans l'historique de la fiche."
    if len(reason) > REASON_MAX:
        return f"Le motif ne peut dépasser {REASON_MAX} caractères."
    return None


def guard_still_valid(ctx: Context) -> str | None:
    listing: Listing = ctx.subject
    if listing.valid_until < today():
        return "La durée de validité du référencement est échue : la fiche ne peut être rétablie."
    return None


def guard_validity_over(ctx: Context) -> str | None:
    listing: Listing = ctx.subject
    on = ctx.data.get("today") or today()
    if listing.valid_until >= on:
        return "Le référencement est encore valide."
    return None


def _changed(ctx: Context, kind: ListingEventKind, note: str) -> None:
    """Common effect: timestamps, public history, search index, cache, consents."""
    session: Session = ctx.session
    listing: Listing = ctx.subject
    listing.state_reason = note or None
    listing.state_changed_at = now()
    session.add(ListingEvent(listing_id=listing.id, kind=kind, public_note=note))
    search.index_listing(session, listing)
    cache.catalogue_changed(session, [listing.app.slug])
    if kind == ListingEventKind.REINSTATED:
        resumed = consents.resume_for_app(session, listing.app)
        ctx.audit_payload["consents_resumed"] = resumed
    else:
        suspended = consents.suspend_for_app(session, listing.app, cause=kind.value)
        ctx.audit_payload["consents_suspended"] = suspended
    if note:
        ctx.audit_payload["reason"] = note


def effect_suspended(ctx: Context) -> None:
    _changed(ctx, ListingEventKind.SUSPENDED, ctx.data["reason"].strip())


def effect_reinstated(ctx: Context) -> None:
    _changed(ctx, ListingEventKind.REINSTATED, (ctx.data.get("reason") or "").strip())


def effect_delisted(ctx: Context) -> None:
    _changed(ctx, ListingEventKind.DELISTED, ctx.data["reason"].strip())


def effect_expired(ctx: Context) -> None:
    _changed(ctx, ListingEventKind.EXPIRED, "")


def compliance_reason(wave: Any) -> str:
    """The public reason of a suspension at a wave's compliance deadline."""
    return (f"Mise en conformité avec la vague {wave.label} du référentiel non décidée "
            f"à la date limite du {wave.compliance_deadline:%d/%m/%Y}.")


def guard_compliance_deadline_passed(ctx: Context) -> str | None:
    wave = ctx.data.get("wave")
    listing: Listing = ctx.subject
    on = ctx.data.get("today") or today()
    if wave is None or wave.compliance_deadline is None or wave.compliance_deadline >= on:
        return "La date limite de mise en conformité n'est pas passée."
    if listing.framework.effective_from >= wave.effective_from:
        return "Le référencement en vigueur est déjà conforme à cette vague."
    return None


def effect_suspended_noncompliant(ctx: Context) -> None:
    _changed(ctx, ListingEventKind.SUSPENDED, compliance_reason(ctx.data["wave"]))
    ctx.audit_payload["framework_id"] = ctx.data["wave"].id


def effect_delisted_noncompliant(ctx: Context) -> None:
    _changed(ctx, ListingEventKind.DELISTED, compliance_reason(ctx.data["wave"]))
    ctx.audit_payload["framework_id"] = ctx.data["wave"].id


def guard_new_referencing(ctx: Context) -> str | None:
    dossier = ctx.data.get("dossier")
    if dossier is None or dossier.id == ctx.subject.dossier_id:
        return "Seul un nouveau référencement, convention signée, remet la fiche au catalogue."
    return None


def effect_republished(ctx: Context) -> None:
    """Back in the catalogue: the public history line is written by the publication
    (``publish_from_dossier``), which also moves the listing to the new dossier."""
    listing: Listing = ctx.subject
    moment = now()
    listing.published_at = moment
    listing.state_changed_at = moment
    listing.state_reason = None
    ctx.audit_payload["dossier_id"] = ctx.data["dossier"].id


LISTING_LIFECYCLE = Lifecycle(
    name="listing",
    states=tuple(s.value for s in S),
    # Final for every human action; only a new referencing decision (``republish``) brings
    # a delisted app back.
    final=frozenset({S.DELISTED.value}),
    roles_of=roles_on_listing,
    record=record_transition,
    state_labels={k.value: v for k, v in STATE_LABELS.items()},
    transitions=(
        Transition(
            name="suspend", sources=(S.PUBLISHED.value,), target=S.SUSPENDED.value,
            roles=frozenset({Role.SECRETARIAT.value, Role.DECISION_MAKER.value}),
            label=N_("Suspendre la fiche"),
            guards=(guard_reason_given,),
            effects=(effect_suspended,),
        ),
        Transition(
            name="reinstate", sources=(S.SUSPENDED.value,), target=S.PUBLISHED.value,
            roles=frozenset({Role.SECRETARIAT.value, Role.DECISION_MAKER.value}),
            label=N_("Rétablir la fiche"),
            guards=(guard_still_valid,),
            effects=(effect_reinstated,),
        ),
        Transition(
            name="delist", sources=(S.SUSPENDED.value,), target=S.DELISTED.value,
            roles=frozenset({Role.DECISION_MAKER.value}),
            label=N_("Déréférencer l'application"),
            guards=(guard_reason_given,),
            effects=(effect_delisted,),
        ),
        Transition(
            name="expire", sources=(S.PUBLISHED.value,), target=S.EXPIRED.value,
            roles=frozenset({SYSTEM}),
            label=N_("Constater l'expiration"),
            guards=(guard_validity_over,),
            effects=(effect_expired,),
        ),
        Transition(
            name="suspend_noncompliant", sources=(S.PUBLISHED.value,), target=S.SUSPENDED.value,
            roles=frozenset({SYSTEM}),
            label=N_("Suspendre à la date limite de mise en conformité"),
            guards=(guard_compliance_deadline_passed,),
            effects=(effect_suspended_noncompliant,),
        ),
        Transition(
            name="delist_noncompliant", sources=(S.PUBLISHED.value, S.SUSPENDED.value),
            target=S.DELISTED.value, roles=frozenset({SYSTEM}),
            label=N_("Déréférencer à la date limite de mise en conformité"),
            guards=(guard_compliance_deadline_passed,),
            effects=(effect_delisted_noncompliant,),
        ),
        Transition(
            name="republish", sources=(S.EXPIRED.value, S.DELISTED.value),
            target=S.PUBLISHED.value, roles=frozenset({SYSTEM}),
            label=N_("Republier après un nouveau référencement"),
            guards=(guard_new_referencing,),
            effects=(effect_republished,),
        ),
    ),
)


# The wave's ``on_compliance_deadline`` (a listing state) → the transition that reaches it.
NONCOMPLIANT_TRANSITIONS = {
    S.SUSPENDED.value: "suspend_noncompliant",
    S.DELISTED.value: "delist_noncompliant",
}


def expire_due(session: Session, on: date) -> int:
    """Expire every published listing whose ``valid_until`` is before the day ``on``.

    Idempotent (the clock's ``tick`` calls it every few minutes); returns how many expired.
    """
    due = session.scalars(
        select(Listing).where(Listing.state == S.PUBLISHED, Listing.valid_until < on)
        .order_by(Listing.id)
    ).all()
    for listing in due:
        fire(session, LISTING_LIFECYCLE, listing, "expire", None, today=on)
    return len(due)
