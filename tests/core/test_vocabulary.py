"""One vocabulary, complete English, one formatter (issue 13, item 1)."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from babel import dates as babel_dates
from babel import numbers as babel_numbers
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.pofile import read_po
from flask_babel import refresh

from catalogue import db
from catalogue.audit import history
from catalogue.core import formatting, labels
from catalogue.dossiers.lifecycle import DOSSIER_LIFECYCLE
from catalogue.frameworks.lifecycle import FRAMEWORK_LIFECYCLE
from catalogue.listings.lifecycle import LISTING_LIFECYCLE
from tests.accounts.helpers import sign_in, text
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None, "N_": None}
METHODS = [("catalogue/**.py", "python"), ("workflows/**.py", "python"), ("templates/**.html", "jinja2")]


@pytest.fixture(scope="module")
def english() -> dict[str, object]:
    with open(ROOT / "translations/en/LC_MESSAGES/messages.po", "rb") as handle:
        catalog = read_po(handle)
    return {m.id if isinstance(m.id, str) else m.id[0]: m.string for m in catalog if m.id}


def _translated(english: dict[str, object], msgid: str) -> bool:
    value = english.get(msgid)
    return bool(value) and (all(value) if isinstance(value, tuple) else True)


def test_every_message_of_the_code_and_templates_has_an_english_translation(english):
    """What ``make extract-messages`` extracts (same keywords, same files) is all translated."""
    found = set()
    for _file, _line, message, _comments, _ctx in extract_from_dir(
            str(ROOT), method_map=METHODS, keywords=KEYWORDS,
            options_map={"templates/**.html": {"silent": "false"}}):
        found.add(message if isinstance(message, str) else message[0])
    missing = sorted(m for m in found if m and not _translated(english, m))
    assert not missing, f"{len(missing)} messages without English: {missing[:20]}"


def test_every_transition_and_vocabulary_label_has_an_english_translation(english):
    lifecycle_labels = [t.label for lc in (DOSSIER_LIFECYCLE, LISTING_LIFECYCLE, FRAMEWORK_LIFECYCLE)
                        for t in lc.transitions]
    missing = [m for m in lifecycle_labels + labels.all_label_msgids() if not _translated(english, m)]
    assert not missing


def test_labels_are_the_same_words_in_each_language(app):
    with app.test_request_context("/?lang=en"):
        refresh()  # the test's app context keeps the locale of the previous request
        assert labels.label("dossier", "information_requested") == "information requested"
        assert labels.label("verdict", "reservation") == "Reservation"
        assert labels.label("session", "closed") == "closed"
        assert labels.label("kind", "initial") == "Initial referencing"
        submit = next(t for t in DOSSIER_LIFECYCLE.transitions if t.name == "request_information")
        assert labels.transition_label(submit) == "Request further information"
    with app.test_request_context("/?lang=fr"):
        refresh()  # the test's app context keeps the locale of the previous request
        assert labels.label("dossier", "information_requested") == "compléments demandés"
        assert labels.label("listing", "suspended") == "suspendue"
        assert labels.label("dossier", "unknown_state") == "unknown_state"


def test_formats_follow_the_reader_and_paris_time(app):
    with app.test_request_context("/?lang=fr"):
        refresh()  # the test's app context keeps the locale of the previous request
        assert formatting.day(date(2026, 1, 1)) == "1er janvier 2026"
        assert formatting.day(date(2026, 7, 24)) == "24 juillet 2026"
        # 23:30 UTC on 31 December is already New Year's Day in Paris.
        assert formatting.day(datetime(2025, 12, 31, 23, 30, tzinfo=UTC)) == "1er janvier 2026"
        winter = datetime(2026, 12, 2, 9, 0)
        assert formatting.moment(winter, zone=True) == "2 décembre 2026 à 10:00 (heure de Paris)"
        assert formatting.number(1951) == "1\u202f951"
        assert formatting.duration(1095) == "3 ans"
        assert formatting.quarter(2026, 1) == "T1 2026"
    with app.test_request_context("/?lang=en"):
        refresh()  # the test's app context keeps the locale of the previous request
        assert formatting.day(date(2026, 1, 1)) == "January 1, 2026"
        assert formatting.number(1951) == "1,951"
        assert formatting.duration(1095) == "3 years"
        assert formatting.quarter(2026, 1) == "Q1 2026"
    helpers = formatting.email_helpers("en")
    summer = helpers["moment"](datetime(2026, 7, 1, 8, 0, tzinfo=UTC))
    assert summer.startswith("July 1, 2026 at 10:00") and summer.endswith("(Paris time)")
    assert formatting.email_helpers("fr")["day"](date(2026, 3, 1)) == "1er mars 2026"


def test_numbers_and_days_are_written_as_babel_writes_them(app):
    # number() writes whole numbers without Babel and day() keeps Babel's parsed patterns
    # (docs/PERFORMANCE.md §0.4): the same text as Babel's own functions, in each language.
    counts = [*range(-1200, 1200, 7), 9_999, 10_000, 123_456, 1_000_000, 2**40, -(2**33)]
    days = [date(2026, 1, 1), date(2026, 3, 1), date(2025, 12, 31), date(1999, 7, 14)]
    for lang in ("fr", "en"):
        with app.test_request_context(f"/?lang={lang}"):
            refresh()  # the test's app context keeps the locale of the previous request
            for n in [*counts, 12.5, 0.125]:
                assert formatting.number(n) == babel_numbers.format_decimal(n, locale=lang)
            for fmt in ("long", "medium", "short", "full", "d MMM y"):
                for d in days:
                    expected = babel_dates.format_date(d, fmt, locale=lang)
                    if lang == "fr" and d.day == 1 and expected.startswith("1 "):
                        expected = "1er" + expected[1:]
                    assert formatting.day(d, fmt) == expected


def _event(action, actor_id=None, requirement=None, minute=0, **payload):
    if requirement:
        payload["requirement"] = requirement
    return SimpleNamespace(action=action, actor_id=actor_id, payload=payload,
                           occurred_at=datetime(2026, 3, 2, 9, minute, tzinfo=UTC))


def test_history_tells_sentences_and_groups_runs(app, session, make_user):
    user = make_user(display_name="Claire Martin")
    db.commit()  # each request context ends with a rollback; the outer test transaction still undoes it
    events = [_event("dossier.opened", user.id)]
    events += [_event("dossier.answer_saved", user.id, f"SEC-{n:02d}", minute=n) for n in range(1, 12)]
    events += [_event("dossier.submit", user.id, minute=30, to="submitted"),
               _event("dossier.lapse", minute=40)]
    with app.test_request_context("/?lang=fr"):
        refresh()  # the test's app context keeps the locale of the previous request
        entries = history.entries(session, events)
        sentences = [e.sentence for e in entries]
    assert sentences[0] == "Dossier ouvert par Claire Martin"
    assert sentences[1].startswith("Réponse enregistrée pour SEC-01, SEC-02")
    assert "et 3 autres" in sentences[1] and sentences[1].endswith("(11 fois)")
    assert entries[1].count == 11
    assert sentences[2:] == ["Dossier déposé par Claire Martin", "Dossier devenu caduc"]
    with app.test_request_context("/?lang=en"):
        refresh()  # the test's app context keeps the locale of the previous request
        english_entries = history.entries(session, events[:2])
    assert english_entries[1].sentence == "Answer saved for SEC-01 by Claire Martin"


def test_signing_in_keeps_the_language_chosen_before(client, make_user):
    make_user(email="lea@example.org")
    db.commit()
    assert "Sign in" in text(client.get("/connexion?lang=en"))
    response = sign_in(client, "lea@example.org", PASSWORD)
    assert response.status_code == 302
    page = text(client.get("/compte/"))
    assert '<html lang="en">' in page and "My account" in page


def test_no_message_is_translated_twice():
    """Merged branches may each add a message (the .po merges by union): a second entry would
    silently override the first translation."""
    text_ = (ROOT / "translations/en/LC_MESSAGES/messages.po").read_text()
    entries = re.findall(r'^msgid ((?:".*"\n)+)', text_, re.MULTILINE)
    repeated = sorted(e for e, n in Counter(entries).items() if n > 1)
    assert not repeated, repeated
