"""Apps and their profile (the orientation questionnaire)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalogue.clock import now
from catalogue.db import Base, enum_column
from catalogue.publishers.models import Organisation


class Pricing(enum.StrEnum):
    FREE = "free"
    FREEMIUM = "freemium"
    PAID = "paid"


class App(Base):
    """A publisher's app. List-valued answers hold codes from ``apps.vocabulary``."""

    __tablename__ = "apps"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    summary: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")  # Markdown, sanitised on render
    category: Mapped[str] = mapped_column(String(40))
    audiences: Mapped[list[Any]] = mapped_column(default=list)
    platforms: Mapped[list[Any]] = mapped_column(default=list)
    pricing: Mapped[Pricing] = mapped_column(enum_column(Pricing), default=Pricing.FREE)
    price_text: Mapped[str] = mapped_column(String(200), default="")
    languages: Mapped[list[Any]] = mapped_column(default=list)
    website_url: Mapped[str] = mapped_column(String(500), default="")
    privacy_policy_url: Mapped[str] = mapped_column(String(500), default="")
    accessibility_statement_url: Mapped[str] = mapped_column(String(500), default="")
    support_contact: Mapped[str] = mapped_column(String(254), default="")
    data_categories: Mapped[list[Any]] = mapped_column(default=list)
    hosting_provider: Mapped[str] = mapped_column(String(200), default="")
    hds_certified: Mapped[bool] = mapped_column(default=False)
    hds_certificate_ref: Mapped[str] = mapped_column(String(200), default="")
    is_medical_device: Mapped[bool] = mapped_column(default=False)
    medical_device_class: Mapped[str | None] = mapped_column(String(10))
    connected_services: Mapped[list[Any]] = mapped_column(default=list)
    # Applicability predicates (frameworks.vocabulary.PREDICATES) that hold for the app.
    predicates: Mapped[list[Any]] = mapped_column(default=list)
    logo_key: Mapped[str | None] = mapped_column(String(200))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=now)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)

    organisation: Mapped[Organisation] = relationship()
    screenshots: Mapped[list[Screenshot]] = relationship(
        back_populates="app", cascade="all, delete-orphan", order_by="Screenshot.position"
    )

    def __repr__(self) -> str:
        return f"<App {self.id} {self.slug}>"


class Screenshot(Base):
    __tablename__ = "screenshots"
    __table_args__ = (UniqueConstraint("app_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    storage_key: Mapped[str] = mapped_column(String(200))
    alt_text: Mapped[str] = mapped_column(String(300), default="")
    position: Mapped[int] = mapped_column(default=0)

    app: Mapped[App] = relationship(back_populates="screenshots")
