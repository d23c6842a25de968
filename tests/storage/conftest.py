"""Storage backends under test: ``file://`` on disk and ``s3://`` on moto's real HTTP server."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from catalogue.storage.services import FileStorage, S3Storage, Storage
from tests.s3 import S3Server, s3_server


@pytest.fixture(scope="session")
def s3() -> Iterator[S3Server]:
    with s3_server() as server:
        yield server


@pytest.fixture(params=["file", "s3"])
def store(request, tmp_path) -> Storage:
    """Each backend in turn, empty."""
    if request.param == "file":
        return FileStorage(tmp_path / "evidence")
    s3: S3Server = request.getfixturevalue("s3")
    bucket = f"evidence-{uuid.uuid4().hex[:12]}"
    s3.create_bucket(bucket)
    return S3Storage(bucket, "catalogue/prefix", client=s3.client())
