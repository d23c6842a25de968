"""One interface, two backends: every test runs on ``file://`` and on S3 (moto's server
mode, a real S3 HTTP API on 127.0.0.1), including through the application."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from catalogue import db
from catalogue.dossiers import evidence as evidence_files
from catalogue.dossiers.models import Evidence
from catalogue.dossiers.samples import sample_pdf
from catalogue.storage import services as storage
from catalogue.storage.services import S3Storage, StorageError, new_key, storage_from_url
from tests.factories_publishers import owner_of
from tests.s3 import CREDENTIALS


def test_put_then_get_gives_the_same_bytes(store):
    key = new_key("evidence")
    data = bytes(range(256)) * 4096  # 1 MiB, every byte value
    store.put(key, data)
    assert store.exists(key)
    assert store.get(key) == data


def test_put_replaces_an_object(store):
    key = new_key("evidence")
    store.put(key, b"first")
    store.put(key, b"second")
    assert store.get(key) == b"second"


def test_missing_object_does_not_exist_and_cannot_be_read(store):
    key = new_key("evidence")
    assert not store.exists(key)
    with pytest.raises(StorageError):
        store.get(key)


def test_delete_removes_and_is_idempotent(store):
    key = new_key("evidence")
    store.put(key, b"x")
    store.delete(key)
    assert not store.exists(key)
    store.delete(key)  # already gone: no error


def test_empty_object(store):
    key = new_key("logos")
    store.put(key, b"")
    assert store.exists(key) and store.get(key) == b""


@pytest.mark.parametrize("key", ["../etc/passwd", "/absolute", "evidence//x", "Evidence/UPPER",
                                 "evidence/../../x", "", "a" * 200])
def test_unsafe_keys_are_refused(store, key):
    with pytest.raises(ValueError):
        store.put(key, b"x")
    with pytest.raises(ValueError):
        store.get(key)


def test_keys_are_random_and_well_formed():
    first, second = new_key("evidence"), new_key("evidence")
    assert first != second and first.startswith("evidence/") and len(first.split("/")[-1]) == 32


def test_s3_objects_live_under_the_prefix(s3):
    s3.create_bucket("prefixed")
    store = S3Storage("prefixed", "/deployment-a/", client=s3.client())
    key = new_key("evidence")
    store.put(key, b"x")
    listed = [o["Key"] for o in s3.client().list_objects_v2(Bucket="prefixed")["Contents"]]
    assert listed == [f"deployment-a/{key}"]


def test_storage_url_with_endpoint_from_the_environment(s3, monkeypatch):
    for name, value in {**CREDENTIALS, "S3_ENDPOINT_URL": s3.endpoint_url}.items():
        monkeypatch.setenv(name, value)
    s3.create_bucket("from-url")
    store = storage_from_url("s3://from-url/prefix")
    key = new_key("evidence")
    store.put(key, b"configured")
    assert s3.client().get_object(Bucket="from-url", Key=f"prefix/{key}")["Body"].read() == b"configured"


def test_unreachable_s3_is_a_storage_error(s3):
    from tests.s3 import S3Server

    closed = S3Server("http://127.0.0.1:9")  # discard port: connection refused
    store = S3Storage("bucket", client=closed.client())
    with pytest.raises(StorageError):
        store.put(new_key("evidence"), b"x")
    assert not store.exists(new_key("evidence"))


@pytest.fixture
def app_storage(store):
    """The application's storage is the backend under test."""
    previous = storage.get_storage()
    storage.configure(store)
    try:
        yield store
    finally:
        storage.configure(previous)


def test_evidence_uploaded_is_downloaded_through_http(app_storage, client, login, session, make_dossier):
    dossier = make_dossier()
    owner = owner_of(session, dossier.organisation)
    stranger = owner_of(session, make_dossier().organisation)  # another publisher
    data = sample_pdf("Pièce sur le stockage")
    evidence = evidence_files.add_evidence(session, dossier.organisation, actor=owner, filename="aipd.pdf",
                                     data=data, kind="dpia", title="AIPD")
    db.commit()
    evidence_id = evidence.id
    assert app_storage.get(evidence.storage_key) == data
    login(owner)
    served = client.get(f"/pieces/{evidence_id}")
    assert served.status_code == 200 and served.data == data
    login(stranger)
    assert client.get(f"/pieces/{evidence_id}").status_code == 404


def test_rolled_back_upload_leaves_no_object(app_storage, session, make_dossier):
    dossier = make_dossier()
    owner = owner_of(session, dossier.organisation)
    db.commit()
    evidence = evidence_files.add_evidence(session, dossier.organisation, actor=owner, filename="a.pdf",
                                     data=sample_pdf("rolled back"), kind="dpia", title="AIPD")
    key = evidence.storage_key
    assert app_storage.exists(key)
    db.rollback()
    assert not app_storage.exists(key)
    assert session.scalar(select(Evidence).where(Evidence.storage_key == key)) is None
