"""Fixtures of the storage tests: the S3-compatible server (tests/storage/s3.py)."""

from tests.storage.s3 import s3_server, s3_storage  # noqa: F401  (fixtures)
