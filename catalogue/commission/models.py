"""The commission's records: admissibility, interests, assignments, reports,
sessions, votes, opinions, decisions and agreements. One row per act."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalogue.accounts.models import User
from catalogue.clock import now
from catalogue.db import Base, enum_column
from catalogue.dossiers.models import Dossier
from catalogue.frameworks.models import Requirement
from catalogue.publishers.models import Organisation


class AdmissibilityOutcome(enum.StrEnum):
    ACCEPTED = "accepted"
    INCOMPLETE = "incomplete"


class Verdict(enum.StrEnum):
    COMPLIANT = "compliant"
    NOT_COMPLIANT = "not_compliant"
    RESERVATION = "reservation"


class OpinionValue(enum.StrEnum):
    FAVOURABLE = "favourable"
    FAVOURABLE_WITH_RESERVATIONS = "favourable_with_reservations"
    FAVOURABLE_WITH_SUSPENSIVE_RESERVATIONS = "favourable_with_suspensive_reservations"
    UNFAVOURABLE = "unfavourable"


FAVOURABLE_OPINIONS = frozenset(
    {
        OpinionValue.FAVOURABLE,
        OpinionValue.FAVOURABLE_WITH_RESERVATIONS,
        OpinionValue.FAVOURABLE_WITH_SUSPENSIVE_RESERVATIONS,
    }
)


class VoteChoice(enum.StrEnum):
    FAVOURABLE = "favourable"
    FAVOURABLE_WITH_RESERVATIONS = "favourable_with_reservations"
    FAVOURABLE_WITH_SUSPENSIVE_RESERVATIONS = "favourable_with_suspensive_reservations"
    UNFAVOURABLE = "unfavourable"
    ABSTENTION = "abstention"


class DecisionOutcome(enum.StrEnum):
    REFERENCED = "referenced"
    REFUSED = "refused"


class SessionState(enum.StrEnum):
    PLANNED = "planned"
    OPEN = "open"
    CLOSED = "closed"


class AgendaItemOutcome(enum.StrEnum):
    PENDING = "pending"
    OPINION_ISSUED = "opinion_issued"
    POSTPONED = "postponed"


class AdmissibilityDecision(Base):
    """The secretariat's completeness check of one round of a dossier."""

    __tablename__ = "admissibility_decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[AdmissibilityOutcome] = mapped_column(enum_column(AdmissibilityOutcome))
    # [{"requirement_code": "SEC-03" | None, "field": "evidence", "message": "…"}]
    missing_items: Mapped[list[Any]] = mapped_column(default=list)
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(default=now)


class InterestDeclaration(Base):
    """A commission member's declared link with a publisher."""

    __tablename__ = "interest_declarations"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    nature: Mapped[str] = mapped_column(Text)
    started_on: Mapped[date]
    ended_on: Mapped[date | None]
    declared_at: Mapped[datetime] = mapped_column(default=now)
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)

    user: Mapped[User] = relationship()
    organisation: Mapped[Organisation] = relationship()


