"""The framework lifecycle (DESIGN §4), as a table, and the clock's part in it.

A version is imported as a `draft`; the clock (`flask workflows tick`, through
`bring_into_force`) puts it `in_force` on its `effective_from` and, in the same
transaction, retires the version it replaces. Nobody fires these transitions by hand:
a wave's dates are part of its file, and changing them means publishing a new file.

A draft may also be retired without ever coming into force, when a later version of
its code is already due (a wave imported late, for the record): its period is over.
"""

from __future__ import annotations

from datetime import date
from itertools import groupby
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.audit.services import record_transition
from catalogue.clock import now
from catalogue.clock import today as paris_today
from catalogue.core.i18n import N_
from catalogue.frameworks.models import Framework, FrameworkStatus
from workflows.engine import SYSTEM, Context, Lifecycle, Transition, fire

S = FrameworkStatus

STATE_LABELS = {
    S.DRAFT: N_("à venir"),
    S.IN_FORCE: N_("en vigueur"),
    S.RETIRED: N_("retiré"),
}


def _day(ctx: Context) -> date:
    return ctx.data.get("today") or paris_today()


def _effective_date_reached(ctx: Context) -> str | None:
    framework: Framework = ctx.subject
    if framework.effective_from > _day(ctx):
        return (
            f"La version {framework.label} n'entre en vigueur que le "
            f"{framework.effective_from.isoformat()}."
        )
    return None


def _no_other_in_force(ctx: Context) -> str | None:
    framework: Framework = ctx.subject
    other = ctx.session.scalar(
        select(Framework.version).where(
            Framework.code == framework.code,
            Framework.status == S.IN_FORCE,
            Framework.id != framework.id,
        )
    )
    if other is not None:
        return f"La version {framework.code} {other} est encore en vigueur : retirez-la d'abord."
    return None


def _successor_due(ctx: Context) -> str | None:
    framework: Framework = ctx.subject
    successor = ctx.session.scalar(
        select(Framework.version).where(
            Framework.code == framework.code,
            Framework.effective_from > framework.effective_from,
            Framework.effective_from <= _day(ctx),
        ).limit(1)
    )
    if successor is None:
        return f"Aucune version plus récente de {framework.code} n'est encore entrée en vigueur."
    return None


def _stamp_in_force(ctx: Context) -> None:
    ctx.subject.in_force_at = now()
    ctx.audit_payload.update(
        code=ctx.subject.code, version=ctx.subject.version,
        effective_from=ctx.subject.effective_from,
    )


def _stamp_retired(ctx: Context) -> None:
    ctx.subject.retired_at = now()
    ctx.audit_payload.update(code=ctx.subject.code, version=ctx.subject.version)
    if ctx.data.get("replaced_by"):
        ctx.audit_payload["replaced_by"] = ctx.data["replaced_by"]


def _roles_on_framework(_session: Session, _framework: Any, _actor: Any) -> frozenset[str]:
    # Only the clock (actor None → SYSTEM) moves a framework; no person holds a role here.
    return frozenset()


FRAMEWORK_LIFECYCLE = Lifecycle(
    name="framework",
    states=(S.DRAFT.value, S.IN_FORCE.value, S.RETIRED.value),
    final=frozenset({S.RETIRED.value}),
    transitions=(
        Transition(
            name="bring_into_force",
            sources=(S.DRAFT.value,),
            target=S.IN_FORCE.value,
            roles=frozenset({SYSTEM}),
            label=N_("Mettre en vigueur"),
            guards=(_effective_date_reached, _no_other_in_force),
            effects=(_stamp_in_force,),
        ),
        Transition(
            name="retire",
            sources=(S.IN_FORCE.value, S.DRAFT.value),
            target=S.RETIRED.value,
            roles=frozenset({SYSTEM}),
            label=N_("Retirer"),
            guards=(_successor_due,),
            effects=(_stamp_retired,),
        ),
    ),
    roles_of=_roles_on_framework,
    record=record_transition,
    state_labels={state.value: label for state, label in STATE_LABELS.items()},
    state_attr="status",
)


def bring_into_force(session: Session, today: date) -> int:
    """Apply the calendar to every framework code; return how many versions came into force.

    For each code, the version due on `today` is the one with the latest `effective_from`
    not after it. If it is still a draft, the version in force (if any) and any older draft
    are retired, then it is brought into force; all audited as system transitions. Running
    it again the same day changes nothing (idempotent), and at most one version of a code is
    ever in force (also enforced by a partial unique index). Flushes, never commits.
    """
    rows = session.scalars(
        select(Framework)
        .where(Framework.status != S.RETIRED)
        .order_by(Framework.code, Framework.effective_from)
        # Two ticks at once: the second waits here, then sees the first one's result.
        .with_for_update()
        .execution_options(populate_existing=True)
    ).all()
    brought = 0
    for _code, versions in groupby(rows, key=lambda f: f.code):
        due = [f for f in versions if f.effective_from <= today]
        if not due:
            continue
        current = due[-1]
        # Retire the one in force first: the unique index allows one in force per code.
        older = sorted(due[:-1], key=lambda f: f.status is not S.IN_FORCE)
        for framework in older:
            fire(session, FRAMEWORK_LIFECYCLE, framework, "retire", None,
                 today=today, replaced_by=current.version)
        if current.status is S.DRAFT:
            fire(session, FRAMEWORK_LIFECYCLE, current, "bring_into_force", None, today=today)
            brought += 1
    return brought
