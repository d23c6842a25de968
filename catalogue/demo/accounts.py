"""Demo accounts of DESIGN §6: created once, printed every time (with TOTP secrets).

Publisher accounts are plain users here; the publishers part makes them owners
of their organisations.
"""

from __future__ import annotations

from typing import Any

import pyotp
from sqlalchemy.orm import Session

from catalogue.accounts import services as accounts
from catalogue.accounts.models import Role
from catalogue.clock import now
from catalogue.demo.cli import DEMO_PASSWORD

# (address, display name, global roles)
ACCOUNTS: tuple[tuple[str, str, tuple[Role, ...]], ...] = (
    ("editeur@demo.ens.fr", "Claire Martin (éditrice)", ()),
    ("editeur2@demo.ens.fr", "Karim Benali (éditeur)", ()),
    ("patient@demo.ens.fr", "Lucie Bernard", (Role.PATIENT,)),
    ("secretariat@demo.ens.fr", "Secrétariat de la commission", (Role.SECRETARIAT,)),
    ("rapporteur1@demo.ens.fr", "Dr Anne Rousseau", (Role.RAPPORTEUR,)),
    ("rapporteur2@demo.ens.fr", "Dr Paul Lefèvre", (Role.RAPPORTEUR,)),
    ("rapporteur3@demo.ens.fr", "Inès Garnier", (Role.RAPPORTEUR,)),
    ("membre1@demo.ens.fr", "Marc Dubois", (Role.MEMBER,)),
    ("membre2@demo.ens.fr", "Sophie Laurent", (Role.MEMBER,)),
    ("membre3@demo.ens.fr", "Julien Moreau", (Role.MEMBER,)),
    ("membre4@demo.ens.fr", "Nadia Haddad", (Role.MEMBER,)),
    ("membre5@demo.ens.fr", "Thomas Petit", (Role.MEMBER,)),
    # The chair also sits and votes (their vote decides a tie).
    ("president@demo.ens.fr", "Pr Hélène Fournier (présidente)", (Role.CHAIR, Role.MEMBER)),
    ("decideur@demo.ens.fr", "Direction du numérique en santé", (Role.DECISION_MAKER,)),
    ("admin@demo.ens.fr", "Administration de la plateforme", (Role.ADMIN,)),
)


def seed(session: Session, options: Any) -> list[str]:
    """Create the missing demo accounts (idempotent); return the lines to print."""
    lines = ["", "Comptes de démonstration (mot de passe : " + DEMO_PASSWORD + ")"]
    for email, name, roles in ACCOUNTS:
        user = accounts.find_user(session, email)
        if user is None:
            user = accounts.create_user(session, email, DEMO_PASSWORD, display_name=name,
                                        roles=roles, verified=True)
        for role in roles:
            accounts.grant_role(session, user, role, actor=None)
        if user.needs_second_factor and user.totp_enabled_at is None:
            # Enrolled already, so a tester adds the printed secret to an authenticator
            # app instead of scanning a QR code at first sign-in.
            user.totp_secret = pyotp.random_base32()
            user.totp_enabled_at = now()
        session.flush()
        role_names = ", ".join(r.value for r in roles) or "éditeur (voir organisations)"
        line = f"  {email:<26} {role_names}"
        if user.totp_enabled_at is not None and user.totp_secret:
            line += f"  TOTP : {user.totp_secret}"
        lines.append(line)
    lines.append("  Les comptes avec TOTP demandent un code : ajoutez la clé à une application "
                 "d'authentification (ou `oathtool --totp -b CLÉ`).")
    return lines
