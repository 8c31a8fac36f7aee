"""`caducee` processes with the storage settings of a multi-node platform: documents in an
S3-compatible server (moto on loopback), a missing message store refused on start."""

from __future__ import annotations

import uuid
from pathlib import Path

from tests.conftest import PASSWORD
from tests.mail.conftest import free_port
from tests.mail.test_serve import log_in, start_serve
from tests.smtp_sink import SmtpSink
from tests.storage.s3 import S3Server
from tests.tasks.processes import caducee, django_code, migrated_home
from tests.web_client import WebClient

CONTENT = "Compte rendu de sortie — stocké dans S3"
EMAIL = "camille.coord@ch-a.fr"

SETUP = f"""
import io
from caducee.accounts.operations import mark_finalised
from caducee.coordination import operations
from caducee.coordination.models import Membership, RightsProfile
from caducee.core.context import cli_context
from tests import factories

structure = factories.make_structure("Centre hospitalier A", domain="ch-a.mssante.fr")
operations.ensure_default_profiles(structure)
account = factories.make_account(structure, "PER", email={EMAIL!r}, mssante_particle="camille")
account.user.set_password({PASSWORD!r})
account.user.save()
mark_finalised(account)
Membership.objects.create(
    user=account.user,
    structure=structure,
    profile=RightsProfile.objects.get(structure=structure, name="Coordinateur interne"),
)
record = operations.create_record(
    cli_context(),
    structure,
    operations.RecordInput(last_name="Martin", first_name="Jeanne", birth_date="12/03/1941"),
)
document = operations.attach_document(
    cli_context(), record, "CR", "cr.txt", io.BytesIO({CONTENT!r}.encode()), "text/plain"
)
print(record.pk, document.pk, operations.document_storage_name(document))
"""


def test_a_process_stores_and_another_serves_a_document_from_s3(
    tmp_path: Path, s3_server: S3Server, smtp_sink: SmtpSink
) -> None:
    home = migrated_home(tmp_path, "caducee_storage_s3_process")
    prefix = f"process-{uuid.uuid4().hex[:12]}"
    storage = s3_server.env(prefix)
    record_id, document_id, name = django_code(home, SETUP, **storage).split()[-3:]
    assert s3_server.keys(prefix) == {f"{prefix}/{name}": CONTENT.encode()}
    assert not (home / "files" / "coordination").exists()  # nothing on the local disk

    http, smtp, submission = free_port(), free_port(), free_port()
    relay = {"CADUCEE_EMAIL_HOST": smtp_sink.host, "CADUCEE_EMAIL_PORT": str(smtp_sink.port)}
    database = {"CADUCEE_DATABASE_URL": (home / "url").read_text()}
    process = start_serve(home, http, smtp, submission, **database, **relay, **storage)
    try:
        web = WebClient(f"http://127.0.0.1:{http}")
        log_in(web, smtp_sink, EMAIL, PASSWORD)
        page = web.get(f"/coordination/dossiers/{record_id}/documents/{document_id}/")
        assert (page.status, page.html) == (200, CONTENT)
    finally:
        process.terminate()
        process.wait(timeout=20)
    assert not (home / "files" / "coordination").exists()


def test_storage_settings_are_checked_on_start(tmp_path: Path) -> None:
    home = migrated_home(tmp_path, "caducee_storage_start_check")
    missing = tmp_path / "montage-absent"
    done = caducee(home, "audit", "verify", CADUCEE_MAIL_ROOT=str(missing))
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert done.stderr.startswith(f"Erreur : CADUCEE_MAIL_ROOT : le dossier {missing} n'existe")
    done = caducee(home, "audit", "verify", CADUCEE_STORAGE_URL="s3://cle:secret@seau")
    assert done.returncode == 1 and "Traceback" not in done.stderr
    assert "ne mettez pas d'identifiants dans l'URL" in done.stderr


def test_processes_with_their_own_homes_share_the_message_store(tmp_path: Path) -> None:
    """CADUCEE_MAIL_ROOT: what one machine's process writes, another's reads (a shared
    mount stands in as a common folder); nothing goes under either CADUCEE_HOME."""
    shared = tmp_path / "partage-mail"
    shared.mkdir()
    first = migrated_home(tmp_path, "caducee_storage_mail_root")
    second = tmp_path / "second-home"
    second.mkdir()
    (second / "url").write_text((first / "url").read_text())
    write = "from caducee.mail import store; print(store.write('42', 'Bonjour'.encode()))"
    path = django_code(first, write, CADUCEE_MAIL_ROOT=str(shared)).split()[-1]
    assert (shared / path).read_bytes() == b"Bonjour"
    read = f"from caducee.mail import store; print(store.read({path!r}).decode())"
    assert django_code(second, read, CADUCEE_MAIL_ROOT=str(shared)).split()[-1] == "Bonjour"
    # (first/mail was made by the migration, run without CADUCEE_MAIL_ROOT)
    assert not (first / "mail" / "42").exists() and not (second / "mail").exists()
