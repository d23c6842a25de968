"""The workflow engine.

A ``Lifecycle`` is a table of ``Transition`` rows: name, source states, target
state, roles allowed, guards (each returns ``None`` or the reason, in French,
why the transition is not allowed) and effects (run after the state changed,
in the same transaction). ``available`` answers what an actor may do and why
not the rest; ``fire`` checks, changes the state with a version check, runs the
effects and records the audit event.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified
from sqlalchemy.orm.exc import StaleDataError

from catalogue.errors import Conflict, DomainError

SYSTEM = "system"  # the role of the clock (``flask workflows tick``)


class TransitionRefused(DomainError):
    """The transition is not available; ``message`` says why (shown to the user)."""

    status = 409


@dataclass
class Context:
    """What guards and effects see: the subject, who acts, with what data."""

    session: Session
    subject: Any
    actor: Any | None
    roles: frozenset[str]
    transition: Transition
    data: dict[str, Any] = field(default_factory=dict)
    # Effects add entries here; they end up in the audit event's payload.
    audit_payload: dict[str, Any] = field(default_factory=dict)
    source: str = ""


Guard = Callable[[Context], str | None]
Effect = Callable[[Context], None]
# Records a fired transition (the audit trail): session, action, actor, subject, payload.
Recorder = Callable[[Session, str, Any, Any, dict[str, Any]], object]


@dataclass(frozen=True)
class Transition:
    name: str
    sources: tuple[str, ...]
    target: str | Callable[[Context], str]
    roles: frozenset[str]
    label: str  # French label of the action button
    guards: tuple[Guard, ...] = ()
    effects: tuple[Effect, ...] = ()
    # Other states the target callable may choose (for diagrams and tests).
    alternative_targets: tuple[str, ...] = ()

    @property
    def targets(self) -> tuple[str, ...]:
        fixed = (self.target,) if isinstance(self.target, str) else ()
        return fixed + self.alternative_targets


@dataclass(frozen=True)
class Lifecycle:
    """States and transitions of one kind of subject.

    ``roles_of(session, subject, actor)`` gives the roles the actor holds *on this
    subject* (e.g. ``publisher`` only for members of the dossier's organisation,
    ``rapporteur`` only for those assigned): object-level authorisation lives here.
    """

    name: str
    states: tuple[str, ...]
    final: frozenset[str]
    transitions: tuple[Transition, ...]
    roles_of: Callable[[Session, Any, Any], frozenset[str]]
    # The domain injects its audit recorder: the engine knows no domain service.
    record: Recorder
    state_labels: dict[str, str] = field(default_factory=dict)
    state_attr: str = "state"
    # The refusal names the subject ("le dossier"); generic otherwise.
    subject_phrase: str = ""

    def transition(self, name: str) -> Transition:
        for t in self.transitions:
            if t.name == name:
                return t
        raise KeyError(f"{self.name} has no transition {name!r}")

    def state_of(self, subject: Any) -> str:
        value = getattr(subject, self.state_attr)
        return str(getattr(value, "value", value))


@dataclass(frozen=True)
class Availability:
    transition: Transition
    allowed: bool
    reason: str | None = None


def _roles(lifecycle: Lifecycle, session: Session, subject: Any, actor: Any | None,
           known: frozenset[str] | None) -> frozenset[str]:
    if actor is None:
        return frozenset({SYSTEM})
    # A view that already computed the actor's roles on this object passes them in.
    return known if known is not None else lifecycle.roles_of(session, subject, actor)


def _refusal(lifecycle: Lifecycle, transition: Transition, ctx: Context) -> str | None:
    state = lifecycle.state_of(ctx.subject)
    if state not in transition.sources:
        label = lifecycle.state_labels.get(state, state)
        if lifecycle.subject_phrase:
            return f"Action impossible : {lifecycle.subject_phrase} est dans l'état « {label} »."
        return f"Action impossible dans l'état « {label} »."
    if not (transition.roles & ctx.roles):
        return "Vous n'avez pas le rôle requis pour cette action."
    for guard in transition.guards:
        reason = guard(ctx)
        if reason:
            return reason
    return None


def available(
    session: Session,
    lifecycle: Lifecycle,
    subject: Any,
    actor: Any | None,
    *,
    names: Iterable[str] | None = None,
    data: dict[str, Any] | None = None,
    roles: frozenset[str] | None = None,
) -> list[Availability]:
    """Every transition leaving the subject's state that the actor holds a role for,
    with whether its guards pass and, if not, why."""
    roles = _roles(lifecycle, session, subject, actor, roles)
    state = lifecycle.state_of(subject)
    wanted = set(names) if names is not None else None
    result = []
    for transition in lifecycle.transitions:
        if wanted is not None and transition.name not in wanted:
            continue
        if state not in transition.sources or not (transition.roles & roles):
            continue
        ctx = Context(session, subject, actor, roles, transition, dict(data or {}), source=state)
        reason = _refusal(lifecycle, transition, ctx)
        result.append(Availability(transition, reason is None, reason))
    return result


def fire(
    session: Session,
    lifecycle: Lifecycle,
    subject: Any,
    name: str,
    actor: Any | None,
    *,
    roles: frozenset[str] | None = None,
    **data: Any,
) -> Context:
    """Fire one transition: check, change the state, run effects, audit.

    Raises ``TransitionRefused`` with the reason when the transition is not
    available, and ``Conflict`` when someone else changed the subject first
    (the subject's ``version_id`` moved under us). Nothing is committed here.
    """
    transition = lifecycle.transition(name)
    roles = _roles(lifecycle, session, subject, actor, roles)
    source = lifecycle.state_of(subject)
    ctx = Context(session, subject, actor, roles, transition, dict(data), source=source)
    reason = _refusal(lifecycle, transition, ctx)
    if reason:
        raise TransitionRefused(reason)
    target = transition.target(ctx) if callable(transition.target) else transition.target
    state_type = type(getattr(subject, lifecycle.state_attr))
    setattr(subject, lifecycle.state_attr, state_type(target) if state_type is not str else target)
    # Even a transition to the same state bumps the version, so concurrent fires conflict.
    flag_modified(subject, lifecycle.state_attr)
    try:
        # Flush the state change first: the version check fails here, before any effect.
        session.flush()
    except StaleDataError:
        raise Conflict(
            "Une autre personne vient de modifier cet objet ; rechargez la page et réessayez."
        ) from None
    for effect in transition.effects:
        effect(ctx)
    try:
        session.flush()
    except StaleDataError:
        raise Conflict(
            "Une autre personne vient de modifier cet objet ; rechargez la page et réessayez."
        ) from None
    lifecycle.record(session, f"{lifecycle.name}.{transition.name}", actor, subject,
                     {"from": source, "to": target, **ctx.audit_payload})
    return ctx
