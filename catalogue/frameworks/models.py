"""Framework versions (waves) and their requirements, imported from data/*.yaml."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalogue.clock import now
from catalogue.db import Base, enum_column


class FrameworkStatus(enum.StrEnum):
    DRAFT = "draft"
    IN_FORCE = "in_force"
    RETIRED = "retired"


class Framework(Base):
    """One version (wave) of a framework code, e.g. ENS 2026.1."""

    __tablename__ = "frameworks"
    __table_args__ = (
        UniqueConstraint("code", "version"),
        # At most one version of a code in force.
        Index(
            "uq_frameworks_one_in_force",
            "code",
            unique=True,
            sqlite_where=text("status = 'in_force'"),
            postgresql_where=text("status = 'in_force'"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(20))
    version: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    effective_from: Mapped[date]
    compliance_deadline: Mapped[date | None]
    # Review clock per dossier kind, in calendar days (``tracks:`` in the file); a kind
    # absent uses the REVIEW_DAYS setting.
    tracks: Mapped[dict[str, Any]] = mapped_column(default=dict, server_default="{}")
    # Listing state reached at this wave's compliance deadline without a compliance decision.
    on_compliance_deadline: Mapped[str] = mapped_column(
        String(20), default="suspended", server_default="suspended")
    status: Mapped[FrameworkStatus] = mapped_column(
        enum_column(FrameworkStatus), default=FrameworkStatus.DRAFT
    )
    content_hash: Mapped[str] = mapped_column(String(64))
    version_id: Mapped[int] = mapped_column(default=1)
    imported_at: Mapped[datetime] = mapped_column(default=now)
    in_force_at: Mapped[datetime | None]
    retired_at: Mapped[datetime | None]

    categories: Mapped[list[FrameworkCategory]] = relationship(
        back_populates="framework", cascade="all, delete-orphan",
        order_by="FrameworkCategory.position",
    )
    requirements: Mapped[list[Requirement]] = relationship(
        back_populates="framework", cascade="all, delete-orphan", order_by="Requirement.position"
    )

    __mapper_args__ = {"version_id_col": version_id}

    @property
    def label(self) -> str:
        return f"{self.code} {self.version}"

    def review_days(self, kind: str) -> int | None:
        """The review clock the framework sets for a dossier kind, or None (the setting)."""
        days = (self.tracks or {}).get(kind)
        return int(days) if days else None

    def __repr__(self) -> str:
        return f"<Framework {self.label} {self.status}>"


class FrameworkCategory(Base):
    __tablename__ = "framework_categories"
    __table_args__ = (UniqueConstraint("framework_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(ForeignKey("frameworks.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    title_en: Mapped[str] = mapped_column(String(200), default="")
    position: Mapped[int] = mapped_column(default=0)

    framework: Mapped[Framework] = relationship(back_populates="categories")


class Requirement(Base):
    """One criterion of a framework version; same code across waves = same requirement."""

    __tablename__ = "requirements"
    __table_args__ = (UniqueConstraint("framework_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    framework_id: Mapped[int] = mapped_column(
        ForeignKey("frameworks.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(20))
    category: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(300))
    title_en: Mapped[str] = mapped_column(String(300), default="")
    statement: Mapped[str] = mapped_column(Text)
    mandatory: Mapped[bool]
    applies_if: Mapped[list[Any]] = mapped_column(default=list)
    allow_not_applicable: Mapped[bool] = mapped_column(default=False)
    evidence: Mapped[list[Any]] = mapped_column(default=list)
    position: Mapped[int] = mapped_column(default=0)

    framework: Mapped[Framework] = relationship(back_populates="requirements")

    def __repr__(self) -> str:
        return f"<Requirement {self.code}>"
