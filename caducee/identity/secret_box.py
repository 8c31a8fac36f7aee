"""Encryption at rest of the authenticator-app (TOTP) secrets.

A TOTP secret must be readable by the server (to compute the expected code), so it cannot
be hashed: it is encrypted with Fernet (AES-128-CBC + HMAC-SHA256, `cryptography`). The
key never lives in the database: it is derived with HKDF-SHA256 from Django's
`SECRET_KEY` (`CADUCEE_SECRET_KEY`, or the generated key file under CADUCEE_HOME), so a
copy of the database alone does not reveal the secrets.

Key rotation: values are encrypted with the current `SECRET_KEY` and decrypted with it or
any of `SECRET_KEY_FALLBACKS` (Django's setting, empty by default). Changing the secret
key without keeping the old one as a fallback makes every stored secret unreadable: those
people can no longer pass the second step until an administrator resets their second
factor (`caducee user reset-second-factor`, or the console) and they enrol again.
"""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

PREFIX = "f1:"  # marks an encrypted value (a bare value is a secret stored before encryption)
_INFO = b"caducee.identity.totp-secret.v1"


def _fernet(secret_key: str) -> Fernet:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(
        secret_key.encode()
    )
    return Fernet(base64.urlsafe_b64encode(derived))


def _keys() -> MultiFernet:
    keys = [str(settings.SECRET_KEY), *map(str, getattr(settings, "SECRET_KEY_FALLBACKS", []))]
    return MultiFernet([_fernet(k) for k in keys])


def seal(secret: str) -> str:
    """The value to store for a clear TOTP secret ('' stays '')."""
    if not secret:
        return ""
    return PREFIX + _keys().encrypt(secret.encode()).decode()


def unseal(stored: str) -> str:
    """The clear TOTP secret; '' when the value cannot be decrypted with the known keys."""
    if not stored:
        return ""
    if not stored.startswith(PREFIX):
        return stored  # written before encryption (the 0003 migration seals those)
    try:
        return _keys().decrypt(stored[len(PREFIX) :].encode()).decode()
    except InvalidToken:
        return ""


def is_sealed(stored: str) -> bool:
    return stored.startswith(PREFIX)
