"""`caducee referentials rpps-import` and `rpps-check`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from caducee.audit.actions import AuditAction
from caducee.audit.models import AuditEvent
from caducee.referentials.models import RppsProfessional
from tests.factories import rpps
from tests.helpers import run_cli
from tests.referentials.extraction_files import line, write

pytestmark = pytest.mark.django_db

Capsys = pytest.CaptureFixture[str]
DUPONT = rpps(501)


def _file(tmp_path: Path) -> Path:
    return write(
        tmp_path / "PS_LibreAcces_Personne_activite_202612010000.txt",
        [
            line("8" + DUPONT, "DUPONT", "Marie", "21", "Pharmacien"),
            line("8" + DUPONT, "DUPONT", "Marie", "21", "Pharmacien", city="CASTRES"),
            line("0759124159", "DE RUIJTER", "ISABELLE", "91", "Orthophoniste", kind="0"),
        ],
    )


def test_import_prints_the_summary(capsys: Capsys, tmp_path: Path) -> None:
    code, out, err = run_cli(capsys, "referentials", "rpps-import", str(_file(tmp_path)))
    assert (code, err) == (0, "")
    assert out.splitlines()[:5] == [
        "Extraction RPPS chargée : PS_LibreAcces_Personne_activite_202612010000.txt",
        "Lignes lues : 3",
        "Professionnels retenus (un par RPPS) : 1",
        "Lignes écartées : 1",
        "  - identifiant qui n'est pas un RPPS (ADELI ou autre) : 1",
    ]
    assert RppsProfessional.objects.get().rpps == DUPONT
    assert AuditEvent.objects.get(action=AuditAction.REFERENTIALS_RPPS_IMPORT).channel == "cli"


def test_import_json(capsys: Capsys, tmp_path: Path) -> None:
    code, out, _ = run_cli(capsys, "referentials", "rpps-import", str(_file(tmp_path)), "--json")
    assert code == 0
    data = json.loads(out)
    assert (data["lines_read"], data["professionals"], data["skipped"]) == (3, 1, {"not_rpps": 1})


def test_a_wrong_file_is_a_french_error(capsys: Capsys, tmp_path: Path) -> None:
    wrong = tmp_path / "structures.csv"
    wrong.write_text("FINESS;Raison sociale\n", encoding="utf-8")
    code, out, err = run_cli(capsys, "referentials", "rpps-import", str(wrong))
    assert (code, out) == (1, "")
    assert err.startswith("Erreur : Fichier refusé : la ligne 1 (en-tête) ne contient pas")
    code, _, err = run_cli(capsys, "referentials", "rpps-import", str(tmp_path / "absent.txt"))
    assert code == 1
    assert "Fichier illisible" in err


def test_check(capsys: Capsys, tmp_path: Path) -> None:
    run_cli(capsys, "referentials", "rpps-import", str(_file(tmp_path)))
    args = ["referentials", "rpps-check", DUPONT, "--nom", "dupont", "--prenom", "marie"]
    code, out, _ = run_cli(capsys, *args, "--profession", "21")
    assert (code, out) == (0, f"RPPS {DUPONT} vérifié dans l'annuaire santé.\n")
    code, out, _ = run_cli(capsys, *args, "--profession", "10", "--json")
    assert code == 1
    data = json.loads(out)
    assert (data["status"], data["ok"]) == ("profession_mismatch", False)
    assert "« DUPONT Marie », profession « Pharmacien »" in data["message"]