class Assignment(Base):
    """A rapporteur assigned to a dossier."""

    __tablename__ = "assignments"
    __table_args__ = (UniqueConstraint("dossier_id", "rapporteur_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    rapporteur_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    assigned_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    assigned_at: Mapped[datetime] = mapped_column(default=now)
    # Set when the secretariat overrides the automatic proposal.
    override_reason: Mapped[str | None] = mapped_column(Text)
    released_at: Mapped[datetime | None]

    dossier: Mapped[Dossier] = relationship()
    rapporteur: Mapped[User] = relationship(foreign_keys=[rapporteur_id])


class RapporteurReport(Base):
    """A rapporteur's report on one round; a draft until ``filed_at``."""

    __tablename__ = "rapporteur_reports"
    __table_args__ = (UniqueConstraint("dossier_id", "rapporteur_id", "round"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    rapporteur_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    round: Mapped[int] = mapped_column(Integer)
    proposed_opinion: Mapped[OpinionValue | None] = mapped_column(enum_column(OpinionValue))
    summary: Mapped[str] = mapped_column(Text, default="")
    filed_at: Mapped[datetime | None]
    updated_at: Mapped[datetime] = mapped_column(default=now, onupdate=now)

    rapporteur: Mapped[User] = relationship()
    assessments: Mapped[list[Assessment]] = relationship(
        back_populates="report", cascade="all, delete-orphan"
    )


class Assessment(Base):
    """A rapporteur's verdict on one requirement."""

    __tablename__ = "assessments"
    __table_args__ = (UniqueConstraint("report_id", "requirement_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    report_id: Mapped[int] = mapped_column(ForeignKey("rapporteur_reports.id", ondelete="CASCADE"))
    requirement_id: Mapped[int] = mapped_column(ForeignKey("requirements.id"))
    verdict: Mapped[Verdict | None] = mapped_column(enum_column(Verdict))
    public_comment: Mapped[str] = mapped_column(Text, default="")
    internal_comment: Mapped[str] = mapped_column(Text, default="")

    report: Mapped[RapporteurReport] = relationship(back_populates="assessments")
    requirement: Mapped[Requirement] = relationship()


class CommissionSession(Base):
    """A commission meeting (séance). Named so to keep clear of the database session."""

    __tablename__ = "commission_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    scheduled_at: Mapped[datetime]
    location: Mapped[str] = mapped_column(String(200), default="")
    state: Mapped[SessionState] = mapped_column(enum_column(SessionState), default=SessionState.PLANNED)
    version_id: Mapped[int] = mapped_column(default=1)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    opened_at: Mapped[datetime | None]
    opened_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None]
    minutes: Mapped[str | None] = mapped_column(Text)  # frozen at closing

    items: Mapped[list[AgendaItem]] = relationship(
        back_populates="session", cascade="all, delete-orphan", order_by="AgendaItem.position"
    )

    __mapper_args__ = {"version_id_col": version_id}


class AgendaItem(Base):
    __tablename__ = "agenda_items"
    __table_args__ = (UniqueConstraint("session_id", "dossier_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("commission_sessions.id", ondelete="CASCADE"))
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id"), index=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    outcome: Mapped[AgendaItemOutcome] = mapped_column(
        enum_column(AgendaItemOutcome), default=AgendaItemOutcome.PENDING
    )
    postpone_reason: Mapped[str | None] = mapped_column(Text)

    session: Mapped[CommissionSession] = relationship(back_populates="items")
    dossier: Mapped[Dossier] = relationship()
    votes: Mapped[list[Vote]] = relationship(back_populates="item", cascade="all, delete-orphan")


class Attendance(Base):
    __tablename__ = "attendances"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("commission_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), primary_key=True)
    present: Mapped[bool] = mapped_column(default=True)
    recorded_at: Mapped[datetime] = mapped_column(default=now)

    user: Mapped[User] = relationship()


class Vote(Base):
    __tablename__ = "votes"
    __table_args__ = (UniqueConstraint("item_id", "voter_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("agenda_items.id", ondelete="CASCADE"))
    voter_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    choice: Mapped[VoteChoice] = mapped_column(enum_column(VoteChoice))
    cast_at: Mapped[datetime] = mapped_column(default=now)

    item: Mapped[AgendaItem] = relationship(back_populates="votes")
    voter: Mapped[User] = relationship()


class Opinion(Base):
    """The commission's opinion on a dossier."""

    __tablename__ = "opinions"
    __table_args__ = (
        CheckConstraint(
            "lift_confirmed_at IS NULL OR lift_requested_at IS NOT NULL",
            name="lift_confirmed_after_request",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(ForeignKey("dossiers.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int | None] = mapped_column(ForeignKey("agenda_items.id"))
    value: Mapped[OpinionValue] = mapped_column(enum_column(OpinionValue))
    reservations: Mapped[str] = mapped_column(Text, default="")
    # {"favourable": 3, "unfavourable": 1, "abstention": 1, ...}
    tally: Mapped[dict[str, Any]] = mapped_column(default=dict)
    issued_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    issued_at: Mapped[datetime] = mapped_column(default=now)
    # Suspensive reservations: the publisher says they are lifted, a rapporteur confirms.
    lift_statement: Mapped[str | None] = mapped_column(Text)
    lift_requested_at: Mapped[datetime | None]
    lift_requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    lift_confirmed_at: Mapped[datetime | None]
    lift_confirmed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    @property
    def has_open_suspensive_reservation(self) -> bool:
        return (
            self.value == OpinionValue.FAVOURABLE_WITH_SUSPENSIVE_RESERVATIONS
            and self.lift_confirmed_at is None
        )


class Decision(Base):
    """The State's decision, motivated requirement by requirement."""

    __tablename__ = "decisions"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(
        ForeignKey("dossiers.id", ondelete="CASCADE"), unique=True
    )
    outcome: Mapped[DecisionOutcome] = mapped_column(enum_column(DecisionOutcome))
    motivation: Mapped[str] = mapped_column(Text)
    # [{"requirement_code": "SEC-03", "reason": "…"}]
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    decided_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(default=now)


class Agreement(Base):
    """The agreement the publisher's owner accepts before listing."""

    __tablename__ = "agreements"

    id: Mapped[int] = mapped_column(primary_key=True)
    dossier_id: Mapped[int] = mapped_column(
        ForeignKey("dossiers.id", ondelete="CASCADE"), unique=True
    )
    duration_days: Mapped[int] = mapped_column(Integer)
    data_categories: Mapped[list[Any]] = mapped_column(default=list)
    withdrawal_terms: Mapped[str] = mapped_column(Text)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    accepted_at: Mapped[datetime | None]


class ReminderSent(Base):
    """A deadline reminder already sent (``flask workflows tick`` sends each one once).

    One row per (kind, subject, deadline): a pushed deadline gets its own reminder.
    """

    __tablename__ = "reminders_sent"
    __table_args__ = (UniqueConstraint("kind", "subject_type", "subject_id", "deadline"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    subject_type: Mapped[str] = mapped_column(String(40))
    subject_id: Mapped[int] = mapped_column(Integer)
    deadline: Mapped[date]
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime] = mapped_column(default=now)
