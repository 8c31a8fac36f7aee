from __future__ import annotations

import json
from pathlib import Path

import pytest

from caducee.core.context import cli_context
from caducee.directory.models import DirectoryEntry, Quota
from caducee.directory.operations import assign_mssante_address
from caducee.structures.models import Structure
from tests.directory.helpers import listed_account
from tests.helpers import run_cli

pytestmark = pytest.mark.django_db


def test_export_report_rebuild_and_quota(
    capsys: pytest.CaptureFixture[str], structure_a: Structure, tmp_path: Path
) -> None:
    account = listed_account(structure_a)
    assign_mssante_address(cli_context(), account, None)
    target = tmp_path / "bal.json"
    code, out, _ = run_cli(
        capsys,
        "directory",
        "export",
        "--structure",
        structure_a.name,
        "--format",
        "fhir",
        "--output",
        str(target),
    )
    assert code == 0 and json.loads(target.read_text("utf-8"))["resourceType"] == "Bundle"
    code, out, _ = run_cli(
        capsys, "directory", "export", "--structure", "ch-a.mssante.fr", "--format", "pipe"
    )
    assert code == 0 and len(out.splitlines()) == 2
    code, out, _ = run_cli(capsys, "directory", "report", "--structure", structure_a.name, "--json")
    assert code == 0 and json.loads(out)["counts"]["accounts"] == 1
    code, out, _ = run_cli(capsys, "directory", "report", "--structure", structure_a.name)
    assert "non bloquante" in out
    DirectoryEntry.objects.all().delete()
    code, out, _ = run_cli(capsys, "directory", "rebuild")
    assert code == 0 and "1 entrée" in out
    code, out, _ = run_cli(
        capsys,
        "directory",
        "quota",
        "--structure",
        structure_a.name,
        "--group",
        "ORG",
        "--limit",
        "4",
    )
    assert code == 0 and Quota.objects.get(group="ORG").limit == 4


def test_address_command_and_errors(
    capsys: pytest.CaptureFixture[str], structure_a: Structure
) -> None:
    account = listed_account(structure_a, first_name="Inès", last_name="FAURE")
    code, out, _ = run_cli(capsys, "directory", "address", "--email", account.email)
    assert code == 0 and out.strip() == "ines.faure@ch-a.mssante.fr"
    code, _, err = run_cli(
        capsys, "directory", "address", "--email", account.email, "--particle", "a b"
    )
    assert code == 1 and err.startswith("Erreur : Adresse MSSanté refusée") and err[-1] == "\n"
    code, _, err = run_cli(capsys, "directory", "push", "--structure", structure_a.name)
    assert code == 1 and "CADUCEE_DIRECTORY_PUSH_URL" in err
    code, _, err = run_cli(capsys, "directory", "report", "--structure", "inconnue")
    assert code == 1 and "introuvable" in err


def test_push_command_against_a_local_server(
    capsys: pytest.CaptureFixture[str], structure_a: Structure
) -> None:
    import threading
    from http.server import HTTPServer

    from django.test import override_settings

    from tests.directory.test_publication import Sink

    Sink.received, Sink.status = [], 200
    server = HTTPServer(("127.0.0.1", 0), Sink)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        account = listed_account(structure_a)
        assign_mssante_address(cli_context(), account, None)
        url = f"http://127.0.0.1:{server.server_address[1]}/fhir"
        with override_settings(DIRECTORY_PUSH_URL=url):
            code, out, _ = run_cli(capsys, "directory", "push", "--structure", structure_a.name)
            assert code == 0 and "1 ajout(s)" in out
            code, out, _ = run_cli(capsys, "directory", "push", "--structure", structure_a.name)
            assert code == 0 and "Rien à publier" in out
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    assert len(Sink.received) == 1
