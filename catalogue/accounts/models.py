"""Users, their global roles and second-factor recovery codes."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalogue.clock import now
from catalogue.db import Base, enum_column


class Role(enum.StrEnum):
    """Global roles (DESIGN §3). Publisher roles are per organisation (``Membership``)."""

    PATIENT = "patient"
    SECRETARIAT = "secretariat"
    RAPPORTEUR = "rapporteur"
    MEMBER = "member"
    CHAIR = "chair"
    DECISION_MAKER = "decision_maker"
    ADMIN = "admin"


COMMISSION_ROLES = frozenset(
    {Role.SECRETARIAT, Role.RAPPORTEUR, Role.MEMBER, Role.CHAIR, Role.DECISION_MAKER}
)
# Roles that must sign in with a second factor (DESIGN §3).
SECOND_FACTOR_ROLES = COMMISSION_ROLES | {Role.ADMIN}


class User(Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(254), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str | None] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(default=True)
    email_verified_at: Mapped[datetime | None]
    # Bumped on logout-everywhere and password change: sessions carrying an older
    # value are refused on the next request (server-side revocation).
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_enabled_at: Mapped[datetime | None]
    # Last accepted TOTP time step: a code is usable once.
    totp_last_counter: Mapped[int | None] = mapped_column(Integer)
    locale: Mapped[str] = mapped_column(String(5), default="fr")
    created_at: Mapped[datetime] = mapped_column(default=now)
    last_login_at: Mapped[datetime | None]
    erased_at: Mapped[datetime | None]

    roles: Mapped[list[UserRole]] = relationship(
        back_populates="user", cascade="all, delete-orphan", lazy="selectin"
    )

    # Flask-Login protocol, kept here so the model needs no Flask import.
    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        return f"{self.id}:{self.session_version}"

    @property
    def role_set(self) -> frozenset[Role]:
        return frozenset(r.role for r in self.roles)

    def has_role(self, *roles: Role) -> bool:
        return any(r in self.role_set for r in roles)

    @property
    def needs_second_factor(self) -> bool:
        return bool(self.role_set & SECOND_FACTOR_ROLES)

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"


class UserRole(Base):
    __tablename__ = "user_roles"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    role: Mapped[Role] = mapped_column(enum_column(Role), primary_key=True)
    granted_at: Mapped[datetime] = mapped_column(default=now)

    user: Mapped[User] = relationship(back_populates="roles")


class RecoveryCode(Base):
    """A single-use second-factor recovery code, stored hashed."""

    __tablename__ = "recovery_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(Text)
    used_at: Mapped[datetime | None]


class ExternalIdentity(Base):
    """An account at an OpenID Connect provider (Pro Santé Connect, FranceConnect) linked
    to a user: the provider's ``sub`` is stable, the e-mail may change."""

    __tablename__ = "external_identities"
    __table_args__ = (UniqueConstraint("provider", "subject"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    provider: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(255))
    linked_at: Mapped[datetime] = mapped_column(default=now)
    last_used_at: Mapped[datetime | None]
