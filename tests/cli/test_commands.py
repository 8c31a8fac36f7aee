"""The CLI, called in-process against the test database, and once as a real process."""

from __future__ import annotations

import json

import pytest

from caducee.cli.main import main
from caducee.identity.models import ActionLink
from caducee.structures.models import Structure, StructureAdmin
from tests.factories import finess, make_account, siren, siret

pytestmark = pytest.mark.django_db


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_help_lists_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("serve", "demo", "structure", "admin", "account", "audit"):
        assert command in out


def test_structure_create_and_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "structure", "create", "--name", "CH Albi", "--finess", finess(),
        "--domain", "CH-Albi.mssante.fr", "--department", "tarn",
    )
    assert code == 0 and "CH Albi" in out
    structure = Structure.objects.get()
    assert structure.domain == "ch-albi.mssante.fr"
    assert structure.department == "81" and structure.region == "76"
    code, out, _ = run(capsys, "structure", "list", "--json")
    assert json.loads(out)[0]["name"] == "CH Albi"


@pytest.mark.parametrize("option", ["--siren", "--siret"])
def test_structure_create_with_siren_or_siret(
    capsys: pytest.CaptureFixture[str], option: str
) -> None:
    number = siren() if option == "--siren" else siret()
    code, _, err = run(capsys, "structure", "create", "--name", "Pharmacie", option, number,
                       "--domain", "pharma.mssante.fr")
    assert code == 0, err


def test_bad_check_digit_is_a_french_one_liner(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(capsys, "structure", "create", "--name", "X", "--finess", "810000006",
                         "--domain", "x.mssante.fr")
    assert code == 1
    assert "clé de contrôle" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_admin_create_prints_a_link(capsys: pytest.CaptureFixture[str]) -> None:
    run(capsys, "structure", "create", "--name", "CH Albi", "--finess", finess(),
        "--domain", "albi.mssante.fr")
    code, out, _ = run(capsys, "admin", "create", "--email", "Boss@Albi.fr",
                       "--structure", "CH Albi")
    assert code == 0
    assert "/mot-de-passe/" in out
    assert StructureAdmin.objects.get().user.email == "boss@albi.fr"
    assert ActionLink.objects.count() == 1


def test_admin_create_unknown_structure(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(capsys, "admin", "create", "--email", "a@b.fr", "--structure", "Nope")
    assert code == 1 and "introuvable" in err


def test_account_list_json(capsys: pytest.CaptureFixture[str], structure_a: Structure) -> None:
    org = make_account(structure_a, "ORG")
    code, out, _ = run(capsys, "account", "list", "--structure", structure_a.id_number, "--json")
    assert code == 0
    rows = json.loads(out)
    assert len(rows) == 2
    row = next(r for r in rows if r["email"] == org.email)
    assert row["type"] == "ORG" and row["state"] == "valide"
    assert row["description"] == "Secrétariat du service"
    assert row["connection_accounts"] == org.connection_links.get().account.email
    assert "Compte(s) de connexion" in row["columns"]


def test_account_show(capsys: pytest.CaptureFixture[str], structure_a: Structure) -> None:
    account = make_account(structure_a, "PER")
    code, out, _ = run(capsys, "account", "show", account.email.upper(), "--json")
    assert code == 0 and json.loads(out)["rpps"] == account.rpps


def test_audit_verify(capsys: pytest.CaptureFixture[str], structure_a: Structure) -> None:
    make_account(structure_a, "MED")
    code, out, _ = run(capsys, "audit", "verify")
    assert code == 0 and "intègre" in out


def test_demo_fills_an_empty_database(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "demo")
    assert code == 0 and "mot de passe" in out
    structure = Structure.objects.get()
    assert set(structure.accounts.values_list("type", flat=True)) == {
        "PER", "INT", "MED", "ORG", "APP"
    }
    code, _, err = run(capsys, "demo")
    assert code == 1 and "déjà" in err
