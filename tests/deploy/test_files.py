"""Every file under deploy/ is exercised by a test (issue #13): each is named by one."""

from __future__ import annotations

from tests.mail.instances import ROOT


def test_every_deploy_file_is_named_by_a_test() -> None:
    tests = "\n".join(
        path.read_text(encoding="utf-8")
        for path in (ROOT / "tests").rglob("*.py")
        if path.name != "test_files.py"
    )
    files = [path for path in (ROOT / "deploy").rglob("*") if path.is_file()]
    assert files
    unnamed = [
        str(path.relative_to(ROOT))
        for path in files
        if path.name not in tests and str(path.relative_to(ROOT / "deploy")) not in tests
    ]
    assert unnamed == []
