"""Listings (what the public catalogue shows), their public history, facets and reports."""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalogue.accounts.models import User
from catalogue.apps.models import App
from catalogue.clock import now
from catalogue.db import Base, enum_column
from catalogue.dossiers.models import Dossier
from catalogue.frameworks.models import Framework
from catalogue.listings.profile import DecidedProfile


class ListingState(enum.StrEnum):
    PUBLISHED = "published"
    SUSPENDED = "suspended"
    DELISTED = "delisted"
    EXPIRED = "expired"


class ListingEventKind(enum.StrEnum):
    PUBLISHED = "published"
    RENEWED = "renewed"
    MODIFIED = "modified"
    UPDATED = "updated"
    SUSPENDED = "suspended"
    REINSTATED = "reinstated"
    DELISTED = "delisted"
    EXPIRED = "expired"


class Listing(Base):
    """The catalogue entry of a referenced app (one per app)."""

    __tablename__ = "listings"

    id: Mapped[int] = mapped_column(primary_key=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id"), unique=True)
    state: Mapped[ListingState] = mapped_column(enum_column(ListingState), index=True)
    # The dossier whose decision this listing rests on (the last referenced one).
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"))
    framework_id: Mapped[int] = mapped_column(ForeignKey("frameworks.id"))
    opinion: Mapped[str] = mapped_column(String(60))
    decided_at: Mapped[datetime]
    published_at: Mapped[datetime] = mapped_column(default=now, index=True)
    valid_until: Mapped[date]
    state_reason: Mapped[str | None] = mapped_column(Text)
    state_changed_at: Mapped[datetime] = mapped_column(default=now)
    # The app's name lower-cased without accents: "Écoute" sorts between "Dodo" and "Facile"
    # on every engine and collation (kept by the listing services).
    sort_key: Mapped[str] = mapped_column(String(120), default="", index=True)
    version_id: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)

    app: Mapped[App] = relationship()
    dossier: Mapped[Dossier] = relationship()
    framework: Mapped[Framework] = relationship()
    events: Mapped[list[ListingEvent]] = relationship(
        back_populates="listing", order_by="ListingEvent.occurred_at"
    )

    __mapper_args__ = {"version_id_col": version_id}

    @property
    def profile(self) -> DecidedProfile:
        """The assessed facts as decided: the snapshot of the dossier in force."""
        return DecidedProfile.from_snapshot(self.dossier.profile_snapshot)


class ListingEvent(Base):
    """One line of a listing's public history."""

    __tablename__ = "listing_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), index=True)
    kind: Mapped[ListingEventKind] = mapped_column(enum_column(ListingEventKind))
    occurred_at: Mapped[datetime] = mapped_column(default=now, index=True)
    public_note: Mapped[str] = mapped_column(Text, default="")
    dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"))

    listing: Mapped[Listing] = relationship(back_populates="events")


class ListingFacet(Base):
    """One (facet, value) pair of a listing, for filters and counts without scanning JSON."""

    __tablename__ = "listing_facets"
    __table_args__ = (Index("ix_listing_facets_facet_value", "facet", "value"),)

    listing_id: Mapped[int] = mapped_column(
        ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True
    )
    facet: Mapped[str] = mapped_column(String(30), primary_key=True)
    value: Mapped[str] = mapped_column(String(60), primary_key=True)


class CatalogueVersion(Base):
    """A counter bumped by every change that a public answer shows: the ETag source."""

    __tablename__ = "catalogue_version"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(Integer, default=1)
    changed_at: Mapped[datetime] = mapped_column(default=now)


class ReportKind(enum.StrEnum):
    SECURITY = "security"
    DATA_PROTECTION = "data_protection"
    CONTENT = "content"
    ACCESSIBILITY = "accessibility"
    OTHER = "other"


class ReportStatus(enum.StrEnum):
    NEW = "new"
    IN_PROGRESS = "in_progress"
    RESOLVED = "resolved"
    DISMISSED = "dismissed"


class Report(Base):
    """A problem reported on a listing (signalement)."""

    __tablename__ = "reports"

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id"), index=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[ReportKind] = mapped_column(enum_column(ReportKind))
    text: Mapped[str] = mapped_column(Text)
    status: Mapped[ReportStatus] = mapped_column(enum_column(ReportStatus), default=ReportStatus.NEW)
    created_at: Mapped[datetime] = mapped_column(default=now)
    triaged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    triaged_at: Mapped[datetime | None]
    resolution_note: Mapped[str] = mapped_column(Text, default="")

    listing: Mapped[Listing] = relationship()
    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])
