"""A real S3-compatible HTTP server for the tests: moto's server mode on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import boto3
from moto.server import ThreadedMotoServer

# moto accepts any credentials; these only keep boto3 from looking for real ones.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "test", "AWS_SECRET_ACCESS_KEY": "test",
               "AWS_DEFAULT_REGION": "eu-west-3"}


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str

    def client(self):
        """A boto3 client of this server."""
        return boto3.client("s3", endpoint_url=self.endpoint_url,
                            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
                            region_name=CREDENTIALS["AWS_DEFAULT_REGION"])

    def create_bucket(self, name: str) -> None:
        self.client().create_bucket(
            Bucket=name, CreateBucketConfiguration={"LocationConstraint": CREDENTIALS["AWS_DEFAULT_REGION"]})

    def env(self) -> dict[str, str]:
        """What a process needs to use this server with ``STORAGE_URL=s3://…``."""
        return {**CREDENTIALS, "S3_ENDPOINT_URL": self.endpoint_url}


@contextmanager
def s3_server() -> Iterator[S3Server]:
    """Start moto's HTTP server on a free port of 127.0.0.1 for the duration."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield S3Server(f"http://{host}:{port}")
    finally:
        server.stop()
