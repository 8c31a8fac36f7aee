"""Random secrets and their stored digest."""

from __future__ import annotations

import hashlib

from caducee.core.context import Context, cli_context, system_context
from caducee.core.secrets import LOWER_ALPHABET, digest, readable_password, url_token


def test_the_digest_is_the_hex_sha256_of_the_secret() -> None:
    assert digest("cad_abc") == hashlib.sha256(b"cad_abc").hexdigest()
    assert digest("cad_abc") != digest("cad_abd")


def test_passwords_have_the_asked_shape_and_no_ambiguous_character() -> None:
    password = readable_password(4, 5)
    groups = password.split("-")
    assert [len(g) for g in groups] == [5, 5, 5, 5]
    assert not set(password) & set("0O1lI")
    lower = readable_password(5, 4, LOWER_ALPHABET)
    assert lower == lower.lower() and len(lower) == 24
    assert readable_password(4, 5) != readable_password(4, 5)
    assert len(url_token()) >= 43


def test_only_a_context_without_a_person_on_the_server_is_the_server() -> None:
    assert cli_context().is_server
    assert system_context("purge").is_server
    assert not Context(user=None, channel="web").is_server
    assert not Context(user=None, channel="smtp").is_server
