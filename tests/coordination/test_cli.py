"""`caducee coordination …` commands, called in-process against the test database."""

from __future__ import annotations

import json

import pytest

from caducee.coordination.models import Contact, ExternalAccount, ExternalStatus
from caducee.structures.models import Structure
from tests.helpers import run_cli as run


def test_profiles_lists_the_defaults(
    capsys: pytest.CaptureFixture[str], structure_a: Structure
) -> None:
    code, out, _ = run(capsys, "coordination", "profiles", "--structure", structure_a.name)
    assert code == 0 and "Partenaire externe contributeur" in out
    code, out, _ = run(
        capsys, "coordination", "profiles", "--structure", structure_a.name, "--json"
    )
    names = {row["name"] for row in json.loads(out)}
    assert "Coordinateur interne" in names and len(names) == 4


def test_contact_then_external_account(
    capsys: pytest.CaptureFixture[str], structure_a: Structure
) -> None:
    code, out, _ = run(
        capsys,
        "coordination",
        "contact",
        "create",
        "--structure",
        structure_a.name,
        "--last-name",
        "Corre",
        "--first-name",
        "François",
        "--email",
        "f.corre@cabinet.fr",
    )
    assert code == 0 and "CORRE François" in out
    contact = Contact.objects.get()
    code, out, _ = run(
        capsys,
        "coordination",
        "external",
        "create",
        "--structure",
        structure_a.name,
        "--contact",
        "f.corre@cabinet.fr",
        "--json",
    )
    assert code == 0
    shown = json.loads(out)
    external = ExternalAccount.objects.get()
    assert shown["identifier"] == "fcorre" == external.identifier
    assert shown["home_structure"] == "Utilisateur externe"
    assert external.status == ExternalStatus.ACTIVE
    assert external.user.check_password(shown["password"])
    contact.refresh_from_db()
    assert contact.external_account == external
    code, out, _ = run(capsys, "coordination", "external", "list")
    assert code == 0 and "fcorre" in out and shown["password"] not in out


def test_errors_are_one_french_line(
    capsys: pytest.CaptureFixture[str], structure_a: Structure
) -> None:
    code, _, err = run(
        capsys,
        "coordination",
        "external",
        "create",
        "--structure",
        structure_a.name,
        "--contact",
        "personne@x.fr",
    )
    assert code == 1 and err.startswith("Erreur : Contact « personne@x.fr » introuvable")
    run(
        capsys,
        "coordination",
        "contact",
        "create",
        "--structure",
        structure_a.name,
        "--last-name",
        "Sansmail",
    )
    contact = Contact.objects.get()
    code, _, err = run(
        capsys,
        "coordination",
        "external",
        "create",
        "--structure",
        structure_a.name,
        "--contact",
        str(contact.pk),
        "--profile",
        "Coordinateur interne",
    )
    assert code == 1 and "Profil de droits « Coordinateur interne » introuvable" in err
    assert len(err.strip().splitlines()) == 1
    code, _, err = run(
        capsys,
        "coordination",
        "contact",
        "create",
        "--structure",
        structure_a.name,
        "--last-name",
        "X",
        "--email",
        "pas-un-mail",
    )
    assert code == 1 and "n'est pas une adresse mail valide" in err


def test_external_suspend_and_restore(
    capsys: pytest.CaptureFixture[str], fcorre_account: ExternalAccount, structure_a: Structure
) -> None:
    from caducee.coordination import access
    from caducee.coordination.models import Record

    code, out, _ = run(
        capsys,
        "coordination",
        "external",
        "suspend",
        "--structure",
        structure_a.name,
        "--identifier",
        "fcorre",
    )
    assert code == 0 and "suspendu" in out
    assert not access.records_for(fcorre_account.user).exists()
    code, out, _ = run(
        capsys,
        "coordination",
        "external",
        "suspend",
        "--structure",
        structure_a.name,
        "--identifier",
        "fcorre",
        "--restore",
    )
    assert code == 0 and "rétabli" in out
    assert list(access.records_for(fcorre_account.user)) == list(Record.objects.all())
    code, _, err = run(
        capsys,
        "coordination",
        "external",
        "suspend",
        "--structure",
        structure_a.name,
        "--identifier",
        "inconnu",
    )
    assert code == 1 and "introuvable" in err
