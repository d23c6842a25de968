"""Dossiers, the publisher's answers, evidence files and information requests."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalogue.accounts.models import User
from catalogue.apps.models import App
from catalogue.clock import now, today
from catalogue.db import Base, enum_column
from catalogue.frameworks.models import Framework, Requirement
from catalogue.publishers.models import Organisation


class DossierKind(enum.StrEnum):
    INITIAL = "initial"
    RENEWAL = "renewal"
    MODIFICATION = "modification"


class DossierState(enum.StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    INCOMPLETE = "incomplete"
    UNDER_EVALUATION = "under_evaluation"
    INFORMATION_REQUESTED = "information_requested"
    READY_FOR_COMMISSION = "ready_for_commission"
    SCHEDULED = "scheduled"
    OPINION_ISSUED = "opinion_issued"
    AGREEMENT_PENDING = "agreement_pending"
    REFERENCED = "referenced"
    REFUSED = "refused"
    LAPSED = "lapsed"
    WITHDRAWN = "withdrawn"


FINAL_DOSSIER_STATES = frozenset(
    {DossierState.REFERENCED, DossierState.REFUSED, DossierState.LAPSED, DossierState.WITHDRAWN}
)
_OPEN_STATES_SQL = "state NOT IN ('referenced', 'refused', 'lapsed', 'withdrawn')"


class AnswerStatus(enum.StrEnum):
    COMPLIANT = "compliant"
    NOT_COMPLIANT = "not_compliant"
    NOT_APPLICABLE = "not_applicable"


class Dossier(Base):
    """One application for one app against one framework version.

    The framework version and the app profile are frozen at creation: they fix
    the applicable requirements for the whole life of the dossier.
    """

    __tablename__ = "dossiers"
    __table_args__ = (
        # One open dossier per app and kind.
        Index(
            "uq_dossiers_one_open_per_app_kind",
            "app_id",
            "kind",
            unique=True,
            sqlite_where=text(_OPEN_STATES_SQL),
            postgresql_where=text(_OPEN_STATES_SQL),
        ),
        # A filed dossier has a reference; a draft withdrawn before filing never got one.
        CheckConstraint(
            "state IN ('draft', 'withdrawn') OR reference IS NOT NULL",
            name="submitted_has_reference",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str | None] = mapped_column(String(20), unique=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id"), index=True)
    # Denormalised from the app: every access check is by organisation.
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    kind: Mapped[DossierKind] = mapped_column(enum_column(DossierKind), default=DossierKind.INITIAL)
    state: Mapped[DossierState] = mapped_column(
        enum_column(DossierState), default=DossierState.DRAFT, index=True
    )
    framework_id: Mapped[int] = mapped_column(ForeignKey("frameworks.id"))
    profile_snapshot: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # Bumped by each save of a modification dossier's proposed profile (its draft of the
    # assessed facts): a form built from an older version is refused, not merged.
    profile_version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    # The dossier this one renews or modifies (the last referenced one).
    previous_dossier_id: Mapped[int | None] = mapped_column(ForeignKey("dossiers.id"))
    round: Mapped[int] = mapped_column(Integer, default=1)
    version_id: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(default=now)
    submitted_at: Mapped[datetime | None]
    # Review clock (DESIGN §4): starts at acceptance, stops while information is requested.
    review_started_on: Mapped[date | None]
    review_due_on: Mapped[date | None]
    clock_stopped_on: Mapped[date | None]
    days_stopped: Mapped[int] = mapped_column(Integer, default=0)
    closed_at: Mapped[datetime | None]
    withdrawal_reason: Mapped[str | None] = mapped_column(Text)

    app: Mapped[App] = relationship()
    organisation: Mapped[Organisation] = relationship()
    framework: Mapped[Framework] = relationship()
    created_by: Mapped[User | None] = relationship(foreign_keys=[created_by_id])

    __mapper_args__ = {"version_id_col": version_id}

    @property
    def is_open(self) -> bool:
        return self.state not in FINAL_DOSSIER_STATES

    def __repr__(self) -> str:
        return f"<Dossier {self.id} {self.reference or 'draft'} {self.state}>"


class ReferenceCounter(Base):
    """Last dossier reference number given per year (ENS-YYYY-NNNNN, sequential)."""

    __tablename__ = "reference_counters"

    year: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    last_number: Mapped[int] = mapped_column(Integer, default=0)


answer_evidence = Table(
    "answer_evidence",
    Base.metadata,
    Column("answer_id", ForeignKey("answers.id", ondelete="CASCADE"), primary_key=True),
    Column("evidence_id", ForeignKey("evidence.id", ondelete="RESTRICT"), primary_key=True),
)


class Answer(Base):
    """The publisher's self-assessment of one requirement, in one round."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("dossier_id", "requirement_id", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"))
    requirement_id: Mapped[int] = mapped_column(ForeignKey("requirements.id"))
    round: Mapped[int] = mapped_column(Integer, default=1)
    status: Mapped[AnswerStatus | None] = mapped_column(enum_column(AnswerStatus))
    justification: Mapped[str] = mapped_column(Text, default="")
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)

    requirement: Mapped[Requirement] = relationship()
    evidence: Mapped[list[Evidence]] = relationship(secondary=answer_evidence)


# A certificate or audit shows a warning this many days before its validity ends.
EXPIRY_WARNING_DAYS = 60


class Evidence(Base):
    """An evidence file, stored once per organisation by SHA-256 and reused.

    The library is the organisation's: every app and dossier of the organisation may use
    any of its files. ``app_id`` records the app it was first uploaded for (none for
    organisation-level files such as the registration extract). A row never changes
    content: a replacement is a new row, so a dossier keeps pointing at what was assessed.
    """

    __tablename__ = "evidence"
    __table_args__ = (UniqueConstraint("organisation_id", "sha256"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    app_id: Mapped[int | None] = mapped_column(ForeignKey("apps.id"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    # The same file filed under further kinds (a certificate that is also an audit report):
    # one stored file, several kinds, never silently re-filed under the first one.
    extra_kinds: Mapped[list[Any]] = mapped_column(default=list, server_default="[]")
    title: Mapped[str] = mapped_column(String(200))
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(200), unique=True)
    valid_until: Mapped[date | None]
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    uploaded_at: Mapped[datetime] = mapped_column(default=now)

    uploaded_by: Mapped[User | None] = relationship()

    @property
    def expired(self) -> bool:
        return self.valid_until is not None and self.valid_until < today()

    @property
    def expiring(self) -> bool:
        """Still valid but ends within ``EXPIRY_WARNING_DAYS``: time to upload the new one."""
        return (self.valid_until is not None and not self.expired
                and (self.valid_until - today()).days <= EXPIRY_WARNING_DAYS)

    @property
    def kinds(self) -> list[str]:
        """Every kind the file is filed under, the first one first."""
        return [self.kind, *(k for k in self.extra_kinds or [] if k != self.kind)]


class InformationRequest(Base):
    """Questions to the publisher; the review clock stops until the answer (a new round)."""

    __tablename__ = "information_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    questions: Mapped[str] = mapped_column(Text)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    requested_at: Mapped[datetime] = mapped_column(default=now)
    due_on: Mapped[date]
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    answered_at: Mapped[datetime | None]
    # Evidence files the publisher sent with the answer (ids in the organisation's library).
    answer_evidence_ids: Mapped[list[Any]] = mapped_column(default=list)

    requested_by: Mapped[User] = relationship(foreign_keys=[requested_by_id])
