"""Real-browser tests: a live server in a subprocess, Debian's Chromium driven by Playwright,
axe-core for accessibility, the Nu HTML checker for conformance.

How to use (see ``test_accounts_journey.py``)::

    pytestmark = pytest.mark.browser

    def test_something(page, live_url, sign_in, assert_accessible):
        sign_in(page, "admin@demo.ens.fr", DEMO_PASSWORD)     # handles the TOTP step
        page.goto(live_url + "/admin/")
        assert_accessible(page)                               # axe at 1280 and 390 px, HTML checked

Fixtures
- ``live_server`` (session): copies the run's seeded demo (``seeded_demo``, tests/seeded_demo.py:
  ``flask demo seed --apps 12`` once per run, whatever the number of workers), serves it with
  gunicorn on a free 127.0.0.1 port
  (``CATALOGUE_ENV=development``, its own storage folder and secret key), waits for
  ``/healthz`` and stops it at the end. Its log is printed when it fails to start.
  ``live_url`` is its base URL; ``live_db`` the SQLite path.
  It serves ``tests/browser/live_app.py``, which records every HTML page sent to a tab.
- ``html_pages`` (session, autouse): the Nu HTML checker (``vnu.jar`` from npm, run once as a
  loopback HTTP service) validates every recorded page: those sent before an ``assert_accessible``
  call there, the rest when the test ends; a page with any error fails the test that visited it,
  listing each error (message, line, extract). Java or the jar missing is an error, not a skip.
- ``live_cli(*args)`` (session): runs ``flask …`` on the live server's database.
- ``browser`` (session): Debian's headless Chromium, ``chromium-headless-shell`` when installed
  (the same Blink and V8 without the desktop browser's shell: 40 % less CPU over the suite, and
  what Playwright itself launches for headless runs), else ``/usr/bin/chromium``.
- ``page``: a fresh context (cookies, storage) per test, 1280×900, French.
- ``assert_accessible(page, widths=(1280, 390))``: runs axe-core at each width, fails with a
  readable list of violations; then validates the HTML of the pages sent so far.
- ``totp_code_for(email)``: a current TOTP code for an account of the live server (reads the
  secret from its database; waits for the next 30 s step when the current one was used).
- ``sign_in(page, email, password)``: the sign-in form, then the second factor when asked
  (enrolment included: the code is computed from the stored secret, recovery codes confirmed).

Run alone with ``pytest -m browser``. Skipped (with the reason) when neither Chromium is
installed.
"""

from __future__ import annotations

import hashlib
import re
import shutil
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pyotp
import pytest
from axe_playwright_python.base import AXE_SCRIPT

from catalogue.accounts.totp import WINDOW
from tests.browser.html_checker import CapturedPages, NuChecker
from tests.processes import ROOT, die_with_parent, free_port, wait_until_serving
from tests.seeded_demo import demo_env

CHROMIUM = next(
    (path for path in ("/usr/bin/chromium-headless-shell", "/usr/bin/chromium") if Path(path).exists()),
    "/usr/bin/chromium",
)
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
WIDTHS = (1280, 390)
DEMO_PASSWORD = "Demo-ENS-2026!"
START_TIMEOUT = 60
LIVE_APP = "tests.browser.live_app:app"
PAGES_KEY = pytest.StashKey[CapturedPages]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if Path(CHROMIUM).exists():
        return
    skip = pytest.mark.skip(reason="Chromium is missing: apt-get install chromium-headless-shell")
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(skip)


def _live_env(folder: Path, template: Path, port: int, pages: Path) -> dict[str, str]:
    return {**demo_env(folder, template), "BASE_URL": f"http://127.0.0.1:{port}", "FLASK_APP": LIVE_APP,
            "HTML_CAPTURE_DIR": str(pages)}


@contextmanager
def serve_live(folder: Path, pages: Path, template: Path) -> Iterator[dict[str, Any]]:
    """Copy the seeded ``template`` into ``folder`` and serve it with gunicorn on a free port
    until the block ends, recording the HTML pages it sends into ``pages``. A test module whose
    steps change the whole catalogue (the clock's tick) takes its own server from this."""
    database = folder / "live.sqlite"
    log = folder / "server.log"
    port = free_port()
    shutil.copyfile(template / "live.sqlite", database)
    if (template / "storage").exists():
        shutil.copytree(template / "storage", folder / "storage")
    env = _live_env(folder, template, port, pages)
    bin_dir = Path(sys.executable).parent
    gunicorn = str(bin_dir / "gunicorn") if (bin_dir / "gunicorn").exists() else None
    if gunicorn:
        # One process so the in-memory rate limits are shared by every request.
        command = [gunicorn, "--workers", "1", "--threads", "8", "--bind", f"127.0.0.1:{port}",
                   "--access-logfile", "-", "--timeout", "60", LIVE_APP]
    else:
        command = [sys.executable, "-m", "flask", "run", "--host", "127.0.0.1", "--port", str(port),
                   "--with-threads"]
    out = log.open("a")
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT,
                               preexec_fn=die_with_parent)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_serving(url + "/healthz", process, log, START_TIMEOUT)
        yield {"url": url, "database": database, "log": log, "env": env}
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
        out.close()


