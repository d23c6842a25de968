"""The committed lifecycle diagrams match the tables (``flask workflows diagram``)."""

from __future__ import annotations

from catalogue.lifecycles import LIFECYCLES, all_lifecycles, lifecycle
from workflows.diagrams import DOCS_DIR, dot, mermaid, render_all


def test_committed_diagrams_are_up_to_date():
    stale = [name for name, content in render_all(all_lifecycles()).items()
             if not (DOCS_DIR / name).exists() or (DOCS_DIR / name).read_text(encoding="utf-8") != content]
    assert not stale, f"run `flask workflows diagram`: stale {stale}"


def test_every_transition_appears_in_both_formats():
    for declared in LIFECYCLES:
        table = lifecycle(declared.name)
        text_mmd, text_dot = mermaid(table), dot(table)
        for transition in table.transitions:
            assert f": {transition.name} (" in text_mmd
            assert f'label="{transition.name}\\n' in text_dot


def test_diagram_command_check(app):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["workflows", "diagram", "--check"])
    assert result.exit_code == 0, result.output
