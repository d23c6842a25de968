"""Open data exports are built once per catalogue version, stored, then streamed with
ETag and Last-Modified; a change of the catalogue gives a new file."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from catalogue import db
from catalogue.accounts.models import Role
from catalogue.listings import exports
from catalogue.listings import services as listings
from catalogue.listings.views import public as views
from catalogue.storage.services import get_storage
from tests.factories_listings import reload

EXPORTS = ("/opendata/catalogue.csv", "/opendata/catalogue.json", "/catalogue/feed.atom")


def test_exports_are_built_once_per_version_then_streamed(client: Any, count_queries: Any,
                                                          bulk_listings: Any) -> None:
    bulk_listings([{"name": "Glycémie Facile"}, {"name": "Sérénité"}])
    for path in EXPORTS:
        first = client.get(path)
        assert first.status_code == 200 and first.headers["ETag"] and first.headers["Last-Modified"]
        assert int(first.headers["Content-Length"]) == len(first.data)
        with count_queries() as counter:
            again = client.get(path)
        # The stored file answers: the version is read, no listing is.
        assert counter.count <= 1, (path, counter.statements)
        assert again.data == first.data and again.headers["ETag"] == first.headers["ETag"]


def test_exports_keep_their_formats(client: Any, bulk_listings: Any) -> None:
    bulk_listings([{"name": "Écoute Bébé", "summary": "Grossesse sereine."},
                   {"name": "Sérénité"}])
    raw = client.get("/opendata/catalogue.json").get_data(as_text=True)
    data = json.loads(raw)
    # Byte for byte what json.dumps gave when the export was built in memory.
    assert raw == json.dumps({"count": 2, "items": data["items"]}, ensure_ascii=False)
    assert [i["name"] for i in data["items"]] == ["Écoute Bébé", "Sérénité"]
    body = client.get("/opendata/catalogue.csv").get_data(as_text=True)
    assert body.startswith("\ufeff\"slug\",\"name\",")  # every cell quoted (F11)
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff"))))
    assert [r["name"] for r in rows] == ["Écoute Bébé", "Sérénité"]


def test_if_modified_since_and_if_none_match(client: Any, bulk_listings: Any) -> None:
    bulk_listings([{"name": "Sérénité"}])
    first = client.get("/opendata/catalogue.csv")
    modified = first.headers["Last-Modified"]
    assert client.get("/opendata/catalogue.csv",
                      headers={"If-Modified-Since": modified}).status_code == 304
    assert client.get("/opendata/catalogue.csv",
                      headers={"If-None-Match": first.headers["ETag"]}).status_code == 304
    # If-None-Match wins over If-Modified-Since (RFC 9110 §13.2.2).
    assert client.get("/opendata/catalogue.csv", headers={
        "If-None-Match": '"other"', "If-Modified-Since": modified}).status_code == 200
    assert client.get("/opendata/catalogue.csv", headers={
        "If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"}).status_code == 200


def test_a_catalogue_change_gives_a_new_stored_file(app: Any, client: Any, session: Any,
                                                     bulk_listings: Any, make_user: Any) -> None:
    first, _second = bulk_listings([{"name": "Glycémie Facile"}, {"name": "Sérénité"}])
    before = client.get("/opendata/catalogue.csv")
    from catalogue.listings import cache

    old_key = exports.key_for("csv", cache.current_version(session), app.config["BASE_URL"].rstrip("/"))
    assert get_storage().exists(old_key)
    secretariat = make_user(roles=[Role.SECRETARIAT])
    with app.test_request_context("/opendata/catalogue.csv"):
        listings.suspend_listing(session, reload(first), actor=secretariat,
                                 reason="Faille de sécurité en cours d'analyse.")
        # Inside the changing transaction, the export shows the change but is not stored.
        inside = views.opendata_csv()
        assert "Glycémie" not in b"".join(inside.response).decode()
        new_key = exports.key_for("csv", cache.current_version(session), app.config["BASE_URL"].rstrip("/"))
        assert new_key != old_key and not get_storage().exists(new_key)
        db.commit()
    after = client.get("/opendata/catalogue.csv")
    assert after.headers["ETag"] != before.headers["ETag"]
    assert "Glycémie" in before.get_data(as_text=True)
    assert "Glycémie" not in after.get_data(as_text=True)
    assert get_storage().exists(new_key)
    assert not get_storage().exists(old_key)  # older versions are cleaned up


def test_while_a_version_is_built_readers_get_the_previous_one_or_a_503(
        client: Any, session: Any, bulk_listings: Any, make_user: Any, monkeypatch: Any) -> None:
    import threading

    first, _second = bulk_listings([{"name": "Glycémie Facile"}, {"name": "Sérénité"}])
    idle = threading.Thread(target=lambda: None)
    idle.start()
    monkeypatch.setattr(exports, "_start_build", lambda *args: idle)  # a build that never ends
    monkeypatch.setattr(exports, "WAIT_SECONDS", 0.01)
    unavailable = client.get("/opendata/catalogue.csv")
    assert unavailable.status_code == 503 and unavailable.headers["Retry-After"]
    assert unavailable.mimetype == "application/problem+json"
    monkeypatch.undo()
    before = client.get("/opendata/catalogue.csv")
    assert before.status_code == 200
    listings.suspend_listing(session, reload(first), actor=make_user(roles=[Role.SECRETARIAT]),
                             reason="Faille de sécurité en cours d'analyse.")
    db.commit()
    monkeypatch.setattr(exports, "_start_build", lambda *args: idle)
    monkeypatch.setattr(exports, "WAIT_SECONDS", 0.01)
    stale = client.get("/opendata/catalogue.csv")
    assert stale.status_code == 200 and stale.data == before.data
    assert stale.headers["ETag"] == before.headers["ETag"]  # the old version's, not the new one's
    assert stale.headers["Cache-Control"] == "no-cache"
    monkeypatch.undo()
    fresh = client.get("/opendata/catalogue.csv")
    assert fresh.headers["ETag"] != before.headers["ETag"] and "Glycémie" not in fresh.get_data(as_text=True)
