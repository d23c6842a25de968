"""Every message has its six parts, and each is sent by exactly one typed function."""

from __future__ import annotations

import re
from pathlib import Path

from catalogue.notifications.services import EMAILS_DIR

ROOT = Path(__file__).resolve().parents[2]
PARTS = {f"{stem}.{lang}.{ext}" for stem, ext in (("subject", "txt"), ("body", "txt"), ("body", "html"))
         for lang in ("fr", "en")}


def _messages() -> list[str]:
    return sorted(p.name for p in EMAILS_DIR.iterdir() if p.is_dir())


def test_every_message_has_a_subject_a_text_and_an_html_body_in_french_and_english():
    incomplete = {name: sorted(PARTS - {p.name for p in (EMAILS_DIR / name).iterdir()})
                  for name in _messages()}
    assert {name: missing for name, missing in incomplete.items() if missing} == {}


def test_every_message_is_sent_by_one_typed_function_in_its_domain():
    senders = {}
    for module in sorted((ROOT / "catalogue").glob("*/notifications.py")):
        for name in re.findall(r'"([a-z_]+)"', module.read_text(encoding="utf-8")):
            if (EMAILS_DIR / name).is_dir():
                senders.setdefault(name, set()).add(module.parent.name)
    assert sorted(senders) == _messages()
    assert {name: domains for name, domains in senders.items() if len(domains) > 1} == {}


def test_services_send_no_message_by_name():
    # Outside the domains' notifications modules, a message is sent through a typed function.
    by_name = re.compile(r"notifications\.(notify|send_email)\(")
    offenders = [str(p.relative_to(ROOT)) for p in (ROOT / "catalogue").rglob("*.py")
                 if p.name != "notifications.py" and p.parent.name != "notifications"
                 and by_name.search(p.read_text(encoding="utf-8"))]
    assert offenders == []


def test_french_messages_use_narrow_no_break_spaces():
    """French typography in the French parts' prose (not in tags or template code), as the
    pages have it: "Motif\u202f: …", never a breakable space before ":", ";", "!", "?"."""
    code = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|<[^>]*>", re.S)
    plain = re.compile(r" [:;!?»](?![\w/=])|« ")
    offenders = [str(path.relative_to(EMAILS_DIR)) for path in sorted(EMAILS_DIR.glob("*/*.fr.*"))
                 if plain.search(code.sub("", path.read_text(encoding="utf-8")))]
    assert offenders == []
