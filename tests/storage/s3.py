"""A real S3-compatible server for the tests: moto in server mode, in its own process on
a free loopback port (test support).

`s3_server` (session) starts it and creates the bucket; `s3_storage` points Django's
`default` storage at it for one test, under a prefix of its own, through the same
CADUCEE_STORAGE_URL parsing as production.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from caducee.storage.config import default_storage_settings

BUCKET = "caducee-tests"
REGION = "us-east-1"
KEY = "caducee-test-key"
SECRET = "caducee-test-secret"  # moto accepts any credentials
START_SECONDS = 30


@dataclass(frozen=True)
class S3Server:
    endpoint: str

    def url(self, prefix: str) -> str:
        return f"s3://{BUCKET}/{prefix}?endpoint={self.endpoint}&region={REGION}"

    def client(self) -> Any:
        import boto3  # type: ignore[import-untyped]  # boto3 ships no stubs

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name=REGION,
            aws_access_key_id=KEY,
            aws_secret_access_key=SECRET,
        )

    def keys(self, prefix: str) -> dict[str, bytes]:
        """Every object under the prefix, with its content."""
        client = self.client()
        listed = client.list_objects_v2(Bucket=BUCKET, Prefix=prefix + "/")
        return {
            o["Key"]: client.get_object(Bucket=BUCKET, Key=o["Key"])["Body"].read()
            for o in listed.get("Contents", [])
        }

    def env(self, prefix: str) -> dict[str, str]:
        """The environment of a `caducee` process storing its files there."""
        return {
            "CADUCEE_STORAGE_URL": self.url(prefix),
            "CADUCEE_STORAGE_KEY": KEY,
            "CADUCEE_STORAGE_SECRET": SECRET,
            "AWS_EC2_METADATA_DISABLED": "true",
        }


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_until_up(process: subprocess.Popen[bytes], endpoint: str, log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"moto_server stopped: {log.read_text(errors='replace')}")
        try:
            with urllib.request.urlopen(f"{endpoint}/moto-api/", timeout=2):  # noqa: S310
                return
        except OSError:
            time.sleep(0.2)
    raise AssertionError(f"moto_server did not answer within {START_SECONDS} s")


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    log = tmp_path_factory.mktemp("moto") / "moto.log"
    port = free_port()
    endpoint = f"http://127.0.0.1:{port}"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_up(process, endpoint, log)
        server = S3Server(endpoint)
        server.client().create_bucket(Bucket=BUCKET)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def s3_storage(s3_server: S3Server, settings: Any, monkeypatch: pytest.MonkeyPatch) -> str:
    """Django's `default` storage on the moto server for this test; returns its prefix."""
    prefix = f"test-{uuid.uuid4().hex[:12]}"
    monkeypatch.setenv("CADUCEE_STORAGE_KEY", KEY)
    monkeypatch.setenv("CADUCEE_STORAGE_SECRET", SECRET)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": default_storage_settings(s3_server.url(prefix)),
    }
    return prefix
