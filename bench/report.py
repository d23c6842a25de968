"""Tables and the verdict on issue 8's targets, from the results of ``bench.run``."""

from __future__ import annotations

from typing import Any

from bench.longtail import table as longtail_table
from bench.paths import (
    ALL_PATHS,
    P99_LIMIT_MS,
    RATIO_TARGET_SIZE,
    RSS_LIMIT_MB,
    SCALING_LARGE,
    SCALING_LIMIT,
    SCALING_SMALL,
    SEED_LIMIT_S,
    SEED_TARGET_SIZE,
)

COLUMNS = ("Path", "Status", "Bytes", "req/s", "p50 ms", "p95 ms", "p99 ms", "CPU ms/req",
           "Floor req/s", "Floor p99", "Floor CPU", "Ratio", "CPU ratio", "Target")


def machine_line(results: dict[str, Any]) -> str:
    m, o = results["machine"], results["options"]
    return (f"App: {o.get('app', 'wsgi:app')}\n"
            f"Machine: {m['nproc']} CPU ({m['cpu']}), {m['memory_mb']} MiB, Python {m['python']}, "
            f"SQLite {m['sqlite']}, commit {m['git_commit'] or '?'}\n"
            f"Load: {o['loader']}, {o['connections']} connections, {o['duration_s']} s per path, "
            f"gunicorn {o['workers']} workers")


def _rows(run: dict[str, Any]) -> list[tuple[str, ...]]:
    rows = []
    for r in run["paths"]:
        a, f = r["app"], r["floor"]
        target = r.get("target_ratio")
        verdict = ""
        if target is not None and r["ratio"] is not None:
            verdict = f"≥ {target} {'✓' if r['ratio'] >= target else '✗'}"
        errors = sum(a["errors"].values())
        if not a.get("requests", 1):
            rows.append((r["name"], str(r["status"]), str(r["bytes"]), "0",
                         *(["> " + f"{a.get('duration_s', 0):.0f} s"] * 3), "–", f"{f['rps']:.0f}",
                         f"{f['p99_ms']:.1f}", _num(f.get("cpu_ms_per_request"), 2), "0.00", "–",
                         f"≥ {target} ✗" if target is not None else ""))
            continue
        rows.append((
            r["name"], str(r["status"]), str(r["bytes"]), f"{a['rps']:.0f}", f"{a['p50_ms']:.1f}",
            f"{a['p95_ms']:.1f}", f"{a['p99_ms']:.1f}" + (f" ({errors} err)" if errors else ""),
            _num(a.get("cpu_ms_per_request"), 2), f"{f['rps']:.0f}", f"{f['p99_ms']:.1f}",
            _num(f.get("cpu_ms_per_request"), 2), _num(r["ratio"], 2), _num(r.get("cpu_ratio"), 2),
            verdict,
        ))
    return rows


def _num(value: float | None, digits: int) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def _memory_line(run: dict[str, Any]) -> str:
    memory = run.get("memory") or {}
    app = ", ".join(f"{w['peak_rss_mb']:.0f}" for w in memory.get("app", []))
    floor = ", ".join(f"{w['peak_rss_mb']:.0f}" for w in memory.get("floor", []))
    return f"Peak RSS per worker (MiB): app {app or '?'} | floor {floor or '?'}"


def _run_title(run: dict[str, Any]) -> str:
    context = run.get("context") or {}
    parts = [f"{run['engine']}, {run['size']:,} apps".replace(",", " ")]
    if "seed_s" in run:
        parts.append(f"seed {run['seed_s']:.1f} s" + (f" ({run['seed_cpu_s']:.1f} s CPU)"
                                                       if run.get("seed_cpu_s") is not None else ""))
    if context.get("published") is not None:
        parts.append(f"{context['published']} published")
    if context.get("q"):
        parts.append(f"q={context['q']!r} ({context.get('q_total')} results, "
                     f"{context.get('q_category_total')} in {context.get('category')!r})")
    parts.append(f"load {run['load_before']} → {run.get('load_after')}")
    return " · ".join(parts)


