"""Publisher rules: sign-up, verification, members and invitations.

Every function takes the acting user explicitly, flushes, never commits, and
records its audit event. An organisation always keeps at least one owner.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, cast

from email_validator import EmailNotValidError, validate_email
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from catalogue.accounts import services as accounts
from catalogue.accounts.models import Role, User
from catalogue.accounts.queries import users_with_role
from catalogue.audit import services as audit
from catalogue.clock import now
from catalogue.dossiers.models import Evidence
from catalogue.errors import DomainError, PermissionDenied, ValidationFailed
from catalogue.publishers import notifications as publisher_notifications
from catalogue.publishers.identifiers import normalise, siren_problem, siret_problem
from catalogue.publishers.models import (
    Invitation,
    MemberRole,
    Membership,
    Organisation,
    OrganisationStatus,
)
from catalogue.publishers.permissions import require_member
from catalogue.publishers.queries import INVITATION_LIFETIME, member_role, member_users, pending_invitations

_INVITATION_SALT = "catalogue-ens/invitation"


# --- Look-ups ------------------------------------------------------------------------------


# --- Sign-up and verification --------------------------------------------------------------

@dataclass
class OrganisationFields:
    legal_name: str
    siren: str
    siret: str | None
    address: str
    postal_code: str
    city: str
    legal_representative: str
    contact_email: str
    contact_phone: str


def _clean_fields(
    session: Session, *, legal_name: str, siren: str | None, siret: str | None, address: str,
    postal_code: str, city: str, legal_representative: str, contact_email: str,
    contact_phone: str,
) -> OrganisationFields:
    errors: dict[str, str] = {}
    legal_name = (legal_name or "").strip()
    if not legal_name:
        errors["legal_name"] = "Indiquez la raison sociale."
    elif len(legal_name) > 200:
        errors["legal_name"] = "La raison sociale ne doit pas dépasser 200 caractères."
    # ``siren`` None: an update, where the SIREN is the organisation's own and never changes.
    siren_digits = normalise(siren) if siren is not None else ""
    problem = siren_problem(siren_digits) if siren is not None else None
    if problem:
        errors["siren"] = problem
    elif siren is not None and session.scalar(
        select(Organisation.id).where(Organisation.siren == siren_digits)
    ):
        errors["siren"] = "Une organisation est déjà inscrite avec ce SIREN."
    siret_digits = normalise(siret or "") or None
    if siret_digits and siren is not None:
        problem = siret_problem(siret_digits, None if "siren" in errors else siren_digits)
        if problem:
            errors["siret"] = problem
    postal_code = (postal_code or "").strip()
    if postal_code and not (len(postal_code) == 5 and postal_code.isdigit()):
        errors["postal_code"] = "Le code postal compte 5 chiffres."
    contact_email = (contact_email or "").strip()
    if contact_email:
        try:
            contact_email = validate_email(contact_email, check_deliverability=False).normalized
        except EmailNotValidError:
            errors["contact_email"] = "Adresse e-mail de contact invalide."
    contact_phone = (contact_phone or "").strip()
    if contact_phone and not all(c.isdigit() or c in " +.-()" for c in contact_phone):
        errors["contact_phone"] = "Numéro de téléphone invalide."
    for name, value, limit in (("address", address, 300), ("city", city, 120),
                               ("legal_representative", legal_representative, 200),
                               ("contact_phone", contact_phone, 40)):
        if value and len(value.strip()) > limit:
            errors[name] = f"Ce champ ne doit pas dépasser {limit} caractères."
    if errors:
        raise ValidationFailed(next(iter(errors.values())), errors=errors)
    return OrganisationFields(
        legal_name=legal_name, siren=siren_digits, siret=siret_digits,
        address=(address or "").strip(), postal_code=postal_code, city=(city or "").strip(),
        legal_representative=(legal_representative or "").strip(),
        contact_email=contact_email, contact_phone=contact_phone,
    )


def register_publisher(
    session: Session, *, user: User, legal_name: str, siren: str, siret: str | None = None,
    address: str = "", postal_code: str = "", city: str = "", legal_representative: str = "",
    contact_email: str = "", contact_phone: str = "",
) -> Organisation:
    """Register an organisation, pending verification; ``user`` becomes its owner."""
    fields = _clean_fields(
        session, legal_name=legal_name, siren=siren, siret=siret, address=address,
        postal_code=postal_code, city=city, legal_representative=legal_representative,
        contact_email=contact_email or user.email, contact_phone=contact_phone,
    )
    organisation = Organisation(**vars(fields), status=OrganisationStatus.PENDING)
    organisation.memberships.append(Membership(user_id=user.id, role=MemberRole.OWNER))
    session.add(organisation)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        # Someone registered the same SIREN between our check and our insert.
        message = "Une organisation est déjà inscrite avec ce SIREN."
        raise ValidationFailed(message, errors={"siren": message}) from None
    audit.record(session, "organisation.registered", actor=user, subject=organisation,
                 payload={"siren": fields.siren, "siret": fields.siret})
    publisher_notifications.awaiting_verification(
        session, users_with_role(session, Role.SECRETARIAT), organisation, updated=False)
    return organisation


def sign_up_publisher(
    session: Session, *, email: str, password: str, display_name: str = "", locale: str = "fr",
    **organisation_fields: str | None,
) -> tuple[User, Organisation] | None:
    """Create the account and its organisation in one go (``/inscription/editeur``).

    Errors of both are gathered so the form shows them all at once. An address that
    already has an account is never named: when everything else is valid, nothing is
    created, the owner of the address gets an e-mail (as with patient sign-up), and
    None is returned so that the page shown is the same as for a new account.
    """
    errors: dict[str, str] = {}
    user: User | None = None
    existing: User | None = None
    try:
        existing = accounts.existing_account(session, email)
        if existing is not None:
            problem = accounts.password_problem(password, existing.email)
            if problem:
                errors["password"] = problem
        else:
            with session.begin_nested():
                user = accounts.create_user(session, email, password, display_name=display_name,
                                            locale=locale)
    except ValidationFailed as exc:
        errors.update(exc.errors if isinstance(exc.errors, dict) else {"email": exc.message})
        user = None
    try:
        if user is None:
            # Validate the organisation's fields anyway, to report every problem at once.
            _clean_fields(session, **{k: organisation_fields.get(k) or "" for k in (
                "legal_name", "siren", "address", "postal_code", "city",
                "legal_representative", "contact_email", "contact_phone")},
                siret=organisation_fields.get("siret"))
        else:
            fields = cast("dict[str, Any]", organisation_fields)
            organisation = register_publisher(session, user=user, **fields)
    except ValidationFailed as exc:
        errors.update(exc.errors if isinstance(exc.errors, dict) else {})
    if errors:
        raise ValidationFailed(next(iter(errors.values())), errors=errors)
    if existing is not None:
        accounts.signup_for_existing_account(session, existing, password)
        return None
    assert user is not None
    return user, organisation


def verify_organisation(
    session: Session, organisation: Organisation, *, actor: User, approve: bool = True,
    reason: str | None = None,
) -> Organisation:
    """The secretariat verifies (or rejects, with a reason) a pending organisation against
    its registration extract."""
    if actor is None or not actor.has_role(Role.SECRETARIAT):
        raise PermissionDenied("Seul le secrétariat vérifie les organisations.")
    if organisation.status == OrganisationStatus.VERIFIED and approve:
        raise DomainError("Cette organisation est déjà vérifiée.")
    reason = (reason or "").strip()
    if approve:
        extract = session.scalar(
            select(Evidence.id).where(
                Evidence.organisation_id == organisation.id,
                Evidence.kind == "registration_extract",
            ).limit(1)
        )
        if extract is None:
            raise DomainError(
                "L'organisation n'a pas encore déposé son extrait d'immatriculation (Kbis)."
            )
        organisation.status = OrganisationStatus.VERIFIED
        organisation.verified_at = now()
        organisation.verified_by_id = actor.id
        organisation.rejection_reason = None
    else:
        if not reason:
            raise ValidationFailed("Indiquez le motif du refus.",
                                   errors={"reason": "Indiquez le motif du refus."})
        organisation.status = OrganisationStatus.REJECTED
        organisation.rejection_reason = reason
        organisation.verified_at = None
        organisation.verified_by_id = None
    session.flush()
    audit.record(session, "organisation.verified" if approve else "organisation.rejected",
                 actor=actor, subject=organisation,
                 payload={"status": organisation.status.value})
    publisher_notifications.organisation_checked(session, member_users(session, organisation.id),
                                                 organisation, approved=approve, reason=reason)
    return organisation


def update_organisation(session: Session, organisation: Organisation, *, actor: User,
                        **fields: str | None) -> Organisation:
    """An owner updates the contact details. The SIREN never changes; a rejected
    organisation goes back to pending so the secretariat looks again."""
    require_member(session, organisation, actor, owner=True)
    current = {k: getattr(organisation, k) for k in (
        "legal_name", "address", "postal_code", "city", "legal_representative",
        "contact_email", "contact_phone")}
    values = {**current, **{k: v for k, v in fields.items() if k in current and v is not None}}
    cleaned = _clean_fields(session, siren=None, siret=None, **values)
    before = {}
    after = {}
    for key in current:
        new = getattr(cleaned, key)
        if new != current[key]:
            before[key], after[key] = current[key], new
            setattr(organisation, key, new)
    if "siret" in fields:
        siret = normalise(fields["siret"] or "") or None
        if siret:
            problem = siret_problem(siret, organisation.siren)
            if problem:
                raise ValidationFailed(problem, errors={"siret": problem})
        if siret != organisation.siret:
            before["siret"], after["siret"] = organisation.siret, siret
            organisation.siret = siret
    reopened = organisation.status == OrganisationStatus.REJECTED and bool(after)
    if reopened:
        organisation.status = OrganisationStatus.PENDING
    session.flush()
    if reopened:
        publisher_notifications.awaiting_verification(
            session, users_with_role(session, Role.SECRETARIAT), organisation, updated=True)
    # Field names only: contact values may be personal data.
    audit.record(session, "organisation.updated", actor=actor, subject=organisation,
                 payload={"fields": sorted(after)})
    return organisation


# --- Members and invitations ---------------------------------------------------------------

def _serializer(secret_key: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=_INVITATION_SALT)


def invitation_token(secret_key: str, invitation: Invitation) -> str:
    """The signed token of an invitation link."""
    return _serializer(secret_key).dumps({"i": invitation.id, "e": invitation.email})


def invite_member(
    session: Session, organisation: Organisation, *, actor: User, email: str, role: MemberRole,
    secret_key: str,
) -> Invitation:
    """An owner invites someone by e-mail; the link is signed and expires in 7 days."""
    require_member(session, organisation, actor, owner=True)
    try:
        email = accounts.normalise_email(email)
    except ValidationFailed:
        raise ValidationFailed("Adresse e-mail invalide.",
                               errors={"email": "Adresse e-mail invalide."}) from None
    role = MemberRole(role)
    existing_member = session.scalar(
        select(Membership.id).join(User, User.id == Membership.user_id).where(
            Membership.organisation_id == organisation.id, User.email == email)
    )
    if existing_member:
        message = "Cette personne est déjà membre de l'organisation."
        raise ValidationFailed(message, errors={"email": message})
    # A new invitation replaces a pending one for the same address.
    for old in pending_invitations(session, organisation):
        if old.email == email:
            old.revoked_at = now()
    invitation = Invitation(organisation_id=organisation.id, email=email, role=role,
                            invited_by_id=actor.id)
    session.add(invitation)
    session.flush()
    audit.record(session, "organisation.member_invited", actor=actor, subject=organisation,
                 payload={"invitation_id": invitation.id, "role": role.value})
    token = invitation_token(secret_key, invitation)
    publisher_notifications.invitation(session, email, organisation, inviter=actor, role=role.value,
                                       path=f"/editeur/invitation/{token}",
                                       expires_days=INVITATION_LIFETIME.days)
    return invitation


def read_invitation(session: Session, token: str, *, secret_key: str) -> Invitation:
    """The pending invitation a link names; DomainError (French) when it is not usable."""
    try:
        data = _serializer(secret_key).loads(token, max_age=int(INVITATION_LIFETIME.total_seconds()))
    except SignatureExpired:
        raise DomainError("Cette invitation a expiré. Demandez-en une nouvelle.") from None
    except BadSignature:
        raise DomainError("Ce lien d'invitation n'est pas valide.") from None
    if not isinstance(data, dict) or not isinstance(data.get("i"), int):
        raise DomainError("Ce lien d'invitation n'est pas valide.")
    invitation = session.get(Invitation, data["i"])
    if invitation is None or invitation.email != data.get("e"):
        raise DomainError("Ce lien d'invitation n'est pas valide.")
    if invitation.accepted_at is not None:
        raise DomainError("Cette invitation a déjà été acceptée.")
    if invitation.revoked_at is not None:
        raise DomainError("Cette invitation a été annulée.")
    return invitation


def accept_invitation(session: Session, token: str, *, user: User, secret_key: str) -> Membership:
    """The invited person (signed in with the invited address) joins the organisation."""
    invitation = read_invitation(session, token, secret_key=secret_key)
    if user.email != invitation.email:
        raise PermissionDenied(
            "Cette invitation est adressée à une autre adresse e-mail que celle de votre compte."
        )
    if member_role(session, invitation.organisation_id, user.id) is not None:
        raise DomainError("Vous êtes déjà membre de cette organisation.")
    membership = Membership(organisation_id=invitation.organisation_id, user_id=user.id,
                            role=invitation.role)
    session.add(membership)
    invitation.accepted_at = now()
    invitation.accepted_by_id = user.id
    if user.email_verified_at is None:
        # Following the link proves the address.
        user.email_verified_at = now()
    session.flush()
    audit.record(session, "organisation.member_joined", actor=user,
                 subject=("Organisation", invitation.organisation_id),
                 payload={"invitation_id": invitation.id, "user_id": user.id,
                          "role": invitation.role.value})
    return membership


def revoke_invitation(session: Session, invitation: Invitation, *, actor: User) -> None:
    """An owner cancels a pending invitation."""
    require_member(session, invitation.organisation, actor, owner=True)
    if invitation.accepted_at is not None or invitation.revoked_at is not None:
        raise DomainError("Cette invitation n'est plus en attente.")
    invitation.revoked_at = now()
    session.flush()
    audit.record(session, "organisation.invitation_revoked", actor=actor,
                 subject=invitation.organisation, payload={"invitation_id": invitation.id})


def _lock_owners(session: Session, organisation_id: int) -> int:
    """Count owners, locking the memberships so two removals cannot both pass the check."""
    query = select(Membership.id).where(Membership.organisation_id == organisation_id,
                                        Membership.role == MemberRole.OWNER)
    if session.get_bind().dialect.name == "postgresql":
        return len(session.scalars(query.with_for_update()).all())
    return session.scalar(select(func.count()).select_from(query.subquery())) or 0


def change_member_role(session: Session, membership: Membership, *, actor: User,
                       role: MemberRole) -> Membership:
    """An owner changes a member's role; the last owner cannot step down."""
    require_member(session, membership.organisation, actor, owner=True)
    role = MemberRole(role)
    if membership.role == role:
        return membership
    if membership.role == MemberRole.OWNER and _lock_owners(session, membership.organisation_id) <= 1:
        raise DomainError("L'organisation doit garder au moins un propriétaire.")
    before = membership.role.value
    membership.role = role
    session.flush()
    audit.record(session, "organisation.member_role_changed", actor=actor,
                 subject=membership.organisation,
                 payload={"user_id": membership.user_id, "before": before, "after": role.value})
    return membership


def remove_member(session: Session, membership: Membership, *, actor: User) -> None:
    """An owner removes a member (or a member leaves); the last owner cannot go."""
    organisation = membership.organisation
    if actor.id != membership.user_id:
        require_member(session, organisation, actor, owner=True)
    if membership.role == MemberRole.OWNER and _lock_owners(session, organisation.id) <= 1:
        raise DomainError("L'organisation doit garder au moins un propriétaire.")
    user_id = membership.user_id
    session.delete(membership)
    session.flush()
    audit.record(session, "organisation.member_removed", actor=actor, subject=organisation,
                 payload={"user_id": user_id})


