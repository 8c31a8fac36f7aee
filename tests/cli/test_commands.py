"""The CLI, called in-process against the test database, and once as a real process."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from caducee.accounts.models import Account, AccountState, ConnectionLink, Delegation
from caducee.audit.models import AuditEvent
from caducee.cli.main import main
from caducee.identity.models import ActionLink
from caducee.structures.models import Structure, StructureAdmin
from tests.factories import finess, make_account, make_admin, rpps, siren, siret
from tests.helpers import api_headers
from tests.helpers import run_cli as run

pytestmark = pytest.mark.django_db


def test_help_lists_commands(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    for command in ("serve", "demo", "structure", "admin", "account", "audit"):
        assert command in out


def test_structure_create_and_list(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "structure",
        "create",
        "--name",
        "CH Albi",
        "--finess",
        finess(),
        "--domain",
        "CH-Albi.mssante.fr",
        "--department",
        "tarn",
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
    code, _, err = run(
        capsys,
        "structure",
        "create",
        "--name",
        "Pharmacie",
        option,
        number,
        "--domain",
        "pharma.mssante.fr",
    )
    assert code == 0, err


def test_bad_check_digit_is_a_french_one_liner(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(
        capsys,
        "structure",
        "create",
        "--name",
        "X",
        "--finess",
        "810000006",
        "--domain",
        "x.mssante.fr",
    )
    assert code == 1
    assert "clé de contrôle" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_admin_create_prints_a_link(capsys: pytest.CaptureFixture[str]) -> None:
    run(
        capsys,
        "structure",
        "create",
        "--name",
        "CH Albi",
        "--finess",
        finess(),
        "--domain",
        "albi.mssante.fr",
    )
    code, out, _ = run(
        capsys, "admin", "create", "--email", "Boss@Albi.fr", "--structure", "CH Albi"
    )
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
    assert row["fields"]["description"] == "Secrétariat du service"
    assert row["fields"]["connection_accounts"] == org.connection_links.get().account.email


def test_account_show(capsys: pytest.CaptureFixture[str], structure_a: Structure) -> None:
    account = make_account(structure_a, "PER")
    code, out, _ = run(capsys, "account", "show", account.email.upper(), "--json")
    assert code == 0 and json.loads(out)["fields"]["rpps"] == account.rpps
    code, out, _ = run(capsys, "account", "show", account.email)
    assert code == 0 and f"RPPS : {account.rpps}" in out


def test_audit_verify(capsys: pytest.CaptureFixture[str], structure_a: Structure) -> None:
    make_account(structure_a, "MED")
    code, out, _ = run(capsys, "audit", "verify")
    assert code == 0 and "intègre" in out


def test_demo_fills_an_empty_database(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "demo")
    assert code == 0 and "mot de passe" in out
    structure = Structure.objects.get()
    assert set(structure.accounts.values_list("type", flat=True)) == {
        "PER",
        "INT",
        "MED",
        "ORG",
        "APP",
    }
    code, _, err = run(capsys, "demo")
    assert code == 1 and "déjà" in err


def test_cli_and_api_print_the_same_objects(
    capsys: pytest.CaptureFixture[str], client: Client, structure_a: Structure
) -> None:
    account = make_account(structure_a, "PER")
    headers = api_headers(make_admin(structure_a, "chef@ch-a.fr"))
    _, out, _ = run(capsys, "account", "show", account.email, "--json")
    assert json.loads(out) == client.get(f"/api/v1/accounts/{account.pk}", **headers).json()
    _, out, _ = run(capsys, "structure", "list", "--json")
    api_rows = client.get("/api/v1/structures", **headers).json()
    assert json.loads(out) == api_rows and api_rows[0]["id_type"] == "FINESS_EJ"


def test_admin_list_and_remove(capsys: pytest.CaptureFixture[str], structure_a: Structure) -> None:
    make_admin(structure_a, "chef@ch-a.fr")
    code, out, _ = run(capsys, "admin", "list", "--structure", structure_a.name, "--json")
    assert code == 0 and [a["email"] for a in json.loads(out)] == ["chef@ch-a.fr"]
    code, out, _ = run(
        capsys, "admin", "remove", "--email", "Chef@CH-A.fr", "--structure", structure_a.name
    )
    assert code == 0 and "n'administre plus" in out
    assert not StructureAdmin.objects.exists()
    assert AuditEvent.objects.latest("seq").action == "structure.admin_remove"
    code, _, err = run(
        capsys, "admin", "remove", "--email", "chef@ch-a.fr", "--structure", structure_a.name
    )
    assert code == 1 and "n'administre pas" in err


def test_account_deactivate_and_reactivate(
    capsys: pytest.CaptureFixture[str], structure_a: Structure
) -> None:
    account = make_account(structure_a, "ORG")
    code, out, _ = run(capsys, "account", "deactivate", account.email)
    assert code == 0 and "désactivé" in out
    account.refresh_from_db()
    assert account.state == AccountState.DEACTIVATED
    code, out, _ = run(capsys, "account", "reactivate", account.email.upper())
    assert code == 0 and "réactivé" in out
    account.refresh_from_db()
    assert account.state == AccountState.VALID
    code, _, err = run(capsys, "account", "deactivate", "inconnu@x.fr")
    assert code == 1 and "Aucun compte" in err


def test_account_change_type_with_preview(
    capsys: pytest.CaptureFixture[str], structure_a: Structure
) -> None:
    account = make_account(structure_a, "MED")
    code, out, _ = run(capsys, "account", "change-type", account.email, "PER", "--preview")
    assert code == 0 and "rpps" in out
    code, _, err = run(capsys, "account", "change-type", account.email, "PER")
    assert code == 1 and "RPPS" in err
    assert Account.objects.get(pk=account.pk).type == "MED"
    code, _, err = run(capsys, "account", "change-type", account.email, "PER", "--set", "nope")
    assert code == 1 and "CLÉ=VALEUR" in err
    code, out, err = run(
        capsys,
        "account",
        "change-type",
        account.email,
        "per",
        "--set",
        f"rpps={rpps()}",
        "--set",
        "profession=10",
        "--json",
    )
    assert code == 0, err
    assert json.loads(out)["type"] == "PER"
    assert AuditEvent.objects.latest("seq").action == "account.change_type"


def test_connection_accounts(capsys: pytest.CaptureFixture[str], structure_a: Structure) -> None:
    org = make_account(structure_a, "ORG")
    first = org.connection_links.get().account
    second = make_account(structure_a, "MED")
    code, out, _ = run(capsys, "account", "connection-add", org.email, second.email)
    assert code == 0 and second.email in out
    code, out, _ = run(capsys, "account", "connections", org.email, "--json")
    assert {c["email"] for c in json.loads(out)} == {first.email, second.email}
    code, out, _ = run(capsys, "account", "connection-remove", org.email, first.email)
    assert code == 0
    assert list(ConnectionLink.objects.values_list("account__email", flat=True)) == [second.email]
    code, _, err = run(capsys, "account", "connection-remove", org.email, second.email)
    assert code == 1 and "au moins un compte de connexion" in err


def test_delegates(capsys: pytest.CaptureFixture[str], structure_a: Structure) -> None:
    account = make_account(structure_a, "PER")
    delegate = make_account(structure_a, "MED")
    code, out, _ = run(capsys, "account", "delegate-add", account.email, delegate.email)
    assert code == 0 and "est délégué" in out
    code, out, _ = run(capsys, "account", "delegates", account.email, "--json")
    assert [d["email"] for d in json.loads(out)] == [delegate.email]
    code, out, _ = run(capsys, "account", "delegate-remove", account.email, delegate.email)
    assert code == 0 and not Delegation.objects.exists()
    code, out, _ = run(capsys, "account", "delegates", account.email)
    assert "Aucun délégué" in out


def test_delegate_rights(capsys: pytest.CaptureFixture[str], structure_a: Structure) -> None:
    account = make_account(structure_a, "PER")
    delegate = make_account(structure_a, "MED")
    code, out, _ = run(
        capsys, "account", "delegate-add", account.email, delegate.email, "--right", "reponse"
    )
    assert code == 0 and "« Lecture et réponse pour le compte de " in out
    assert Delegation.objects.get().right == "reponse"
    code, out, _ = run(
        capsys, "account", "delegate-right", account.email, delegate.email, "lecture"
    )
    assert code == 0 and "« Lecture »" in out and Delegation.objects.get().right == "lecture"
    code, out, _ = run(capsys, "account", "delegates", account.email)
    assert out.strip() == f"{delegate.email}\tLecture"
    code, _, err = run(capsys, "account", "delegate-right", account.email, account.email, "lecture")
    assert code == 1 and "n'est pas délégué" in err


def test_account_list_leaves_deleted_mailboxes_out_unless_asked(
    capsys: pytest.CaptureFixture[str], structure_a: Structure
) -> None:
    kept = make_account(structure_a, "MED", "kept@ch-a.fr")
    gone = make_account(structure_a, "MED", "gone@ch-a.fr")
    Account.objects.filter(pk=gone.pk).update(state=AccountState.DELETED)
    code, out, _ = run(capsys, "account", "list", "--structure", structure_a.id_number)
    assert code == 0 and kept.email in out and gone.email not in out
    code, out, _ = run(
        capsys, "account", "list", "--structure", structure_a.id_number, "--state", "supprimé"
    )
    assert code == 0 and gone.email in out and kept.email not in out
