"""Account rules: creation, sign-up, e-mail verification, passwords, second factor,
sessions, roles, preferences. Services take the actor explicitly, flush, never
commit, and record the audit event of what they change."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from functools import lru_cache

from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from catalogue import db
from catalogue.accounts import notifications as account_notifications
from catalogue.accounts import tokens
from catalogue.accounts.models import Role, User, UserRole
from catalogue.accounts.passwords import hash_password, needs_rehash, verify_password
from catalogue.audit import services as audit
from catalogue.clock import now
from catalogue.errors import NotFound, PermissionDenied, ValidationFailed
from catalogue.notifications.models import Notification

log = logging.getLogger("catalogue.auth")

MIN_PASSWORD_LENGTH = 12
MAX_PASSWORD_LENGTH = 128
LOCALES = ("fr", "en")


def normalise_email(email: str) -> str:
    """Lower-cased, trimmed, syntactically valid e-mail; raises ValidationFailed."""
    try:
        result = validate_email((email or "").strip(), check_deliverability=False)
    except EmailNotValidError:
        raise ValidationFailed(
            "Adresse e-mail invalide.", errors={"email": "Adresse e-mail invalide."}
        ) from None
    return result.normalized.lower()


def password_problem(password: str, email: str = "") -> str | None:
    """Why a password is not acceptable (French), or None."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Le mot de passe doit contenir au moins {MIN_PASSWORD_LENGTH} caractères."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Le mot de passe ne doit pas dépasser {MAX_PASSWORD_LENGTH} caractères."
    if len(set(password)) < 5:
        return "Le mot de passe est trop répétitif : variez les caractères."
    local = email.split("@")[0].lower()
    if local and len(local) >= 3 and local in password.lower():
        return "Le mot de passe ne doit pas contenir votre adresse e-mail."
    if is_common_password(password):
        return "Ce mot de passe est trop courant : choisissez-en un autre."
    return None


@lru_cache(maxsize=1)
def _common_passwords() -> frozenset[str]:
    # zxcvbn ships the 30,000 most frequent leaked passwords (French ones included).
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    return frozenset(FREQUENCY_LISTS["passwords"])


def is_common_password(password: str) -> bool:
    """True for a leaked-list password, also once trailing digits and symbols are removed
    ("motdepasse2026!" is "motdepasse" with a year)."""
    lowered = password.lower()
    base = lowered.rstrip("0123456789!?.,;:-_*#@$%&+= ")
    common = _common_passwords()
    return lowered in common or (len(base) >= 4 and base in common)


def find_user(session: Session, email: str) -> User | None:
    """The account with this address (normalised), or None."""
    try:
        email = normalise_email(email)
    except ValidationFailed:
        return None
    return session.scalar(select(User).where(User.email == email))


def get_user(session: Session, user_id: int) -> User:
    """The account with this id; NotFound otherwise."""
    user = session.get(User, user_id)
    if user is None:
        raise NotFound("Compte introuvable.")
    return user


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
    if locale not in LOCALES:
        locale = "fr"
    user = User(
        email=email,
        display_name=display_name.strip()[:120],
        password_hash=hash_password(password) if password else None,
        email_verified_at=now() if verified else None,
        locale=locale,
        session_version=1,
    )
    user.roles = [UserRole(role=Role(r)) for r in dict.fromkeys(roles)]
    session.add(user)
    session.flush()
    audit.record(session, "user.created", actor=actor or user, subject=user,
                 payload={"roles": sorted(r.value for r in user.role_set),
                          "verified": verified})
    return user


# --- Sign-up and e-mail verification ------------------------------------------


def register_patient(
    session: Session, *, email: str, password: str, display_name: str = "", locale: str = "fr"
) -> User | None:
    """Sign a patient up and send the verification link.

    When the address already has an account, nothing is created and its owner
    gets an e-mail saying so: the page shown is the same either way, so sign-up
    does not reveal which addresses have an account. Returns the new user or None.
    """
    address = normalise_email(email)
    problem = password_problem(password, address)
    if problem:
        raise ValidationFailed(problem, errors={"password": problem})
    existing = session.scalar(select(User).where(User.email == address))
    if existing is not None:
        signup_for_existing_account(session, existing, password)
        return None
    user = create_user(session, address, password, display_name=display_name,
                       roles=[Role.PATIENT], locale=locale)
    send_verification(session, user)
    return user


