"""The second factor: TOTP enrolment, verification with its attempt counter, recovery codes."""

from __future__ import annotations

import logging

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from catalogue.accounts import totp
from catalogue.accounts.models import RecoveryCode, User
from catalogue.audit import services as audit
from catalogue.clock import now
from catalogue.errors import PermissionDenied, ValidationFailed

log = logging.getLogger("catalogue.auth")


def start_totp_enrolment(session: Session, user: User) -> str:
    """The secret to enrol (created once and kept until enrolment is confirmed)."""
    if user.totp_enabled_at is not None:
        raise PermissionDenied("Le second facteur est déjà activé sur ce compte.")
    if not user.totp_secret:
        user.totp_secret = totp.new_secret()
        session.flush()
    return user.totp_secret


def confirm_totp_enrolment(session: Session, user: User, code: str) -> list[str]:
    """Activate TOTP once the user proves their app shows the right code.

    Returns the ten recovery codes, shown once; only their hashes are kept.
    """
    if user.totp_enabled_at is not None or not user.totp_secret:
        raise PermissionDenied("Aucune activation du second facteur n'est en cours.")
    counter = totp.matching_counter(user.totp_secret, code, user.totp_last_counter)
    if counter is None:
        audit.record(session, "auth.totp_enrolment_failed", actor=user, subject=user)
        message = "Code incorrect. Saisissez le code à 6 chiffres affiché par votre application."
        raise ValidationFailed(message, errors={"code": message})
    user.totp_last_counter = counter
    user.totp_enabled_at = now()
    codes = _replace_recovery_codes(session, user)
    audit.record(session, "auth.totp_enabled", actor=user, subject=user)
    return codes


def verify_second_factor(session: Session, user: User, code: str) -> str | None:
    """Check a TOTP code (usable once) or a recovery code (single use).

    Returns ``"totp"`` or ``"recovery_code"``, or None when refused; both
    outcomes are audited, so the caller commits either way.
    """
    if user.totp_enabled_at is None or not user.totp_secret:
        return None
    cleaned = totp.clean_code(code)
    method = None
    if cleaned.isdigit():
        counter = totp.matching_counter(user.totp_secret, cleaned, user.totp_last_counter)
        if counter is not None:
            user.totp_last_counter = counter
            method = "totp"
    elif len(cleaned) == 16:
        digest = totp.hash_recovery_code(cleaned)
        row = session.scalar(select(RecoveryCode).where(
            RecoveryCode.user_id == user.id, RecoveryCode.code_hash == digest,
            RecoveryCode.used_at.is_(None)))
        if row is not None:
            row.used_at = now()
            method = "recovery_code"
    session.flush()
    if method is None:
        audit.record(session, "auth.totp_failed", actor=user, subject=user)
        log.warning("second factor refused user_id=%s", user.id)
    else:
        audit.record(session, "auth.second_factor", actor=user, subject=user,
                     payload={"method": method})
    return method


def regenerate_recovery_codes(session: Session, user: User, code: str, *, actor: User) -> list[str]:
    """New recovery codes (the old ones stop working), after a fresh TOTP code."""
    if actor.id != user.id:
        raise PermissionDenied("Seul le titulaire du compte peut renouveler ses codes.")
    if user.totp_enabled_at is None or not user.totp_secret:
        raise PermissionDenied("Le second facteur n'est pas activé sur ce compte.")
    counter = totp.matching_counter(user.totp_secret, code, user.totp_last_counter)
    if counter is None:
        message = "Code incorrect. Saisissez le code à 6 chiffres affiché par votre application."
        raise ValidationFailed(message, errors={"code": message})
    user.totp_last_counter = counter
    codes = _replace_recovery_codes(session, user)
    audit.record(session, "auth.recovery_codes_renewed", actor=actor, subject=user)
    return codes


def remaining_recovery_codes(session: Session, user: User) -> int:
    return session.scalar(select(func.count()).select_from(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


def reset_second_factor(session: Session, user: User, *, actor: User) -> None:
    """Administrator: forget the user's TOTP (lost phone); they enrol again at next sign-in."""
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_counter = None
    session.execute(RecoveryCode.__table__.delete().where(RecoveryCode.user_id == user.id))
    user.session_version = (user.session_version or 1) + 1
    session.flush()
    audit.record(session, "auth.totp_reset", actor=actor, subject=user)


def _replace_recovery_codes(session: Session, user: User) -> list[str]:
    session.execute(RecoveryCode.__table__.delete().where(RecoveryCode.user_id == user.id))
    codes = totp.new_recovery_codes()
    session.add_all(RecoveryCode(user_id=user.id, code_hash=totp.hash_recovery_code(c))
                    for c in codes)
    session.flush()
    return codes
