"""Patients' consents: connecting an app to their space, revoking, history, and the
account's export and erasure.

A consent grants an app a set of data categories, each chosen one by one among
those its listing declares. Every change appends a ``ConsentEvent`` (the history
the patient sees) and an audit event (ids only, no personal data).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from catalogue.accounts.models import User
from catalogue.apps.models import App
from catalogue.audit import services as audit
from catalogue.clock import now
from catalogue.consents.models import Consent, ConsentEvent, ConsentEventKind, ConsentState
from catalogue.errors import DomainError, NotFound, ValidationFailed
from catalogue.listings.models import Listing, ListingState

LIVE_STATES = (ConsentState.ACTIVE, ConsentState.SUSPENDED)


def live_consent(session: Session, patient: User, app_id: int) -> Consent | None:
    """The patient's current (active or suspended) consent to an app, if any."""
    return session.scalar(
        select(Consent).where(Consent.patient_id == patient.id, Consent.app_id == app_id,
                              Consent.state.in_(LIVE_STATES))
    )


def grant_consent(
    session: Session, listing: Listing, scopes: Iterable[str], *, actor: User
) -> Consent:
    """Connect the listing's app to the patient's space with the chosen data categories.

    Each scope must be one the listing declares; at least one is needed. A patient
    already connected updates the categories granted (a new ``granted`` event).
    """
    if listing.state != ListingState.PUBLISHED:
        raise DomainError("Cette application n'est pas disponible à la connexion pour le moment.")
    # What the decision covers, never the live profile (the agreement's categories).
    declared = list(listing.profile.data_categories)
    chosen = [code for code in declared if code in set(scopes)]
    unknown = sorted(set(scopes) - set(declared))
    if unknown:
        raise ValidationFailed("Catégories inconnues.", errors={
            "scopes": "Ces catégories ne sont pas déclarées par l'application : " + ", ".join(unknown)})
    if not chosen:
        raise ValidationFailed("Aucune catégorie choisie.", errors={
            "scopes": "Cochez au moins une catégorie de données à partager."})
    consent = live_consent(session, actor, listing.app_id)
    moment = now()
    if consent is None:
        consent = Consent(patient_id=actor.id, app_id=listing.app_id, state=ConsentState.ACTIVE,
                          scopes=chosen, granted_at=moment)
        session.add(consent)
        before: list[str] = []
    else:
        if consent.state == ConsentState.SUSPENDED:
            raise DomainError("Cette connexion est suspendue tant que l'application l'est.")
        before = list(consent.scopes)
        consent.scopes = chosen
        consent.granted_at = moment
    session.flush()
    session.add(ConsentEvent(consent_id=consent.id, kind=ConsentEventKind.GRANTED, scopes=chosen,
                             occurred_at=moment))
    session.flush()
    audit.record(session, "consent.granted", actor=actor, subject=consent,
                 payload={"app_id": listing.app_id, "before": before, "after": chosen})
    return consent


def revoke_consent(session: Session, consent: Consent, *, actor: User, note: str = "") -> Consent:
    """Revoke a consent (the patient, at any time; also on account deletion)."""
    if consent.patient_id != actor.id:
        raise NotFound("Connexion introuvable.")
    if consent.state == ConsentState.REVOKED:
        raise DomainError("Cette connexion est déjà révoquée.")
    moment = now()
    consent.state = ConsentState.REVOKED
    consent.revoked_at = moment
    session.add(ConsentEvent(consent_id=consent.id, kind=ConsentEventKind.REVOKED,
                             scopes=list(consent.scopes), note=note[:300], occurred_at=moment))
    session.flush()
    audit.record(session, "consent.revoked", actor=actor, subject=consent,
                 payload={"app_id": consent.app_id, "scopes": list(consent.scopes)})
    return consent


def consent_for_patient(session: Session, consent_id: int, patient: User) -> Consent:
    """A consent of this patient (404 for anyone else's)."""
    consent = session.get(Consent, consent_id)
    if consent is None or consent.patient_id != patient.id:
        raise NotFound("Connexion introuvable.")
    return consent


def consents_of(session: Session, patient: User) -> list[Consent]:
    """All the patient's consents (live first, then revoked), with their app."""
    order = {ConsentState.ACTIVE: 0, ConsentState.SUSPENDED: 1, ConsentState.REVOKED: 2}
    rows = session.scalars(
        select(Consent).where(Consent.patient_id == patient.id)
        .options(joinedload(Consent.app)).order_by(Consent.granted_at.desc(), Consent.id.desc())
    ).all()
    return sorted(rows, key=lambda c: order[c.state])


def history_of(session: Session, patient: User) -> list[ConsentEvent]:
    """Every grant, revocation, suspension and resumption of the patient, newest first."""
    return list(session.scalars(
        select(ConsentEvent).join(Consent).where(Consent.patient_id == patient.id)
        .options(joinedload(ConsentEvent.consent).joinedload(Consent.app))
        .order_by(ConsentEvent.occurred_at.desc(), ConsentEvent.id.desc())
    ))


def _notify(session: Session, consents: list[Consent], message: str, app: App, cause: str) -> None:
    from catalogue.notifications import services as notifications

    patients = session.scalars(
        select(User).where(User.id.in_({c.patient_id for c in consents}))
    ).all()
    notifications.notify(session, patients, message, {"app_name": app.name, "cause": cause},
                         link="/compte/connexions")