def existing_account(session: Session, email: str) -> User | None:
    """The account a sign-up with ``email`` would collide with (normalised), or None."""
    return session.scalar(select(User).where(User.email == normalise_email(email)))


def signup_for_existing_account(session: Session, existing: User, password: str) -> None:
    """A sign-up (patient or publisher) with an address that has an account: nothing is
    created, the owner is told by e-mail, and the answer and its cost look like a new
    account's, so sign-up does not reveal which addresses have an account."""
    hash_password(password)  # the hashing time a new account costs
    if existing.is_active and existing.erased_at is None:
        account_notifications.account_exists(session, existing)
    audit.record(session, "user.signup_existing", actor=None, subject=existing)
    log.info("signup attempted for an existing account user_id=%s", existing.id)


def send_verification(session: Session, user: User) -> None:
    """E-mail the user a link confirming their address (no-op when already verified)."""
    if user.email_verified_at is not None:
        return
    token = tokens.make_token(_secret_key(), user, tokens.VERIFY_EMAIL)
    account_notifications.verify_email(session, user, token=token)


def verify_email(session: Session, token: str) -> User:
    """Mark the address of the token's user as verified; InvalidToken otherwise."""
    user = tokens.read_token(session, _secret_key(), token, tokens.VERIFY_EMAIL)
    user.email_verified_at = now()
    session.flush()
    audit.record(session, "user.email_verified", actor=user, subject=user)
    return user


# --- Passwords ----------------------------------------------------------------


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


def request_password_reset(session: Session, email: str) -> None:
    """Send a reset link when the address has an active account; silent otherwise."""
    user = find_user(session, email)
    if user is None or not user.is_active or user.erased_at is not None:
        return
    token = tokens.make_token(_secret_key(), user, tokens.RESET_PASSWORD)
    account_notifications.password_reset(session, user, token=token)
    audit.record(session, "user.password_reset_requested", actor=None, subject=user)


def check_reset_token(session: Session, token: str) -> User:
    """The user a reset link is for; InvalidToken when it is expired or already used."""
    return tokens.read_token(session, _secret_key(), token, tokens.RESET_PASSWORD)


def reset_password(session: Session, token: str, new_password: str) -> User:
    """Set a new password from a reset link; every open session of the account ends."""
    user = check_reset_token(session, token)
    _set_password(session, user, new_password)
    # Following the link proves the address too.
    if user.email_verified_at is None:
        user.email_verified_at = now()
    session.flush()
    audit.record(session, "user.password_reset", actor=user, subject=user)
    return user


def change_password(
    session: Session, user: User, current_password: str, new_password: str, *, actor: User
) -> None:
    """Change the password after checking the current one; other sessions end.

    The caller re-issues its own session (``session_version`` changed).
    """
    if actor.id != user.id:
        raise PermissionDenied("Seul le titulaire du compte peut changer son mot de passe.")
    if not verify_password(user.password_hash, current_password):
        raise ValidationFailed(
            "Le mot de passe actuel est incorrect.",
            errors={"current_password": "Le mot de passe actuel est incorrect."},
        )
    if current_password == new_password:
        message = "Le nouveau mot de passe doit être différent de l'actuel."
        raise ValidationFailed(message, errors={"new_password": message})
    _set_password(session, user, new_password, field="new_password")
    audit.record(session, "user.password_changed", actor=actor, subject=user)


def _set_password(session: Session, user: User, password: str, field: str = "password") -> None:
    problem = password_problem(password, user.email)
    if problem:
        raise ValidationFailed(problem, errors={field: problem})
    user.password_hash = hash_password(password)
    user.session_version = (user.session_version or 1) + 1
    session.flush()
    account_notifications.password_changed(session, user)


# --- Sign-in events and sessions ---------------------------------------------


