"""The operator's console actions from the CLI: structure edit, account create/edit, email
change, directory address removal and listing flags (issue #14, point 5)."""

from __future__ import annotations

import pytest

from caducee.accounts.models import Account, EmailChangeRequest
from caducee.audit.actions import AuditAction
from caducee.audit.models import AuditEvent
from caducee.core.context import cli_context
from caducee.core.errors import Invalid
from caducee.directory.addresses import check_particle
from caducee.directory.models import MailboxListing
from caducee.directory.operations import assign_mssante_address
from caducee.structures.models import Structure
from tests.factories import account_data, make_account, rpps
from tests.helpers import run_cli as run

pytestmark = pytest.mark.django_db

Capsys = pytest.CaptureFixture[str]


def _audited(action: AuditAction) -> AuditEvent:
    event = AuditEvent.objects.filter(action=action).latest("pk")
    assert event.channel == "cli"
    return event


# --- structure edit ------------------------------------------------------------------------


def test_structure_edit_keeps_other_fields_and_rederives_the_region(
    capsys: Capsys, structure_a: Structure
) -> None:
    assert structure_a.region == "11"
    code, out, err = run(
        capsys, "structure", "edit", structure_a.name, "--set", "department=13", "--set", "city=Aix"
    )
    assert code == 0, err
    assert "Structure enregistrée" in out
    structure_a.refresh_from_db()
    assert (structure_a.department, structure_a.region, structure_a.city) == ("13", "93", "AIX")
    assert structure_a.domain == "ch-a.mssante.fr"  # not given, kept
    assert _audited(AuditAction.STRUCTURE_UPDATE).detail["changes"]["region"] == ["11", "93"]


def test_structure_edit_refuses_a_region_of_another_department(
    capsys: Capsys, structure_a: Structure
) -> None:
    sets = ["--set", "department=13", "--set", "region=76"]
    code, _, err = run(capsys, "structure", "edit", structure_a.name, *sets)
    assert code == 1
    assert "Le département 13 est en région" in err


def test_structure_edit_bad_value_and_bad_key(capsys: Capsys, structure_a: Structure) -> None:
    code, _, err = run(capsys, "structure", "edit", structure_a.name, "--set", "department=zz")
    assert code == 1 and "Département « zz » inconnu" in err
    code, _, err = run(capsys, "structure", "edit", structure_a.name, "--set", "couleur=bleu")
    assert code == 1 and "écrivez CLÉ=VALEUR" in err
    assert not AuditEvent.objects.filter(action=AuditAction.STRUCTURE_UPDATE).exists()


def test_structure_edit_sets_the_contact_fields(capsys: Capsys, structure_a: Structure) -> None:
    sets = ["--set", "phone=05 63 00 00 00", "--set", "contact_email=Contact@CH-A.fr"]
    code, out, err = run(capsys, "structure", "edit", structure_a.name, *sets, "--json")
    assert code == 0, err
    assert '"phone": "0563000000"' in out and '"contact_email": "contact@ch-a.fr"' in out
    event = _audited(AuditAction.STRUCTURE_UPDATE)
    assert event.detail["fields"] == ["contact_email", "phone"]


def test_structure_edit_help_lists_the_fields_by_owner(capsys: Capsys) -> None:
    with pytest.raises(SystemExit):
        run(capsys, "structure", "edit", "--help")
    out = capsys.readouterr().out
    text = " ".join(out.split())
    assert "Champs de l'opérateur : name, id_type, id_number, domain" in text
    assert "contact_email" in text


def test_structure_edit_unknown_structure(capsys: Capsys) -> None:
    code, _, err = run(capsys, "structure", "edit", "Nulle part", "--set", "city=Albi")
    assert code == 1 and "Structure « Nulle part » introuvable" in err


# --- account create / edit -----------------------------------------------------------------


def _sets(values: dict[str, object]) -> list[str]:
    args: list[str] = []
    for key, value in values.items():
        if key != "type":
            args += ["--set", f"{key}={value}"]
    return args


def test_account_create(capsys: Capsys, structure_a: Structure) -> None:
    data = account_data("PER", "jeanne.dupont@example.org")
    code, out, err = run(
        capsys,
        *("account", "create", "--structure", structure_a.name, "--type", "PER", "--test"),
        *_sets(data),
    )
    assert code == 0, err
    assert "Compte créé : jeanne.dupont@example.org" in out
    account = Account.objects.get(email="jeanne.dupont@example.org")
    assert account.structure == structure_a and account.type == "PER"
    assert account.is_test and not account.visible
    event = _audited(AuditAction.ACCOUNT_CREATE)
    assert event.target_label == account.email and event.detail["is_test"] is True


