"""``flask users …``: accounts from the command line (first administrator, operators)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from catalogue import db
from catalogue.accounts import oidc
from catalogue.accounts import services as accounts
from catalogue.accounts.models import Role
from catalogue.errors import DomainError, ValidationFailed

cli = AppGroup("users", help="Comptes utilisateurs.")


@cli.command("create")
@click.argument("email")
@click.option("--role", "roles", multiple=True, type=click.Choice([r.value for r in Role]),
              help="Rôle global (répétable).")
@click.option("--name", default="", help="Nom affiché.")
@click.option("--password", default=None,
              help="Mot de passe ; demandé (sans écho) s'il n'est pas donné. "
                   "Variable CATALOGUE_USER_PASSWORD acceptée.",
              envvar="CATALOGUE_USER_PASSWORD")
def create_command(email: str, roles: tuple[str, ...], name: str, password: str | None) -> None:
    """Create an account whose address counts as verified (the operator vouches for it)."""
    if password is None:
        password = click.prompt("Mot de passe", hide_input=True, confirmation_prompt=True)
    try:
        user = accounts.create_user(db.session, email, password, display_name=name,
                                    roles=[Role(r) for r in roles], verified=True)
    except ValidationFailed as exc:
        db.rollback()
        raise click.ClickException(exc.message) from None
    db.commit()
    click.echo(f"Compte créé : {user.email} (n° {user.id}), rôles : "
               f"{', '.join(sorted(r.value for r in user.role_set)) or 'aucun'}.")
    if user.needs_second_factor:
        click.echo("Ce rôle impose un second facteur : il sera activé à la première connexion "
                   "(QR code et codes de secours).")


@cli.command("grant")
@click.argument("email")
@click.argument("role", type=click.Choice([r.value for r in Role]))
def grant_command(email: str, role: str) -> None:
    """Give a global role to an existing account."""
    user = accounts.find_user(db.session, email)
    if user is None:
        raise click.ClickException(f"Aucun compte avec l'adresse {email}.")
    accounts.grant_role(db.session, user, Role(role), actor=None)
    db.commit()
    click.echo(f"Rôle {role} accordé à {user.email}.")


@cli.command("rpps")
@click.argument("email")
@click.argument("rpps")
def rpps_command(email: str, rpps: str) -> None:
    """Record a commission member's RPPS number (Pro Santé Connect finds them by it)."""
    user = accounts.find_user(db.session, email)
    if user is None:
        raise click.ClickException(f"Aucun compte avec l'adresse {email}.")
    try:
        oidc.record_rpps(db.session, user, rpps, actor=None)
    except DomainError as exc:
        raise click.ClickException(exc.message) from None
    db.commit()
    click.echo(f"RPPS {rpps.strip()} associé à {user.email}.")