def suspend_for_app(session: Session, app: App, *, cause: str) -> int:
    """Suspend the active consents to an app (listing suspended, delisted or expired)
    and tell each patient. Returns how many were suspended."""
    consents = list(session.scalars(
        select(Consent).where(Consent.app_id == app.id, Consent.state == ConsentState.ACTIVE)
    ))
    moment = now()
    for consent in consents:
        consent.state = ConsentState.SUSPENDED
        consent.suspended_at = moment
        session.add(ConsentEvent(consent_id=consent.id, kind=ConsentEventKind.SUSPENDED,
                                 scopes=list(consent.scopes), note=cause, occurred_at=moment))
    if consents:
        session.flush()
        _notify(session, consents, "consent_suspended", app, cause)
    return len(consents)


def resume_for_app(session: Session, app: App) -> int:
    """Resume the suspended consents of an app whose listing was reinstated."""
    consents = list(session.scalars(
        select(Consent).where(Consent.app_id == app.id, Consent.state == ConsentState.SUSPENDED)
    ))
    moment = now()
    for consent in consents:
        consent.state = ConsentState.ACTIVE
        consent.suspended_at = None
        session.add(ConsentEvent(consent_id=consent.id, kind=ConsentEventKind.RESUMED,
                                 scopes=list(consent.scopes), note="reinstated", occurred_at=moment))
    if consents:
        session.flush()
        _notify(session, consents, "consent_resumed", app, "reinstated")
    return len(consents)


# --- The account's data ----------------------------------------------------------


def export_account(session: Session, user: User) -> dict[str, Any]:
    """Everything the platform holds about the user, as JSON-ready data."""
    from catalogue.listings.services import reports_of
    from catalogue.notifications.models import Notification

    def iso(value: Any) -> Any:
        return value.isoformat() if value is not None else None

    consents = consents_of(session, user)
    events = history_of(session, user)
    notes = session.scalars(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    ).all()
    audit.record(session, "account.exported", actor=user, subject=user)
    return {
        "exported_at": iso(now()),
        "account": {
            "email": user.email, "display_name": user.display_name, "locale": user.locale,
            "roles": sorted(r.value for r in user.role_set), "created_at": iso(user.created_at),
            "last_login_at": iso(user.last_login_at),
            "email_verified_at": iso(user.email_verified_at),
            "second_factor_enabled": user.totp_enabled_at is not None,
        },
        "consents": [
            {"app": c.app.slug, "app_name": c.app.name, "state": c.state.value,
             "scopes": list(c.scopes), "granted_at": iso(c.granted_at),
             "revoked_at": iso(c.revoked_at), "suspended_at": iso(c.suspended_at)}
            for c in consents
        ],
        "consent_history": [
            {"app": e.consent.app.slug, "kind": e.kind.value, "scopes": list(e.scopes),
             "occurred_at": iso(e.occurred_at)}
            for e in events
        ],
        "reports": [
            {"app": r.listing.app.slug, "kind": r.kind.value, "text": r.text,
             "status": r.status.value, "created_at": iso(r.created_at),
             "resolution_note": r.resolution_note}
            for r in reports_of(session, user)
        ],
        "notifications": [
            {"title": n.title, "body": n.body, "link": n.link, "created_at": iso(n.created_at)}
            for n in notes
        ],
    }


def delete_account(session: Session, user: User, *, actor: User) -> None:
    """Erase the account: consents revoked, personal data erased, sessions ended.

    Audit events are kept: they carry ids, never e-mails or names. Reports stay
    (the listing's problem is still real) without their author's identity.
    """
    from sqlalchemy import delete, update

    from catalogue.accounts.models import RecoveryCode, Role, UserRole
    from catalogue.listings.models import Report
    from catalogue.notifications.models import Notification, OutboxMessage
    from catalogue.publishers.models import Membership

    if actor.id != user.id:
        raise NotFound("Compte introuvable.")
    if user.erased_at is not None:
        raise DomainError("Ce compte est déjà supprimé.")
    if session.scalar(select(Membership.id).where(Membership.user_id == user.id).limit(1)):
        raise DomainError(
            "Ce compte est membre d'un éditeur : quittez d'abord l'organisation "
            "(ou transférez-en la gestion) avant de supprimer votre compte."
        )
    if user.role_set - {Role.PATIENT}:
        raise DomainError(
            "Ce compte porte un rôle de la commission ou d'administration : "
            "demandez à un administrateur de le clôturer."
        )
    revoked = 0
    for consent in session.scalars(
        select(Consent).where(Consent.patient_id == user.id, Consent.state.in_(LIVE_STATES))
    ):
        revoke_consent(session, consent, actor=user, note="account_deleted")
        revoked += 1
    session.execute(
        update(Report).where(Report.reporter_id == user.id).values(reporter_id=None)
    )
    for model in (Notification, RecoveryCode, UserRole):
        session.execute(delete(model).where(model.user_id == user.id))
    # Copies of e-mails sent to the user carry their address and their content.
    session.execute(delete(OutboxMessage).where(OutboxMessage.recipient == user.email))
    session.expire(user, ["roles"])
    user.email = f"supprime-{user.id}@invalid.example"
    user.display_name = ""
    user.password_hash = None
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_counter = None
    user.is_active = False
    user.erased_at = now()
    # Any cookie still carrying the old session version stops working.
    user.session_version += 1
    session.flush()
    audit.record(session, "account.erased", actor=None, subject=user,
                 payload={"consents_revoked": revoked})