@pytest.fixture(scope="session")
def pages_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where every live server of the session records the pages it sends."""
    return tmp_path_factory.mktemp("pages")


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory, pages_dir: Path,
                seeded_demo: Path) -> Iterator[dict[str, Any]]:
    """A seeded application served by gunicorn in a subprocess, for the whole session."""
    with serve_live(tmp_path_factory.mktemp("live"), pages_dir, seeded_demo) as server:
        yield server


@pytest.fixture(scope="session")
def nu_checker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NuChecker]:
    """The Nu HTML checker as a loopback HTTP service for the whole session."""
    checker = NuChecker(ROOT, tmp_path_factory.mktemp("vnu") / "vnu.log")
    try:
        yield checker
    finally:
        checker.close()


@pytest.fixture(scope="session", autouse=True)
def html_pages(request: pytest.FixtureRequest, nu_checker: NuChecker, pages_dir: Path) -> CapturedPages:
    """Every page the live servers send to a tab, validated (see ``pytest_runtest_call``)."""
    pages = CapturedPages(pages_dir, nu_checker)
    request.config.stash[PAGES_KEY] = pages
    return pages


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Any:
    """Fail the test that visited a page the Nu HTML checker finds errors in."""
    pages = getattr(item, "funcargs", {}).get("html_pages")
    try:
        result = yield
    except BaseException:
        if pages is not None:
            pages.discard_pending()
        raise
    if pages is not None:
        report = pages.check_pending()
        if report:
            pytest.fail(report, pytrace=False)
    return result


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    pages = config.stash.get(PAGES_KEY, None)
    if pages is not None:
        terminalreporter.write_line(f"Nu HTML checker: {pages.validated} page(s) validated, "
                                    f"{pages.failed} with errors")
    axe = config.stash.get(AXE_CHECKED_KEY, None)
    if axe is not None:
        terminalreporter.write_line(f"axe-core: {axe['runs']} run(s), {axe['skipped']} page(s) of an "
                                    "already checked structure and width skipped")


@pytest.fixture(scope="session")
def live_url(live_server: dict[str, Any]) -> str:
    return live_server["url"]


@pytest.fixture(scope="session")
def live_db(live_server: dict[str, Any]) -> Path:
    return live_server["database"]


@pytest.fixture(scope="session")
def live_cli(live_server: dict[str, Any]) -> Callable[..., str]:
    """Run ``flask …`` against the live server's database; returns its output."""

    def run(*args: str) -> str:
        result = subprocess.run([sys.executable, "-m", "flask", *args], cwd=ROOT, env=live_server["env"],
                                capture_output=True, text=True, timeout=120, check=False)
        if result.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed: {result.stdout}{result.stderr}")
        return result.stdout

    return run


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="fr-FR")
    context.set_default_timeout(15_000)
    tab = context.new_page()
    yield tab
    context.close()


def format_violations(violations: list[dict[str, Any]], url: str, width: int) -> str:
    """axe violations as readable text: rule, impact, help, then each offending element."""
    lines = [f"{len(violations)} accessibility violation(s) on {url} at {width} px:"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation.get('impact')}): {violation['help']}")
        lines.append(f"  {violation.get('helpUrl', '')}")
        for node in violation["nodes"][:10]:
            lines.append(f"    at {', '.join(map(str, node['target']))}")
            lines.append(f"       {node.get('html', '')[:200]}")
            summary = (node.get("failureSummary") or "").replace("\n", " ")
            if summary:
                lines.append(f"       {summary[:300]}")
    return "\n".join(lines)


# What axe's rules read of a page, without its words and numbers: every element of the body
# with its attributes (digits folded, addresses and values left out) and whether it holds text
# of its own. Two pages with the same structure get the same axe verdict at the same width.
# axe costs about half a second of Chromium's CPU per run, and journeys come back to pages.
STRUCTURE_JS = """() => {
  const skip = new Set(["href", "value", "action", "src", "datetime", "content", "nonce"]);
  const parts = [document.documentElement.lang];
  for (const el of document.body.querySelectorAll("*")) {
    const attrs = [];
    for (const a of el.attributes) {
      if (!skip.has(a.name)) attrs.push(a.name + "=" + a.value.replace(/[0-9]+/g, "#"));
    }
    const text = [...el.childNodes].some(n => n.nodeType === 3 && n.textContent.trim());
    parts.push(el.tagName + "(" + attrs.join(",") + ")" + (text ? "T" : ""));
  }
  return parts.join(";");
}"""
AXE_RUN_JS = "() => axe.run(document, {resultTypes: ['violations']})"
AXE_CHECKED_KEY = pytest.StashKey[dict[str, int]]()