def test_account_create_problems_under_their_header(capsys: Capsys, structure_a: Structure) -> None:
    data = account_data("PER", "x@example.org", rpps="123")
    code, _, err = run(
        capsys, "account", "create", "--structure", structure_a.name, "--type", "PER", *_sets(data)
    )
    assert code == 1
    assert "Le compte n'a pas été créé" in err
    assert "  RPPS : " in err
    assert not Account.objects.filter(email="x@example.org").exists()


def test_account_create_unknown_structure_and_key(capsys: Capsys, structure_a: Structure) -> None:
    code, _, err = run(capsys, "account", "create", "--structure", "Nulle", "--type", "PER")
    assert code == 1 and "Structure « Nulle » introuvable" in err
    code, _, err = run(
        capsys, "account", "create", "--structure", structure_a.name, "--type", "PER", "--set", "x"
    )
    assert code == 1 and "écrivez CLÉ=VALEUR" in err


def test_account_edit_rederives_the_region(capsys: Capsys, structure_a: Structure) -> None:
    account = make_account(structure_a, "PER")
    code, out, err = run(
        capsys, "account", "edit", account.email, "--set", "department=81", "--set", "city=Albi"
    )
    assert code == 0, err
    assert "Compte enregistré" in out
    account.refresh_from_db()
    assert (account.department, account.region, account.city) == ("81", "76", "ALBI")
    assert account.last_name == "DUPONT"  # not given, kept
    assert _audited(AuditAction.ACCOUNT_UPDATE).target_label == account.email


def test_account_edit_refusals(capsys: Capsys, structure_a: Structure) -> None:
    account = make_account(structure_a, "PER")
    code, _, err = run(capsys, "account", "edit", account.email, "--set", f"rpps={rpps()}9")
    assert code == 1 and "  RPPS : " in err
    code, _, err = run(capsys, "account", "edit", account.email, "--set", "email=n@example.org")
    assert code == 1 and "  Adresse mail : " in err and "demande de changement" in err
    code, _, err = run(capsys, "account", "edit", "personne@example.org", "--set", "city=Albi")
    assert code == 1 and "Aucun compte personne@example.org" in err


def test_account_edit_list_values_as_hr_files_write_them(
    capsys: Capsys, structure_a: Structure
) -> None:
    account = make_account(structure_a, "MED", profession="L11")
    code, _, err = run(
        capsys, "account", "edit", account.email, "--set", "profession=secrétaires médicales"
    )
    assert code == 0, err
    account.refresh_from_db()
    assert account.profession == "L10"
    code, _, err = run(capsys, "account", "edit", account.email, "--set", "profession=secretair")
    assert code == 1
    assert "  Profession : Profession « secretair » inconnue. Vouliez-vous dire :" in err


# --- email change --------------------------------------------------------------------------


def test_email_change_request_list_resend_cancel(capsys: Capsys, structure_a: Structure) -> None:
    account = make_account(structure_a, "PER")
    code, out, err = run(capsys, "account", "email-change", account.email, "Nouveau@Example.org")
    assert code == 0, err
    assert "nouveau@example.org" in out
    assert _audited(AuditAction.ACCOUNT_EMAIL_CHANGE_REQUEST).detail["new_email"] == (
        "nouveau@example.org"
    )
    code, out, _ = run(capsys, "account", "email-changes", account.email)
    assert code == 0 and "nouveau@example.org\tEn attente" in out
    code, _, err = run(capsys, "account", "email-change-resend", account.email)
    assert code == 0, err
    _audited(AuditAction.ACCOUNT_EMAIL_CHANGE_RESEND)
    code, _, err = run(capsys, "account", "email-change-cancel", account.email)
    assert code == 0, err
    _audited(AuditAction.ACCOUNT_EMAIL_CHANGE_CANCEL)
    assert EmailChangeRequest.objects.get().status == EmailChangeRequest.Status.CANCELLED
    code, _, err = run(capsys, "account", "email-change-cancel", account.email)
    assert code == 1 and "Aucune demande de changement de mail en attente" in err


def test_email_changes_of_a_structure_by_state(capsys: Capsys, structure_a: Structure) -> None:
    first = make_account(structure_a, "PER")
    second = make_account(structure_a, "PER")
    run(capsys, "account", "email-change", first.email, "un@example.org")
    run(capsys, "account", "email-change", second.email, "deux@example.org")
    run(capsys, "account", "email-change-cancel", second.email)
    code, out, err = run(capsys, "account", "email-changes", "--structure", structure_a.name)
    assert code == 0, err
    assert "un@example.org\tEn attente" in out and "deux@example.org\tAnnulée" in out
    code, out, _ = run(
        capsys, "account", "email-changes", "--structure", structure_a.name, "--state", "cancelled"
    )
    assert "deux@example.org" in out and "un@example.org" not in out
    code, out, _ = run(
        capsys, "account", "email-changes", "--structure", structure_a.name, "--json"
    )
    assert code == 0 and '"state": "cancelled"' in out
    code, _, err = run(capsys, "account", "email-changes", "--structure", "x", "--state", "perdu")
    assert code == 1
    code, _, err = run(capsys, "account", "email-changes")
    assert code == 1 and "Indiquez soit l'adresse d'un compte, soit --structure." in err


