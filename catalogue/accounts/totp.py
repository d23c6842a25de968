"""TOTP second factor: secrets, codes usable once, QR codes, recovery codes."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import re
import secrets

import pyotp
import segno

from catalogue.clock import now

ISSUER = "Catalogue ENS"
STEP = 30
# Accept the previous and next step too: phones drift by a few seconds.
WINDOW = 1
RECOVERY_CODES = 10
_RECOVERY_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I


def new_secret() -> str:
    return pyotp.random_base32()


def provisioning_uri(secret: str, email: str) -> str:
    return pyotp.TOTP(secret, interval=STEP).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """The QR code of ``uri`` as an SVG data URI (allowed by the CSP's ``img-src data:``)."""
    buffer = io.BytesIO()
    segno.make(uri, error="m").save(buffer, kind="svg", scale=5, border=2, dark="#14232b",
                                    light="#ffffff", xmldecl=False, svgns=True)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def clean_code(raw: str) -> str:
    return re.sub(r"[\s-]", "", raw or "")


def matching_counter(secret: str, code: str, last_counter: int | None) -> int | None:
    """The time step ``code`` belongs to, if valid and newer than ``last_counter``.

    Returning the step lets the caller store it, so the same code (or an older
    one) is refused afterwards: a TOTP code is usable once.
    """
    code = clean_code(code)
    if not re.fullmatch(r"\d{6}", code):
        return None
    totp = pyotp.TOTP(secret, interval=STEP)
    current = int(now().timestamp()) // STEP
    for counter in range(current - WINDOW, current + WINDOW + 1):
        if last_counter is not None and counter <= last_counter:
            continue
        if hmac.compare_digest(totp.generate_otp(counter), code):
            return counter
    return None


def new_recovery_codes() -> list[str]:
    """Ten codes of 16 characters (80 bits each), shown once, formatted XXXX-XXXX-XXXX-XXXX."""
    codes = []
    for _ in range(RECOVERY_CODES):
        raw = "".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(16))
        codes.append("-".join(raw[i:i + 4] for i in range(0, 16, 4)))
    return codes


def hash_recovery_code(code: str) -> str:
    """SHA-256 is enough here: the codes are random with 80 bits, not chosen passwords."""
    return hashlib.sha256(clean_code(code).upper().encode()).hexdigest()
