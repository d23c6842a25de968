"""The listing lifecycle (DESIGN §4 "Listing"), as a table.

``published`` → ``suspended`` (secretariat or decision maker, with a reason) →
``published`` (reinstated) or ``delisted`` (decision maker, motivated; final).
``published`` → ``expired`` (the clock, once ``valid_until`` has passed without a
renewal). Publication itself, and renewal, come from a referenced dossier
(``catalogue.listings.services.publish_from_dossier``), not from this table.
Effects live in ``catalogue.listings.rules``: public history, consents, search
index and cache.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.accounts.models import Role
from catalogue.listings.models import Listing, ListingState
from workflows.engine import SYSTEM, Lifecycle, Transition, fire

S = ListingState
R = "catalogue.listings.rules:"

STATE_LABELS = {
    S.PUBLISHED: "publiée",
    S.SUSPENDED: "suspendue",
    S.DELISTED: "déréférencée",
    S.EXPIRED: "expirée",
}


def roles_on_listing(_session: Session, _listing: Any, actor: Any) -> frozenset[str]:
    """Listing actions are commission ones: the actor's global roles decide."""
    return frozenset(r.value for r in actor.role_set)


LISTING_LIFECYCLE = Lifecycle(
    name="listing",
    states=tuple(s.value for s in S),
    final=frozenset({S.DELISTED.value}),
    roles_of=roles_on_listing,
    state_labels={k.value: v for k, v in STATE_LABELS.items()},
    transitions=(
        Transition(
            name="suspend", sources=(S.PUBLISHED.value,), target=S.SUSPENDED.value,
            roles=frozenset({Role.SECRETARIAT.value, Role.DECISION_MAKER.value}),
            label="Suspendre la fiche",
            guards=(R + "guard_reason_given",),
            effects=(R + "effect_suspended",),
        ),
        Transition(
            name="reinstate", sources=(S.SUSPENDED.value,), target=S.PUBLISHED.value,
            roles=frozenset({Role.SECRETARIAT.value, Role.DECISION_MAKER.value}),
            label="Rétablir la fiche",
            guards=(R + "guard_still_valid",),
            effects=(R + "effect_reinstated",),
        ),
        Transition(
            name="delist", sources=(S.SUSPENDED.value,), target=S.DELISTED.value,
            roles=frozenset({Role.DECISION_MAKER.value}),
            label="Déréférencer l'application",
            guards=(R + "guard_reason_given",),
            effects=(R + "effect_delisted",),
        ),
        Transition(
            name="expire", sources=(S.PUBLISHED.value,), target=S.EXPIRED.value,
            roles=frozenset({SYSTEM}),
            label="Constater l'expiration",
            guards=(R + "guard_validity_over",),
            effects=(R + "effect_expired",),
        ),
    ),
)


def expire_due(session: Session, today: date) -> int:
    """Expire every published listing whose ``valid_until`` is before ``today``.

    Idempotent (the clock's ``tick`` calls it every few minutes); returns how many expired.
    """
    due = session.scalars(
        select(Listing).where(Listing.state == S.PUBLISHED, Listing.valid_until < today)
        .order_by(Listing.id)
    ).all()
    for listing in due:
        fire(session, LISTING_LIFECYCLE, listing, "expire", None, today=today)
    return len(due)
