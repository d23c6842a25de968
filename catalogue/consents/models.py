"""Patients' consents: which app may use which data categories of their space."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalogue.apps.models import App
from catalogue.clock import now
from catalogue.db import Base, enum_column


class ConsentState(enum.StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"  # the listing was suspended or delisted
    REVOKED = "revoked"


class ConsentEventKind(enum.StrEnum):
    GRANTED = "granted"
    REVOKED = "revoked"
    SUSPENDED = "suspended"
    RESUMED = "resumed"


class Consent(Base):
    """A patient's connection of an app, with the data categories granted one by one."""

    __tablename__ = "consents"
    __table_args__ = (
        Index(
            "uq_consents_one_live_per_patient_app",
            "patient_id",
            "app_id",
            unique=True,
            sqlite_where=text("state != 'revoked'"),
            postgresql_where=text("state != 'revoked'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    patient_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id"), index=True)
    state: Mapped[ConsentState] = mapped_column(enum_column(ConsentState), default=ConsentState.ACTIVE)
    scopes: Mapped[list[Any]] = mapped_column(default=list)  # data category codes
    granted_at: Mapped[datetime] = mapped_column(default=now)
    revoked_at: Mapped[datetime | None]
    suspended_at: Mapped[datetime | None]

    app: Mapped[App] = relationship()


class ConsentEvent(Base):
    """History of grants, revocations and suspensions, shown to the patient."""

    __tablename__ = "consent_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    consent_id: Mapped[int] = mapped_column(ForeignKey("consents.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ConsentEventKind] = mapped_column(enum_column(ConsentEventKind))
    scopes: Mapped[list[Any]] = mapped_column(default=list)
    note: Mapped[str] = mapped_column(String(300), default="")
    occurred_at: Mapped[datetime] = mapped_column(default=now)

    consent: Mapped[Consent] = relationship()
