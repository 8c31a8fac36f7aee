from __future__ import annotations

from pathlib import Path

import pytest

from caducee.cli.main import main
from caducee.mail.models import WhitelistDomain
from tests.mail.test_addresses import XML


def test_whitelist_refresh_command(
    tmp_path: Path, db: None, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "listeblanchemssante.xml"
    path.write_bytes(XML)
    assert main(["mail", "whitelist-refresh", "--fichier", str(path)]) == 0
    assert "2 domaines" in capsys.readouterr().out
    assert WhitelistDomain.objects.count() == 2
    assert main(["mail", "whitelist-refresh", "--fichier", str(tmp_path / "absent.xml")]) == 1
    assert "Liste blanche illisible" in capsys.readouterr().err


def test_deliver_command_with_an_empty_queue(db: None, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["mail", "deliver"]) == 0
    assert "0 remis" in capsys.readouterr().out
