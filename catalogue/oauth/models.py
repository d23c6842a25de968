"""OAuth clients of referenced apps, authorization codes and tokens.

Secrets, codes and tokens are stored as SHA-256 digests only: they are random
values of 256+ bits, so a plain digest is enough and a database leak gives
nothing usable. Whether a client may be used is never stored: it is read from
its listing's state at each request (published → usable), so suspension and
delisting need no hook here.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalogue.accounts.models import User
from catalogue.apps.models import App
from catalogue.clock import now
from catalogue.consents.models import Consent
from catalogue.db import Base


class OAuthClient(Base):
    """The OAuth client of one referenced app (one per app)."""

    __tablename__ = "oauth_clients"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[str] = mapped_column(String(64), unique=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id"), unique=True)
    # None until the publisher generates a secret: until then the client is public
    # (PKCE alone, RFC 9700 §2.1.1); once set, the token endpoint requires it.
    secret_hash: Mapped[str | None] = mapped_column(String(64))
    secret_set_at: Mapped[datetime | None]
    redirect_uris: Mapped[list[Any]] = mapped_column(default=list)
    created_at: Mapped[datetime] = mapped_column(default=now)

    app: Mapped[App] = relationship()


class OAuthCode(Base):
    """An authorization code: single use, short-lived, bound to PKCE and a consent."""

    __tablename__ = "oauth_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    client_pk: Mapped[int] = mapped_column(ForeignKey("oauth_clients.id", ondelete="CASCADE"),
                                           index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    consent_id: Mapped[int] = mapped_column(ForeignKey("consents.id", ondelete="CASCADE"))
    redirect_uri: Mapped[str] = mapped_column(Text)
    scope: Mapped[str] = mapped_column(Text)
    code_challenge: Mapped[str] = mapped_column(String(128))
    code_challenge_method: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=now)
    expires_at: Mapped[datetime]
    # Set at first use; a second use revokes what the first one issued (RFC 9700 §4.5).
    used_at: Mapped[datetime | None]

    client: Mapped[OAuthClient] = relationship()
    patient: Mapped[User] = relationship()


class OAuthToken(Base):
    """An access token and its refresh token; a refresh rotates into a new row."""

    __tablename__ = "oauth_tokens"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_pk: Mapped[int] = mapped_column(ForeignKey("oauth_clients.id", ondelete="CASCADE"),
                                           index=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    consent_id: Mapped[int] = mapped_column(ForeignKey("consents.id", ondelete="CASCADE"),
                                            index=True)
    code_id: Mapped[int | None] = mapped_column(ForeignKey("oauth_codes.id", ondelete="SET NULL"),
                                                index=True)
    access_token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    refresh_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    scope: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(default=now)
    expires_at: Mapped[datetime]
    refresh_expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    client: Mapped[OAuthClient] = relationship()
    patient: Mapped[User] = relationship()
    consent: Mapped[Consent] = relationship()
