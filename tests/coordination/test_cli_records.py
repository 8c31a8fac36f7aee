"""`caducee coordination record|liaison|document|contact|partner …`: each command runs its
operation as the server (channel `cli`) and writes its audit event."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from caducee.accounts.models import AccountState
from caducee.audit.models import AuditEvent
from caducee.coordination.models import Contact, Partner, Record, RecordDocument
from caducee.people.models import User
from caducee.structures.models import Structure
from tests.factories import make_account
from tests.helpers import run_cli

Capsys = pytest.CaptureFixture[str]


def cli(capsys: Capsys, *args: str) -> tuple[int, str, str]:
    return run_cli(capsys, "coordination", *args)


def last_event(action: str) -> AuditEvent:
    event = AuditEvent.objects.filter(action=action).order_by("-seq").first()
    assert event is not None, action
    assert event.channel == "cli" and event.actor is None
    return event


class TestRecords:
    def test_create_show_update_list(
        self, capsys: Capsys, structure_a: Structure, camille: User
    ) -> None:
        code, out, err = cli(
            capsys,
            "record",
            "create",
            "--structure",
            structure_a.name,
            "--last-name",
            "Petit",
            "--first-name",
            "Louise",
            "--birth-date",
            "03/04/1940",
            "--team",
            camille.email,
            "--json",
        )
        assert code == 0, err
        shown = json.loads(out)
        assert shown["last_name"] == "PETIT" and shown["team"] == [camille.email]
        assert last_event("coordination.record_create").target_id == str(shown["id"])
        record = str(shown["id"])
        code, out, _ = cli(capsys, "record", "update", "--record", record, "--city", "Albi")
        assert code == 0 and "enregistré" in out
        updated = Record.objects.get(pk=shown["id"])
        assert updated.city == "ALBI" and list(updated.team.all()) == [camille]
        assert last_event("coordination.record_update").detail["changes"]["city"] == ["", "ALBI"]
        code, out, _ = cli(capsys, "record", "show", "--record", record)
        assert code == 0 and "ALBI" in out and "PETIT" in out
        assert last_event("coordination.record_read").detail["page"] == "cli"
        code, out, _ = cli(capsys, "record", "list", "--structure", structure_a.name, "--json")
        assert code == 0 and [r["id"] for r in json.loads(out)] == [shown["id"]]
        assert last_event("coordination.records_list").detail["count"] == 1

    def test_errors_are_one_french_line(self, capsys: Capsys, structure_a: Structure) -> None:
        code, _, err = cli(
            capsys,
            "record",
            "create",
            "--structure",
            structure_a.name,
            "--last-name",
            "Petit",
            "--first-name",
            "Louise",
            "--birth-date",
            "hier",
            "--team",
            "inconnu@x.fr",
        )
        assert code == 1 and "illisible" in err and "équipe de suivi" in err
        assert len(err.strip().splitlines()) == 1
        code, _, err = cli(capsys, "record", "show", "--record", "999999")
        assert code == 1 and err.startswith("Erreur : Dossier « 999999 » introuvable")
        assert not Record.objects.exists()


class TestLiaisonAndDocuments:
    def test_liaison_add_and_list(self, capsys: Capsys, record_a: Record) -> None:
        code, out, _ = cli(
            capsys, "liaison", "add", "--record", str(record_a.pk), "--text", "Appel du fils."
        )
        assert code == 0 and "ajoutée" in out
        assert last_event("coordination.liaison_add").target_id == str(record_a.pk)
        code, out, _ = cli(capsys, "liaison", "list", "--record", str(record_a.pk), "--json")
        assert [e["text"] for e in json.loads(out)] == ["Appel du fils."]
        code, _, err = cli(capsys, "liaison", "add", "--record", str(record_a.pk), "--text", " ")
        assert code == 1 and "Écrivez le texte" in err

    def test_document_round_trip(
        self, capsys: Capsys, record_a: Record, tmp_path: Path, settings: object
    ) -> None:
        source = tmp_path / "compte-rendu.pdf"
        source.write_bytes(b"%PDF-1.4 compte rendu\n" * 50)
        code, out, err = cli(
            capsys, "document", "add", "--record", str(record_a.pk), "--file", str(source), "--json"
        )
        assert code == 0, err
        added = json.loads(out)
        assert last_event("coordination.document_add").detail["document"] == added["id"]
        code, out, _ = cli(capsys, "document", "list", "--record", str(record_a.pk))
        assert code == 0 and "compte-rendu.pdf" in out
        target = tmp_path / "copie.pdf"
        code, out, _ = cli(
            capsys,
            "document",
            "get",
            "--record",
            str(record_a.pk),
            "--document",
            str(added["id"]),
            "--output",
            str(target),
        )
        assert code == 0 and target.read_bytes() == source.read_bytes()
        assert last_event("coordination.document_read").detail["document"] == added["id"]

    def test_document_too_large(
        self, capsys: Capsys, record_a: Record, tmp_path: Path, settings: object
    ) -> None:
        settings.COORDINATION_MAX_UPLOAD_MB = 1  # type: ignore[attr-defined]
        source = tmp_path / "gros.bin"
        source.write_bytes(b"x" * (1024 * 1024 + 1))
        code, _, err = cli(
            capsys, "document", "add", "--record", str(record_a.pk), "--file", str(source)
        )
        assert code == 1 and "taille maximale de 1 Mo" in err
        assert not RecordDocument.objects.exists()


class TestContactsAndPartners:
    def test_update_list_import(
        self, capsys: Capsys, structure_a: Structure, structure_b: Structure, corre: Contact
    ) -> None:
        code, out, _ = cli(
            capsys,
            "contact",
            "update",
            "--structure",
            structure_a.name,
            "--contact",
            str(corre.pk),
            "--phone",
            "0562000000",
        )
        assert code == 0 and "enregistré" in out
        corre.refresh_from_db()
        assert corre.phone == "0562000000" and corre.first_name == "François"
        assert last_event("coordination.contact_update").target_id == str(corre.pk)
        code, out, _ = cli(
            capsys, "contact", "list", "--structure", structure_a.name, "--search", "cor"
        )
        assert code == 0 and "CORRE François" in out
        account = make_account(structure_b, "PER", "p.lefevre@clinique-b.fr", last_name="LEFEVRE")
        account.visible = True
        account.state = AccountState.VALID
        account.save()
        code, out, err = cli(
            capsys,
            "contact",
            "import",
            "--structure",
            structure_a.name,
            "--account",
            "p.lefevre@clinique-b.fr",
        )
        assert code == 0, err
        assert last_event("coordination.contact_import").structure == structure_a

    def test_attach_access_account_detach(
        self, capsys: Capsys, record_a: Record, corre: Contact
    ) -> None:
        record = str(record_a.pk)
        email = corre.email
        code, out, _ = cli(
            capsys, "partner", "attach", "--record", record, "--contact", email, "--type", "autre"
        )
        assert code == 0 and "rattaché" in out
        assert last_event("coordination.partner_attach").target_id == record
        code, out, _ = cli(capsys, "partner", "access", "--record", record, "--contact", email)
        assert code == 0 and not Partner.objects.get().access_enabled
        assert last_event("coordination.partner_access").detail["enabled"] is False
        cli(capsys, "partner", "access", "--record", record, "--contact", email, "--open")
        assert Partner.objects.get().access_enabled
        code, out, _ = cli(capsys, "partner", "list", "--record", record, "--json")
        assert [p["email"] for p in json.loads(out)] == [email]
        code, out, err = cli(capsys, "partner", "account", "--record", record, "--contact", email)
        assert code == 0 and "Invitation envoyée" in out, err
        assert last_event("coordination.external_create").detail["identifier"] == "fcorre"
        code, out, _ = cli(capsys, "partner", "detach", "--record", record, "--contact", email)
        assert code == 0 and not Partner.objects.exists()
        assert last_event("coordination.partner_detach").target_id == record
        code, _, err = cli(capsys, "partner", "detach", "--record", record, "--contact", email)
        assert code == 1 and "n'est pas partenaire" in err
