"""``python -m bench.profile PATH``: where one request's time goes, with pyinstrument.

Builds the application from the environment (``DATABASE_URL`` of a seeded
database; ``CATALOGUE_ENV=production`` and ``SECRET_KEY`` as in the benchmark),
sends ``PATH`` through the Flask test client again and again for ``--seconds``
(or ``--requests``), first without a profiler to give its CPU time per
request, then under pyinstrument (or cProfile timed by CPU time, ``--cprofile``),
and writes the call tree as text (and HTML with ``--html``). ``bench.run
--profile`` calls it on the path furthest from its floor; run it by hand to
profile any path::

    DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/catalogue \\
    CATALOGUE_ENV=production SECRET_KEY=x AUDIT_HMAC_KEY=y \\
    .venv/bin/python -m bench.profile '/catalogue?q=diabète'
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__.split("\n")[0])
    parser.add_argument("path", help="request path with its query string")
    parser.add_argument("--requests", type=int, default=2000, help="at most this many requests")
    parser.add_argument("--seconds", type=float, default=20.0, help="at most this long")
    parser.add_argument("--interval", type=float, default=0.0005, help="sampling interval, seconds")
    parser.add_argument("-H", "--header", action="append", default=[], help="'Name: value'")
    parser.add_argument("--output", type=Path, help="text report (default: standard output)")
    parser.add_argument("--html", type=Path, help="also write pyinstrument's HTML report here")
    parser.add_argument("--cprofile", action="store_true",
                        help="cProfile timed by CPU time instead of pyinstrument (busy machines)")
    args = parser.parse_args(argv)

    from pyinstrument import Profiler

    from catalogue.app import create_app

    app = create_app()
    client = app.test_client()
    headers = dict(h.split(": ", 1) for h in args.header)
    first = client.get(args.path, headers=headers)
    for _ in range(5):  # warm the caches and the code paths the answer takes
        client.get(args.path, headers=headers)
    # CPU time per request without any profiler: on a shared machine, wall time
    # depends on the neighbours; the CPU a request burns does not.
    count, cpu_started, wall_started = 0, time.process_time(), time.perf_counter()
    deadline = time.monotonic() + args.seconds / 2
    while count < args.requests and time.monotonic() < deadline:
        client.get(args.path, headers=headers)
        count += 1
    cpu_ms = 1000 * (time.process_time() - cpu_started) / max(count, 1)
    wall_ms = 1000 * (time.perf_counter() - wall_started) / max(count, 1)
    header = (f"# GET {args.path} -> {first.status_code}, {len(first.data)} bytes\n"
              f"# {count} requests without profiler: {cpu_ms:.2f} ms CPU, {wall_ms:.2f} ms wall "
              f"per request (one process, Flask test client)\n")
    if args.cprofile:
        text = header + _cprofile(client, args.path, headers, args.requests, args.seconds / 2)
    else:
        profiler = Profiler(interval=args.interval)
        count = 0
        deadline = time.monotonic() + args.seconds / 2
        profiler.start()
        while count < args.requests and time.monotonic() < deadline:
            client.get(args.path, headers=headers)
            count += 1
        profiler.stop()
        text = header + f"# pyinstrument over {count} requests (wall-clock samples)\n" + \
            profiler.output_text(unicode=True, color=False, show_all=False)
    if args.output:
        args.output.parent.mkdir(parents=True, exist_ok=True)
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    if args.html and not args.cprofile:
        args.html.write_text(profiler.output_html(), encoding="utf-8")
    return 0


def _cprofile(client: Any, path: str, headers: dict[str, str], requests: int, seconds: float) -> str:
    """cProfile timed by CPU time (``time.process_time``), top functions by cumulative time."""
    import cProfile
    import io
    import pstats

    profile = cProfile.Profile(time.process_time)
    count = 0
    deadline = time.monotonic() + seconds
    profile.enable()
    while count < requests and time.monotonic() < deadline:
        client.get(path, headers=headers)
        count += 1
    profile.disable()
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("cumulative").print_stats(45)
    return f"# cProfile (CPU time) over {count} requests\n" + out.getvalue()


if __name__ == "__main__":
    raise SystemExit(main())
