"""Account rules: creation, roles, authentication. Services take the actor explicitly."""

from __future__ import annotations

from collections.abc import Iterable

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import select
from sqlalchemy.orm import Session

from catalogue.accounts.models import Role, User, UserRole
from catalogue.accounts.passwords import hash_password, needs_rehash, verify_password
from catalogue.audit import services as audit
from catalogue.clock import now
from catalogue.errors import ValidationFailed

MIN_PASSWORD_LENGTH = 12


def normalise_email(email: str) -> str:
    """Lower-cased, trimmed, syntactically valid e-mail; raises ValidationFailed."""
    try:
        result = validate_email(email.strip(), check_deliverability=False)
    except EmailNotValidError:
        raise ValidationFailed(
            "Adresse e-mail invalide.", errors={"email": "Adresse e-mail invalide."}
        ) from None
    return result.normalized.lower()


def password_problem(password: str, email: str = "") -> str | None:
    """Why a password is not acceptable (French), or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Le mot de passe doit contenir au moins {MIN_PASSWORD_LENGTH} caractères."
    if len(password) > 128:
        return "Le mot de passe ne doit pas dépasser 128 caractères."
    if email and email.split("@")[0].lower() in password.lower():
        return "Le mot de passe ne doit pas contenir votre adresse e-mail."
    return None


def find_user(session: Session, email: str) -> User | None:
    try:
        email = normalise_email(email)
    except ValidationFailed:
        return None
    return session.scalar(select(User).where(User.email == email))


def create_user(
    session: Session,
    email: str,
    password: str | None,
    *,
    display_name: str = "",
    roles: Iterable[Role] = (),
    actor: User | None = None,
    verified: bool = False,
    locale: str = "fr",
) -> User:
    """Create an account. Raises ValidationFailed for a bad or taken e-mail or password."""
    email = normalise_email(email)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise ValidationFailed(
            "Un compte existe déjà avec cette adresse e-mail.",
            errors={"email": "Un compte existe déjà avec cette adresse e-mail."},
        )
    if password is not None:
        problem = password_problem(password, email)
        if problem:
            raise ValidationFailed(problem, errors={"password": problem})
    user = User(
        email=email,
        display_name=display_name.strip(),
        password_hash=hash_password(password) if password else None,
        email_verified_at=now() if verified else None,
        locale=locale,
    )
    user.roles = [UserRole(role=Role(r)) for r in dict.fromkeys(roles)]
    session.add(user)
    session.flush()
    audit.record(session, "user.created", actor=actor or user, subject=user,
                 payload={"roles": sorted(r.value for r in user.role_set)})
    return user


def grant_role(session: Session, user: User, role: Role, *, actor: User | None) -> None:
    """Give a global role (idempotent), audited."""
    if role in user.role_set:
        return
    user.roles.append(UserRole(role=role))
    session.flush()
    audit.record(session, "user.role_granted", actor=actor, subject=user, payload={"role": role.value})


def revoke_role(session: Session, user: User, role: Role, *, actor: User | None) -> None:
    """Remove a global role (idempotent), audited."""
    kept = [r for r in user.roles if r.role != role]
    if len(kept) == len(user.roles):
        return
    user.roles = kept
    session.flush()
    audit.record(session, "user.role_revoked", actor=actor, subject=user, payload={"role": role.value})


def authenticate(session: Session, email: str, password: str) -> User | None:
    """The active user with this e-mail and password, or None (same cost either way)."""
    user = find_user(session, email)
    if user is None or not user.is_active or user.erased_at is not None:
        verify_password(None, password)
        return None
    if not verify_password(user.password_hash, password):
        return None
    if needs_rehash(user.password_hash or ""):
        user.password_hash = hash_password(password)
    return user