def record_login(session: Session, user: User, *, method: str = "password") -> None:
    """A successful sign-in (first factor)."""
    user.last_login_at = now()
    session.flush()
    audit.record(session, "auth.login", actor=user, subject=user, payload={"method": method})
    log.info("login user_id=%s", user.id)


def record_login_failure(session: Session, user: User | None, *, locked: bool = False) -> None:
    """A refused sign-in; the event names the account only when it exists."""
    subject = user if user is not None else ("User", None)
    audit.record(session, "auth.lockout" if locked else "auth.login_failed", actor=None,
                 subject=subject, payload={"known_account": user is not None})
    log.warning("%s user_id=%s", "lockout" if locked else "login failed",
                user.id if user else "-")


def record_locked_attempt(session: Session, user: User | None) -> None:
    """A sign-in tried while the address is locked out: refused unread, but recorded."""
    subject = user if user is not None else ("User", None)
    audit.record(session, "auth.login_while_locked", actor=None, subject=subject,
                 payload={"known_account": user is not None})
    log.warning("login while locked user_id=%s", user.id if user else "-")


def end_sessions(session: Session, user: User, *, actor: User | None, reason: str = "logout") -> None:
    """Revoke every session of the user (logout, or an administrator's action)."""
    user.session_version = (user.session_version or 1) + 1
    session.flush()
    audit.record(session, "auth.logout" if reason == "logout" else "auth.sessions_revoked",
                 actor=actor, subject=user, payload={"reason": reason})
    log.info("sessions ended user_id=%s reason=%s", user.id, reason)


# --- Second factor ------------------------------------------------------------


# --- Roles --------------------------------------------------------------------


def grant_role(session: Session, user: User, role: Role, *, actor: User | None) -> None:
    """Give a global role (idempotent), audited."""
    role = Role(role)
    if role in user.role_set:
        return
    user.roles.append(UserRole(role=role))
    session.flush()
    audit.record(session, "user.role_granted", actor=actor, subject=user, payload={"role": role.value})


def revoke_role(session: Session, user: User, role: Role, *, actor: User | None) -> None:
    """Remove a global role (idempotent), audited. The last administrator keeps theirs."""
    role = Role(role)
    if role not in user.role_set:
        return
    if role == Role.ADMIN:
        admins = session.scalar(select(func.count()).select_from(UserRole).join(User).where(
            UserRole.role == Role.ADMIN, User.is_active.is_(True), User.erased_at.is_(None)))
        if (admins or 0) <= 1:
            raise PermissionDenied("Impossible de retirer le rôle du dernier administrateur.")
    user.roles = [r for r in user.roles if r.role != role]
    session.flush()
    audit.record(session, "user.role_revoked", actor=actor, subject=user, payload={"role": role.value})


# --- Preferences and notifications ---------------------------------------------


def set_locale(session: Session, user: User, locale: str, *, actor: User) -> None:
    """The language of the interface and of e-mails for this account."""
    if locale not in LOCALES:
        raise ValidationFailed("Langue inconnue.", errors={"locale": "Langue inconnue."})
    if user.locale == locale:
        return
    before = user.locale
    user.locale = locale
    session.flush()
    audit.record(session, "user.locale_changed", actor=actor, subject=user,
                 payload={"before": before, "after": locale})


def mark_notifications_read(
    session: Session, user: User, ids: Iterable[int] | None = None, *, actor: User
) -> int:
    """Mark some (or all) of the user's unread notifications read; returns how many."""
    if actor.id != user.id:
        raise PermissionDenied("Ces notifications ne sont pas les vôtres.")
    statement = update(Notification).where(
        Notification.user_id == user.id, Notification.read_at.is_(None))
    if ids is not None:
        statement = statement.where(Notification.id.in_(list(ids)))
    result = session.execute(statement.values(read_at=now()).execution_options(
        synchronize_session=False))
    return db.changed_rows(result)


def _secret_key() -> str:
    # Links are signed with the application's key; services run in an app context
    # (request, CLI, job, test) and never read the request itself.
    from flask import current_app

    return str(current_app.config["SECRET_KEY"])
