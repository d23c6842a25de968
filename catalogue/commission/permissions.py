"""Who may act in the commission, and why not (DESIGN §3).

Commission roles are global; what a role may see of one dossier is
``catalogue.dossiers.permissions`` (interests, assignments, agendas).
"""

from __future__ import annotations

from catalogue.accounts.models import Role, User
from catalogue.errors import PermissionDenied


def require_role(actor: User, *roles: Role) -> None:
    """``PermissionDenied`` unless the actor holds one of ``roles``."""
    if not actor.has_role(*roles):
        raise PermissionDenied("Vous n'avez pas le rôle requis pour cette action.")
