"""`caducee loadusers …` called in-process against the test database."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from python_calamine import CalamineWorkbook

from caducee.accounts.fields import HEADERS
from caducee.accounts.models import Account
from caducee.structures.models import Structure
from tests import factories
from tests.helpers import run_cli
from tests.loadusers.builders import csv_bytes, line

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_template(capsys: pytest.CaptureFixture[str], tmp_path: Path, fmt: str) -> None:
    target = tmp_path / f"modele.{fmt}"
    code, _, _ = run_cli(capsys, "loadusers", "template", "--format", fmt, "--output", str(target))
    assert code == 0
    if fmt == "xlsx":
        rows = CalamineWorkbook.from_path(str(target)).get_sheet_by_index(0).to_python()
        assert rows[0] == list(HEADERS)
    else:
        assert target.read_text("utf-8-sig").splitlines()[0] == ";".join(HEADERS)


def test_import_json_and_exit_codes(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, structure_a: Structure
) -> None:
    source = tmp_path / "comptes.csv"
    source.write_bytes(csv_bytes([line("MED", "m@ch-a.fr"), line("PER", "p@ch-a.fr", rpps="1")]))
    code, out, _ = run_cli(
        capsys, "loadusers", "import", str(source), "--structure", structure_a.name, "--json"
    )
    assert code == 0
    answer = json.loads(out)
    assert {k: answer[k] for k in ("created", "updated", "unchanged", "rejected")} == {
        "created": 1,
        "updated": 0,
        "unchanged": 0,
        "rejected": 1,
    }
    problem = next(p for p in answer["problems"] if p["severity"] == "error")
    assert problem["line"] == 3 and problem["column"] == "RPPS"
    assert problem["email"] == "p@ch-a.fr" and problem["code"] == "identifier"
    assert set(problem) == {"line", "column", "email", "severity", "code", "message", "value"}
    assert problem["value"] == "1"
    assert answer["groups"][0]["lines"] == [3] and answer["addresses_generated"] == 0


def test_import_dry_run_and_text_output(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, structure_a: Structure
) -> None:
    source = tmp_path / "comptes.csv"
    source.write_bytes(csv_bytes([line("MED", "m@ch-a.fr", city="paris")]))
    code, out, _ = run_cli(
        capsys,
        "loadusers",
        "import",
        str(source),
        "--structure",
        structure_a.id_number,
        "--dry-run",
        "--notify",
        "--visible",
    )
    assert code == 0
    assert "1 compte(s) créé(s)" in out and "simulation" in out and "ligne 2" in out
    assert not Account.objects.exists()


def test_unusable_file_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, structure_a: Structure
) -> None:
    source = tmp_path / "comptes.csv"
    source.write_bytes(csv_bytes([line("MED")], ["email", "last_name"]))
    code, out, err = run_cli(
        capsys, "loadusers", "import", str(source), "--structure", structure_a.name, "--json"
    )
    assert code == 2 and out == ""
    assert "Type BAL" in err and err[-1] == "\n" and err.count("\n") == 1
    missing = tmp_path / "absent.csv"
    code, _, err = run_cli(
        capsys, "loadusers", "import", str(missing), "--structure", structure_a.name
    )
    assert code == 2 and "illisible" in err


def test_unknown_structure_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, db: None
) -> None:
    source = tmp_path / "comptes.csv"
    source.write_bytes(csv_bytes([line("MED")]))
    code, _, err = run_cli(capsys, "loadusers", "import", str(source), "--structure", "Nulle part")
    assert code == 1 and "introuvable" in err


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_reimport(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, structure_a: Structure, fmt: str
) -> None:
    source = tmp_path / "comptes.csv"
    source.write_bytes(csv_bytes([line("MED", "m@ch-a.fr"), line("PER", "p@ch-a.fr")]))
    run_cli(capsys, "loadusers", "import", str(source), "--structure", structure_a.name)
    target = tmp_path / f"export.{fmt}"
    code, _, _ = run_cli(
        capsys,
        "loadusers",
        "export",
        "--structure",
        structure_a.name,
        "--format",
        fmt,
        "--output",
        str(target),
    )
    assert code == 0
    code, out, _ = run_cli(
        capsys, "loadusers", "import", str(target), "--structure", structure_a.name, "--json"
    )
    assert code == 0 and json.loads(out)["unchanged"] == 2


def test_unwritable_output_is_a_clear_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, structure_a: Structure
) -> None:
    target = str(tmp_path / "absent" / "f.csv")
    code, _, err = run_cli(capsys, "loadusers", "template", "--format", "csv", "--output", target)
    assert code == 1 and "impossible d'écrire" in err
    code, _, err = run_cli(
        capsys, "loadusers", "export", "--structure", structure_a.name, "--format", "xlsx",
        "--output", target,
    )  # fmt: skip
    assert code == 1 and "impossible d'écrire" in err


@pytest.mark.parametrize("kind", factories.VICTIM_KINDS)
def test_a_cli_import_never_binds_a_login_with_rights_elsewhere(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    structure_a: Structure,
    structure_b: Structure,
    kind: str,
) -> None:
    victim = factories.make_victim(kind, structure_b)
    source = tmp_path / "comptes.csv"
    source.write_bytes(csv_bytes([line("MED", victim.email)]))
    _, out, _ = run_cli(
        capsys, "loadusers", "import", str(source), "--structure", structure_a.name, "--json"
    )
    answer = json.loads(out)
    assert answer["created"] == 0 and answer["rejected"] == 1
    problem = answer["problems"][0]
    if kind == "mailbox_elsewhere":
        # The server sees every structure: that mailbox is named, and stays where it is.
        assert (problem["column"], problem["code"]) == ("Structure", "other_structure")
    else:
        assert (problem["column"], problem["code"]) == ("Adresse mail", "unavailable")
    assert not Account.objects.filter(structure=structure_a, email=victim.email).exists()


def test_text_output_gives_the_addresses_and_the_problems_by_kind(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, structure_a: Structure
) -> None:
    lines = [line("PER", f"p{n}@ch-a.fr", profession="Astronaute") for n in range(3)]
    lines.append(line("PER", "ok@ch-a.fr", first_name="Jeanne", last_name="Dupont"))
    source = tmp_path / "comptes.csv"
    source.write_bytes(csv_bytes(lines))
    code, out, _ = run_cli(
        capsys, "loadusers", "import", str(source), "--structure", structure_a.name
    )
    assert code == 0
    assert "1 adresse(s) MSSanté générée(s)" in out
    assert "ligne 5 (ok@ch-a.fr) : jeanne.dupont@ch-a.mssante.fr" in out
    by_kind = out.index("Problèmes par type :")
    assert out.index("  3 lignes : ", by_kind) < out.index("Ligne par ligne :")
    assert "colonne « Profession », ligne(s) 2, 3, 4]" in out
    assert Account.objects.get(email="ok@ch-a.fr").mssante_particle == "jeanne.dupont"
