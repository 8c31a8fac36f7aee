"""`caducee activity show`: the tables of « Activité structure » from the shell."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from caducee.cli import activity as cli_activity
from caducee.stats.figures import KEYS
from caducee.structures.models import Structure
from tests import factories
from tests.helpers import run_cli


def test_the_table_names_are_the_page_s() -> None:
    assert cli_activity.KEYS == KEYS


def test_it_prints_a_structure_s_tables(
    capsys: pytest.CaptureFixture[str], structure_a: Structure, structure_b: Structure
) -> None:
    factories.make_account(structure_a, "MED")
    factories.make_account(structure_b, "MED")
    code, out, _ = run_cli(capsys, "activity", "show", "--structure", structure_a.name)
    assert code == 0
    assert "# Comptes par état\nSemaine du;Préinscrit;" in out
    assert "# Boîtes actives, inutilisées et bientôt expirées\nBoîtes;Nombre\n" in out
    assert "Jamais utilisées;1\n" in out
    code, out, _ = run_cli(capsys, "activity", "show", "--table", "boites", "--json")
    assert code == 0
    (table,) = json.loads(out)["tables"]
    assert table["rows"][2] == ["Jamais utilisées", 2]  # the whole platform


def test_it_writes_one_table_to_a_file(
    capsys: pytest.CaptureFixture[str], structure_a: Structure, tmp_path: Path
) -> None:
    target = tmp_path / "imports.csv"
    code, out, _ = run_cli(
        capsys,
        "activity",
        "show",
        "--structure",
        structure_a.name,
        "--table",
        "imports",
        "--output",
        str(target),
    )
    assert code == 0 and "« Historique des imports »" in out
    assert target.read_text(encoding="utf-8-sig").startswith("Date;Fichier;Auteur;État;")
    code, _, err = run_cli(capsys, "activity", "show", "--output", str(target))
    assert code == 2 and "--table" in err


def test_an_unknown_structure_is_said(
    capsys: pytest.CaptureFixture[str], structure_a: Structure
) -> None:
    code, _, err = run_cli(capsys, "activity", "show", "--structure", "Nulle part")
    assert (code, err) == (1, "Erreur : Structure « Nulle part » introuvable.\n")
