"""The terms of use (CGU): versioned text files shipped with the project."""

from __future__ import annotations

import re
from pathlib import Path

from django.conf import settings

CGU_DIR = Path(__file__).resolve().parent / "cgu"
_VERSION = re.compile(r"^[A-Za-z0-9._-]{1,32}$")


def current_version() -> str:
    return str(settings.CGU_VERSION)


def text(version: str | None = None) -> str:
    """The text of a version (the current one by default); '' if it is not shipped."""
    wanted = version or current_version()
    if not _VERSION.match(wanted):
        return ""
    path = CGU_DIR / f"{wanted}.txt"
    return path.read_text(encoding="utf-8") if path.exists() else ""