def test_email_change_refusals(capsys: Capsys, structure_a: Structure) -> None:
    account = make_account(structure_a, "PER")
    code, _, err = run(capsys, "account", "email-change", account.email, account.email)
    assert code == 1 and "identique à l'adresse actuelle" in err
    code, _, err = run(capsys, "account", "email-change", "personne@example.org", "a@example.org")
    assert code == 1 and "Aucun compte personne@example.org" in err
    assert not EmailChangeRequest.objects.exists()


# --- directory -----------------------------------------------------------------------------


def test_address_remove(capsys: Capsys, structure_a: Structure) -> None:
    account = make_account(structure_a, "PER")
    assign_mssante_address(cli_context(), account, None)
    code, out, err = run(capsys, "directory", "address-remove", account.email)
    assert code == 0, err
    assert "retirée" in out
    account.refresh_from_db()
    assert account.mssante_particle == ""
    _audited(AuditAction.DIRECTORY_ADDRESS_REMOVE)
    code, out, _ = run(capsys, "directory", "address-remove", account.email)
    assert code == 0 and "n'a pas de correspondance" in out


@pytest.mark.parametrize(
    ("command", "flag", "action"),
    [
        ("red-list", "red_list", AuditAction.DIRECTORY_RED_LIST),
        ("dematerialisation", "dematerialisation", AuditAction.DIRECTORY_DEMATERIALISATION),
    ],
)
def test_listing_flags(
    capsys: Capsys, structure_a: Structure, command: str, flag: str, action: AuditAction
) -> None:
    account = make_account(structure_a, "PER")
    default = {"red_list": False, "dematerialisation": True}[flag]  # the model's defaults
    first, second = ("off", "on") if default else ("on", "off")
    code, _, err = run(capsys, "directory", command, account.email, first)
    assert code == 0, err
    assert getattr(MailboxListing.objects.get(account=account), flag) is not default
    assert _audited(action).detail == {"on": not default}
    code, _, err = run(capsys, "directory", command, account.email, second)
    assert code == 0, err
    assert getattr(MailboxListing.objects.get(account=account), flag) is default


def test_directory_unknown_account_and_bad_state(capsys: Capsys) -> None:
    code, _, err = run(capsys, "directory", "red-list", "personne@example.org", "on")
    assert code == 1 and "Aucun compte personne@example.org" in err
    code, _, err = run(capsys, "directory", "dematerialisation", "personne@example.org", "oui?")
    assert code == 1 and "« oui? » : indiquez on ou off." in err


# --- mailbox settings ----------------------------------------------------------------------


def test_default_mailbox_and_receipt_notification(capsys: Capsys, structure_a: Structure) -> None:
    shared = make_account(structure_a, "ORG")
    person = Account.objects.get(email=shared.connection_links.get().account.email)
    code, _, err = run(capsys, "account", "default-mailbox", person.email, shared.email)
    assert code == 0, err
    person.refresh_from_db()
    assert person.default_mailbox == shared
    assert _audited(AuditAction.ACCOUNT_DEFAULT_MAILBOX).detail == {"default": shared.email}
    code, _, err = run(capsys, "account", "receipt-notification", person.email, shared.email, "on")
    assert code == 0, err
    assert shared.connection_links.get().notify_on_receipt is True
    _audited(AuditAction.ACCOUNT_RECEIPT_NOTIFICATION)
    code, out, _ = run(capsys, "account", "mailboxes", person.email)
    assert code == 0 and f"{shared.email}\tORG\tpar défaut, avis" in out


def test_mailbox_settings_refusals(capsys: Capsys, structure_a: Structure) -> None:
    person = make_account(structure_a, "PER")
    other = make_account(structure_a, "PER")
    code, _, err = run(capsys, "account", "default-mailbox", person.email, other.email)
    assert code == 1 and "Ce compte ne peut pas ouvrir cette boîte." in err
    code, _, err = run(
        capsys, "account", "receipt-notification", person.email, other.email, "peut-être"
    )
    assert code == 1 and "indiquez on ou off" in err


def test_a_refusal_quoting_its_problem_is_printed_once(
    capsys: Capsys, structure_a: Structure
) -> None:
    account = make_account(structure_a)
    with pytest.raises(Invalid) as refused:
        check_particle("a b!")
    code, _out, err = run(
        capsys, "directory", "address", "--email", account.email, "--particle", "a b!"
    )
    assert (code, err) == (1, f"Erreur : {refused.value.message}\n")
