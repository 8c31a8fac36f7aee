"""`caducee lifecycle …` in-process against the test database."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from caducee.accounts.models import Account, AccountState
from caducee.audit.models import AuditEvent
from caducee.lifecycle.export import HEADERS
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories
from tests.helpers import run_cli
from tests.lifecycle.test_operations import ACTIVE, DUE, inactive_since

pytestmark = pytest.mark.django_db
Capsys = pytest.CaptureFixture[str]


@pytest.fixture
def idle(structure_a: Structure, alice: User) -> Account:
    return inactive_since(factories.make_account(structure_a, "PER", "idle@example.org"), ACTIVE)


def test_run_with_today_warns_then_deletes(capsys: Capsys, idle: Account) -> None:
    week_before = (DUE - timedelta(days=7)).isoformat()
    code, out, _ = run_cli(capsys, "lifecycle", "run", "--today", week_before)
    assert code == 0
    assert "1 avertissement(s) d'inactivité" in out
    code, out, _ = run_cli(capsys, "lifecycle", "run", "--today", week_before, "--json")
    assert json.loads(out) == {
        "day": week_before,
        "expired": [],
        "deleted": [],
        "expiry_warnings": 0,
        "inactivity_warnings": 0,
    }
    code, out, _ = run_cli(capsys, "lifecycle", "run", "--today", DUE.isoformat())
    assert code == 0
    assert "supprimé (inactivité) : idle@example.org" in out
    idle.refresh_from_db()
    assert idle.state == AccountState.DELETED
    assert AuditEvent.objects.get(action="account.delete").actor_label.startswith("cli:")


def test_run_refuses_a_malformed_day(capsys: Capsys) -> None:
    with pytest.raises(SystemExit) as exit_:
        run_cli(capsys, "lifecycle", "run", "--today", "31/12/2026")
    assert exit_.value.code == 2
    assert "AAAA-MM-JJ" in capsys.readouterr().err


@pytest.mark.parametrize("suffix", ["csv", "xlsx"])
def test_export_inactive_format_from_the_extension(
    capsys: Capsys, tmp_path: Path, idle: Account, structure_a: Structure, suffix: str
) -> None:
    target = tmp_path / f"inactifs.{suffix}"
    day = (DUE - timedelta(days=10)).isoformat()
    code, out, _ = run_cli(
        capsys, "lifecycle", "export-inactive", "--structure", structure_a.name,
        "--output", str(target), "--today", day,
    )  # fmt: skip
    assert code == 0, out
    if suffix == "xlsx":
        rows = CalamineWorkbook.from_path(str(target)).get_sheet_by_index(0).to_python()
        assert rows[0] == list(HEADERS)
        assert rows[1][1] == "idle@example.org"
    else:
        lines = target.read_text("utf-8-sig").splitlines()
        assert lines[0] == ";".join(HEADERS)
        assert lines[1].startswith("Suppression prévue;idle@example.org;")


def test_export_inactive_format_option_and_unknown_extension(
    capsys: Capsys, tmp_path: Path, structure_a: Structure
) -> None:
    target = tmp_path / "inactifs.txt"
    code, _, err = run_cli(
        capsys, "lifecycle", "export-inactive", "--structure", structure_a.name,
        "--output", str(target),
    )  # fmt: skip
    assert code == 2 and ".csv ou .xlsx" in err
    code, _, _ = run_cli(
        capsys, "lifecycle", "export-inactive", "--structure", structure_a.name,
        "--output", str(target), "--format", "csv",
    )  # fmt: skip
    assert code == 0
    assert target.read_text("utf-8-sig").startswith("État;")


def test_exempt_show_unexempt(capsys: Capsys, idle: Account) -> None:
    code, out, _ = run_cli(capsys, "lifecycle", "exempt", idle.email, "--reason", "BAL d'astreinte")
    assert code == 0
    idle.refresh_from_db()
    assert idle.inactivity_exempt_reason == "BAL d'astreinte"
    code, out, _ = run_cli(capsys, "lifecycle", "show", idle.email)
    assert "exempté de suppression : BAL d'astreinte" in out
    code, out, _ = run_cli(capsys, "lifecycle", "show", idle.email, "--json")
    assert json.loads(out)["inactivity_exempt_reason"] == "BAL d'astreinte"
    code, out, _ = run_cli(capsys, "lifecycle", "unexempt", idle.email)
    assert code == 0
    idle.refresh_from_db()
    assert idle.inactivity_exempt_reason == ""
    code, _, err = run_cli(capsys, "lifecycle", "exempt", idle.email, "--reason", " ")
    assert code == 1 and "motif" in err
