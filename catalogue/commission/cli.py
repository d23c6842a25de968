"""``flask workflows``: the clock (tick, run) and the lifecycle diagrams."""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from catalogue import db
from catalogue.clock import today
from catalogue.lifecycles import all_lifecycles
from catalogue.schedule import tick
from workflows.diagrams import DOCS_DIR, render_all, write_all

cli = AppGroup("workflows", help="Lifecycles: the clock and the diagrams.")


def _tick_once() -> str:
    try:
        result = tick(db.session, today())
        db.commit()
    except Exception:
        db.rollback()
        raise
    finally:
        db.session.remove()
    return result.summary()


@cli.command("tick")
def tick_command() -> None:
    """Lapse, expire, bring waves into force, send reminders, retry e-mails (idempotent)."""
    click.echo(_tick_once())


@cli.command("run")
@click.option("--every", "every", default=60, show_default=True, type=click.IntRange(5, 86_400),
              help="Seconds between two ticks.")
@click.option("--times", default=0, type=click.IntRange(0), help="Stop after this many ticks (0: never).")
def run_command(every: int, times: int) -> None:
    """Tick forever (or ``--times`` times), every ``--every`` seconds."""
    done = 0
    while True:
        try:
            click.echo(_tick_once())
        except Exception as exc:  # noqa: BLE001 - a failed tick must not stop the loop
            click.echo(f"tick failed: {exc}", err=True)
        done += 1
        if times and done >= times:
            return
        time.sleep(every)


@cli.command("diagram")
@click.option("--check", is_flag=True, help="Exit 1 when the committed diagrams are stale.")
def diagram_command(check: bool) -> None:
    """Write each lifecycle as Mermaid (.mmd) and Graphviz (.dot) into docs/lifecycles/."""
    lifecycles = all_lifecycles()
    if check:
        stale = [name for name, content in render_all(lifecycles).items()
                 if not (DOCS_DIR / name).exists()
                 or (DOCS_DIR / name).read_text(encoding="utf-8") != content]
        if stale:
            raise click.ClickException("stale diagrams: " + ", ".join(stale))
        click.echo("diagrams up to date")
        return
    for path in write_all(lifecycles):
        click.echo(str(path.relative_to(DOCS_DIR.parent.parent)))
