"""Every environment variable the code reads is named in docs/CONFIGURATION.md."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[2]


def test_every_variable_is_documented() -> None:
    used: set[str] = set()
    for path in (ROOT / "caducee").rglob("*.py"):
        used |= set(re.findall(r"\"(CADUCEE_[A-Z_]+)\"", path.read_text(encoding="utf-8")))
    documented = set(
        re.findall(
            r"CADUCEE_[A-Z_]+", (ROOT / "docs" / "CONFIGURATION.md").read_text(encoding="utf-8")
        )
    )
    assert used - documented == set()