def _layout_key(page: Any, width: int) -> str:
    """What makes axe's verdict at ``width`` new: the page's structure at the full width; at a
    phone's width, where the rules that differ are about layout (what the breakpoints hide,
    target sizes), the page's route, whatever its content."""
    if width >= WIDTHS[0]:
        return page.evaluate(STRUCTURE_JS)
    return re.sub(r"[0-9]+", "#", urllib.parse.urlsplit(page.url).path)


@pytest.fixture(scope="session")
def axe_checked(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The page structures axe has passed at each width in this worker, and counts for the
    summary: a journey that comes back to a page of the same structure is not checked again."""
    seen: dict[str, Any] = {"structures": set(), "runs": 0, "skipped": 0}
    request.config.stash[AXE_CHECKED_KEY] = seen
    return seen


@pytest.fixture
def assert_accessible(html_pages: CapturedPages, axe_checked: dict[str, Any]) -> Callable[..., None]:
    def check(page: Any, widths: tuple[int, ...] = WIDTHS) -> None:
        page.wait_for_load_state()  # a click may have started a navigation: check where it lands
        original = page.viewport_size
        try:
            for width in widths:
                page.set_viewport_size({"width": width, "height": 900})
                structure = hashlib.sha256(f"{width}|{_layout_key(page, width)}".encode()).hexdigest()
                if structure in axe_checked["structures"]:
                    axe_checked["skipped"] += 1
                    continue
                if not page.evaluate("() => typeof window.axe !== 'undefined'"):
                    page.evaluate(AXE_SCRIPT)
                violations = page.evaluate(AXE_RUN_JS)["violations"]
                axe_checked["runs"] += 1
                if violations:
                    pytest.fail(format_violations(violations, page.url, width), pytrace=False)
                axe_checked["structures"].add(structure)
        finally:
            if original:
                page.set_viewport_size(original)
        report = html_pages.check_pending()
        if report:
            pytest.fail(report, pytrace=False)

    return check


@pytest.fixture
def totp_code_for(live_db: Path) -> Callable[[str], str]:
    def code(email: str) -> str:
        with sqlite3.connect(f"file:{live_db}?mode=ro", uri=True) as conn:
            row = conn.execute("SELECT totp_secret, totp_last_counter FROM users WHERE email = ?",
                               (email.lower(),)).fetchone()
        if row is None or not row[0]:
            raise LookupError(f"{email} has no TOTP secret on the live server")
        secret, last = row
        # A code is usable once, and the server also accepts the steps after the current one
        # (totp.WINDOW): take the first step not used yet, waiting only when none is left.
        # (Not the step before: the clock may leave the window on the way to the server.)
        while True:
            current = int(time.time()) // 30
            usable = [c for c in range(current, current + WINDOW + 1) if last is None or c > last]
            if usable:
                return pyotp.TOTP(secret).at(usable[0] * 30)
            time.sleep(0.5)

    return code


@pytest.fixture
def mail_link_for(live_db: Path, live_url: str) -> Callable[[str, str], str]:
    """The last link starting with ``path`` mailed to ``email`` by the live server (its outbox)."""

    def link(email: str, path: str) -> str:
        with sqlite3.connect(f"file:{live_db}?mode=ro", uri=True) as conn:
            rows = conn.execute("SELECT text_body FROM outbox_messages WHERE recipient = ? "
                                "ORDER BY id DESC", (email.lower(),)).fetchall()
        for (body,) in rows:
            match = re.search(re.escape(path) + r"[A-Za-z0-9_.\-]+", body)
            if match:
                return live_url + match.group(0)
        raise LookupError(f"no {path} link mailed to {email} on the live server")

    return link


@pytest.fixture
def sign_in(live_url: str, totp_code_for: Callable[[str], str]) -> Callable[..., None]:
    def do(page: Any, email: str, password: str = DEMO_PASSWORD) -> None:
        page.goto(live_url + "/connexion")
        page.get_by_label("Adresse e-mail").fill(email)
        page.get_by_label("Mot de passe", exact=True).fill(password)
        page.get_by_role("button", name="Se connecter").last.click()
        page.wait_for_load_state()
        if "/connexion/totp" in page.url:
            enrolling = page.locator("img.totp-qr").count() > 0
            page.locator("input[name=code]").fill(totp_code_for(email))
            page.locator("main button[type=submit]").click()
            page.wait_for_load_state()
            if enrolling:
                page.get_by_role("link", name="J'ai conservé mes codes, continuer").click()
                page.wait_for_load_state()
        if "/connexion" in page.url and "/connexion/" not in page.url:
            raise AssertionError(f"sign-in of {email} failed: {page.locator('main').inner_text()}")

    return do
