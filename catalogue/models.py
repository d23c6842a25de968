"""Every model, imported once so the metadata is complete for Alembic and the mappers."""

from catalogue.accounts.models import ExternalIdentity, RecoveryCode, Role, User, UserRole
from catalogue.apps.models import App, Screenshot
from catalogue.audit.models import AuditEvent
from catalogue.commission.models import (
    AdmissibilityDecision,
    AgendaItem,
    Agreement,
    Assessment,
    Assignment,
    Attendance,
    CommissionSession,
    Decision,
    InterestDeclaration,
    Opinion,
    RapporteurReport,
    Vote,
)
from catalogue.consents.models import Consent, ConsentEvent
from catalogue.dossiers.models import (
    Answer,
    Dossier,
    Evidence,
    InformationRequest,
    ReferenceCounter,
)
from catalogue.frameworks.models import Framework, FrameworkCategory, Requirement
from catalogue.listings.models import (
    CatalogueVersion,
    Listing,
    ListingEvent,
    ListingFacet,
    Report,
)
from catalogue.notifications.models import Notification, OutboxMessage
from catalogue.oauth.models import OAuthClient, OAuthCode, OAuthToken
from catalogue.publishers.models import Invitation, Membership, Organisation

__all__ = [
    "AdmissibilityDecision", "AgendaItem", "Agreement", "Answer", "App", "Assessment",
    "Assignment", "Attendance", "AuditEvent", "CatalogueVersion", "CommissionSession",
    "Consent", "ConsentEvent", "Decision", "Dossier", "Evidence", "ExternalIdentity", "Framework",
    "FrameworkCategory", "InformationRequest", "InterestDeclaration", "Invitation",
    "Listing", "ListingEvent", "ListingFacet", "Membership", "Notification", "OAuthClient",
    "OAuthCode", "OAuthToken", "Opinion",
    "Organisation", "OutboxMessage", "RapporteurReport", "RecoveryCode", "ReferenceCounter",
    "Report", "Requirement", "Role", "Screenshot", "User", "UserRole", "Vote",
]
