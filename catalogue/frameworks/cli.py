"""`flask frameworks …`: import a wave from its file, list the imported versions."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from catalogue import db
from catalogue.accounts.services import find_user
from catalogue.clock import today
from catalogue.errors import DomainError
from catalogue.frameworks import queries as framework_queries
from catalogue.frameworks import services
from catalogue.frameworks.lifecycle import STATE_LABELS
from catalogue.frameworks.services import ImportOutcome

cli = AppGroup("frameworks", help="Référentiels : import et liste des versions.")


@cli.command("import")
@click.argument(
    "paths", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path)
)
@click.option("--actor", "actor_email", metavar="EMAIL", default=None,
              help="Compte à qui attribuer l'import dans la piste d'audit.")
def import_command(paths: tuple[Path, ...], actor_email: str | None) -> None:
    """Importer un ou plusieurs fichiers de référentiel (YAML).

    Chaque fichier est entièrement validé avant toute écriture ; au moindre problème, tous
    les problèmes sont listés et rien n'est écrit. Réimporter un fichier identique ne
    change rien.
    """
    actor = None
    if actor_email:
        actor = find_user(db.session, actor_email)
        if actor is None:
            raise click.ClickException(f"Aucun compte n'a l'adresse {actor_email}.")
    results = []
    try:
        # One transaction for every file: either all of them are imported, or none.
        for path in paths:
            results.append(services.import_framework(db.session, path, actor=actor))
    except DomainError as exc:
        db.rollback()
        click.echo(f"Erreur : {exc.message}", err=True)
        for line in exc.errors or ():
            click.echo(f"  - {line}", err=True)
        click.echo("Aucune donnée n'a été écrite.", err=True)
        raise SystemExit(1) from None
    db.commit()
    for result in results:
        click.echo(_describe(result))


def _describe(result: services.ImportResult) -> str:
    framework = result.framework
    count = len(framework.requirements)
    status = STATE_LABELS[framework.status]
    if result.outcome is ImportOutcome.UNCHANGED:
        return f"{framework.label} : déjà importée à l'identique, rien n'a changé ({status})."
    if result.outcome is ImportOutcome.UPDATED:
        assert result.changes is not None
        return (
            f"{framework.label} : version à venir mise à jour ({count} exigences ; "
            f"{len(result.changes.added)} ajoutée(s), {len(result.changes.retired)} supprimée(s))."
        )
    when = framework.effective_from.isoformat()
    if framework.effective_from <= today():
        schedule = f"date d'entrée en vigueur ({when}) atteinte : « flask workflows tick » " \
                   "la mettra en vigueur"
    else:
        schedule = f"à venir, mise en vigueur le {when} par « flask workflows tick »"
    return (
        f"{framework.label} : importée, {count} exigences dans {len(framework.categories)} "
        f"catégories ; {schedule}."
    )


@cli.command("list")
def list_command() -> None:
    """Lister les versions importées, avec leur statut et leurs dates."""
    summaries = framework_queries.list_frameworks(db.session)
    if not summaries:
        click.echo("Aucun référentiel importé. Utilisez « flask frameworks import FICHIER ».")
        return
    header = f"{'Code':<6} {'Version':<8} {'Statut':<11} {'En vigueur le':<13} " \
             f"{'Mise en conformité':<18} {'Exigences':>9}  Empreinte"
    click.echo(header)
    for summary in summaries:
        f = summary.framework
        deadline = f.compliance_deadline.isoformat() if f.compliance_deadline else "—"
        click.echo(
            f"{f.code:<6} {f.version:<8} {STATE_LABELS[f.status]:<11} "
            f"{f.effective_from.isoformat():<13} {deadline:<18} "
            f"{summary.requirement_count:>9}  {f.content_hash[:12]}"
        )