def run_table(run: dict[str, Any]) -> str:
    """The plain-text table of one run."""
    lines = ["", "== " + _run_title(run)]
    if run.get("error"):
        lines.append(f"ERROR: {run['error']}")
    rows = _rows(run)
    if rows:
        widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(COLUMNS)]
        lines.append("  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True)))
        lines.append("  ".join("-" * w for w in widths))
        lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)) for r in rows]
        lines.append(_memory_line(run))
    for skipped in run.get("skipped", []):
        lines.append(f"skipped {skipped['name']}: {skipped['reason']}")
    if run.get("longtail"):
        lines += ["", longtail_table(run["longtail"])]
    return "\n".join(lines)


def _target(kind: str, run: dict[str, Any] | None, subject: str, value: float | None,
            limit: float, ok: bool | None, note: str = "") -> dict[str, Any]:
    return {"target": kind, "engine": run["engine"] if run else None, "size": run["size"] if run else None,
            "subject": subject, "value": value, "limit": limit, "ok": ok, "note": note}


def evaluate_targets(runs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Issue 8's targets against what was measured.

    Ratios, p99 and memory are judged at 10,000 apps when that size was run,
    else at each size run (noted); seed time at 10,000 apps only; scaling of the
    search paths when both 1,000 and 100,000 apps were run on an engine.
    """
    targets: list[dict[str, Any]] = []
    good = [r for r in runs if not r.get("error") and r["paths"]]
    for engine in sorted({r["engine"] for r in good}):
        on_engine = [r for r in good if r["engine"] == engine]
        judged = [r for r in on_engine if r["size"] == RATIO_TARGET_SIZE] or on_engine
        note = "" if any(r["size"] == RATIO_TARGET_SIZE for r in on_engine) else \
            f"target set at {RATIO_TARGET_SIZE} apps; not run"
        for run in judged:
            for row in run["paths"]:
                if row["target_ratio"] is not None and row["ratio"] is not None:
                    targets.append(_target("ratio to floor", run, row["name"], row["ratio"],
                                           row["target_ratio"], row["ratio"] >= row["target_ratio"], note))
                if not row["app"].get("requests", 1):
                    # Not one answer within the run: slower than the run itself.
                    targets.append(_target("p99 ms", run, row["name"], None, P99_LIMIT_MS, False,
                                           "no answer completed within the run"))
                    continue
                p99 = row["app"]["p99_ms"]
                targets.append(_target("p99 ms", run, row["name"], p99, P99_LIMIT_MS,
                                       p99 < P99_LIMIT_MS, note))
            peaks = [w["peak_rss_mb"] for w in (run.get("memory") or {}).get("app", [])]
            if peaks:
                targets.append(_target("peak RSS MiB per worker", run, "gunicorn workers", max(peaks),
                                       RSS_LIMIT_MB, max(peaks) < RSS_LIMIT_MB, note))
        for run in on_engine:
            if run["size"] == SEED_TARGET_SIZE and "seed_s" in run:
                targets.append(_target("seed seconds", run, f"demo seed --apps {run['size']}",
                                       run["seed_s"], SEED_LIMIT_S, run["seed_s"] < SEED_LIMIT_S))
        small = next((r for r in on_engine if r["size"] == SCALING_SMALL), None)
        large = next((r for r in on_engine if r["size"] == SCALING_LARGE), None)
        if small and large:
            for name in (n for n, p in ALL_PATHS.items() if p.search):
                s = next((p for p in small["paths"] if p["name"] == name), None)
                big = next((p for p in large["paths"] if p["name"] == name), None)
                if s and big and s["ratio"] and big["ratio"]:
                    # Cost = share of the floor lost; the floor cancels the machine's drift.
                    growth = round(s["ratio"] / big["ratio"], 2)
                    targets.append(_target(f"cost at {SCALING_LARGE} / cost at {SCALING_SMALL}", large,
                                           name, growth, SCALING_LIMIT, growth <= SCALING_LIMIT))
    return targets


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def targets_text(targets: list[dict[str, Any]]) -> str:
    if not targets:
        return "\nTargets: nothing to judge (no complete run)."
    lines = ["", "Targets (issue 8):"]
    for t in targets:
        mark = "OK  " if t["ok"] else "MISS"
        comparison = "≤" if "cost" in t["target"] else ("≥" if t["target"].startswith("ratio") else "<")
        lines.append(f"  {mark} {t['engine']:<10} {t['size']:>6}  {t['target']:<26} {t['subject']:<22} "
                     f"{_fmt(t['value'])} (limit {comparison} {_fmt(t['limit'])})"
                     + (f" [{t['note']}]" if t["note"] else ""))
    missed = sum(1 for t in targets if not t["ok"])
    lines.append(f"  {len(targets) - missed} held, {missed} missed.")
    return "\n".join(lines)


def markdown(results: dict[str, Any]) -> str:
    """The whole report as Markdown (one table per run, then the targets)."""
    m, o = results["machine"], results["options"]
    out = [
        f"# Benchmark {results['started_at']}", "",
        f"`{results['command']}`", "",
        f"- Machine: {m['nproc']} CPU ({m['cpu']}), {m['memory_mb']} MiB RAM, kernel {m['kernel']}, "
        f"Python {m['python']}, SQLite {m['sqlite']}, commit `{m['git_commit'] or '?'}`",
        f"- Load: {o['loader']}, {o['connections']} connections, {o['threads']} threads, "
        f"{o['duration_s']} s per path and server, warm-up {o['warmup_s']} s; "
        f"gunicorn {o['workers']} sync workers for the application (`{o.get('app', 'wsgi:app')}`) "
        f"and for the floor", "",
    ]
    for run in results["runs"]:
        out += [f"## {_run_title(run)}", ""]
        if run.get("error"):
            out += [f"**Error:** `{run['error'][:500]}`", ""]
        rows = _rows(run)
        if rows:
            out.append("| " + " | ".join(COLUMNS) + " |")
            out.append("|" + "|".join("---" for _ in COLUMNS) + "|")
            out += ["| " + " | ".join(v.replace("|", "\\|") for v in r) + " |" for r in rows]
            out += ["", _memory_line(run), ""]
        for skipped in run.get("skipped", []):
            out.append(f"- skipped `{skipped['name']}`: {skipped['reason']}")
        if run.get("profile"):
            out += [f"- profile of `{run['profile'].get('path')}`: "
                    f"{run['profile'].get('file') or run['profile'].get('error')}", ""]
        if run.get("longtail"):
            out += ["", longtail_table(run["longtail"]), ""]
    out += ["## Targets", "", "| | Engine | Apps | Target | Subject | Value | Limit |",
            "|---|---|---|---|---|---|---|"]
    for t in results.get("targets", []):
        out.append(f"| {'✓' if t['ok'] else '✗'} | {t['engine']} | {t['size']} | {t['target']} | "
                   f"{t['subject']} | {_fmt(t['value'])} | {_fmt(t['limit'])} |")
    return "\n".join(out) + "\n"


def main(argv: list[str] | None = None) -> int:
    """``python -m bench.report RESULTS.json``: print the tables and targets again and
    rewrite the Markdown next to the JSON (after a change to the verdict's rules)."""
    import argparse
    import json
    from pathlib import Path

    parser = argparse.ArgumentParser(prog="python -m bench.report")
    parser.add_argument("results", type=Path)
    args = parser.parse_args(argv)
    results = json.loads(args.results.read_text(encoding="utf-8"))
    results["targets"] = evaluate_targets(results["runs"])
    args.results.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    args.results.with_suffix(".md").write_text(markdown(results), encoding="utf-8")
    print(machine_line(results))
    for run in results["runs"]:
        print(run_table(run))
    print(targets_text(results["targets"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
