"""deploy/pwa_icons.py draws the web app icons the repository ships (issue #18 point 5)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ICONS = ROOT / "caducee" / "static" / "caducee" / "icons"


def test_the_committed_icons_are_what_the_script_draws(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "deploy" / "pwa_icons.py"), str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    drawn = sorted(p.name for p in tmp_path.iterdir())
    assert drawn == sorted(p.name for p in ICONS.iterdir())
    for name in drawn:
        assert (tmp_path / name).read_bytes() == (ICONS / name).read_bytes(), name
