"""Secrets the platform hands out, and the one way it stores them: a SHA-256 digest.

Tokens, links, trusted-browser keys and application passwords are random and long, so a
plain SHA-256 (no salt, no stretching) is the right store: it lets a lookup by digest use an
index, and a stolen table gives nothing usable. Human-chosen passwords never come here
(Django's password hashers keep those).
"""

from __future__ import annotations

import hashlib
import secrets

# No 0/O, 1/l/I: a password read aloud or copied from paper stays unambiguous.
READABLE_ALPHABET = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
# Lower case only, for secrets typed on a phone keyboard (application passwords).
LOWER_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


def digest(secret: str) -> str:
    """The stored form of a random secret (hex SHA-256 of its UTF-8 bytes)."""
    return hashlib.sha256(secret.encode()).hexdigest()


def url_token(nbytes: int = 32) -> str:
    """A random token safe in a URL."""
    return secrets.token_urlsafe(nbytes)


def readable_password(groups: int, size: int, alphabet: str = READABLE_ALPHABET) -> str:
    """A random password in dash-separated groups of unambiguous characters."""
    return "-".join("".join(secrets.choice(alphabet) for _ in range(size)) for _ in range(groups))
