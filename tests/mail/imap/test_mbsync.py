"""A full synchronisation with mbsync (isync, Debian's; `make mailtools` installs it):
every folder of both spaces to a local Maildir, then changes both ways."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from caducee.accounts.models import Account
from caducee.core.context import cli_context
from caducee.mail import operations, tls
from caducee.mail.imap.server import ImapService
from caducee.mail.models import Message, Space
from tests.mail.conftest import user_of
from tests.mail.imap.conftest import deliver

pytestmark = pytest.mark.django_db(transaction=True)


def mbsync(config: Path) -> str:
    found = shutil.which("mbsync")
    assert found, "mbsync manque : lancez `make mailtools` (apt-get install isync)"
    done = subprocess.run(
        [found, "-c", str(config), "-a"], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout + done.stderr


def configure(tmp: Path, port: int, login: str, password: str) -> tuple[Path, Path]:
    local = tmp / "Maildir"
    local.mkdir()
    config = tmp / "mbsyncrc"
    config.write_text(
        f"""IMAPAccount caducee
Host localhost
Port {port}
User {login}
Pass {password}
SSLType STARTTLS
CertificateFile {tls.certificate_paths()[0]}
AuthMechs PLAIN

IMAPStore remote
Account caducee

MaildirStore local
Path {local}/
Inbox {local}/INBOX
SubFolders Verbatim

Channel caducee
Far :remote:
Near :local:
Patterns *
Create Near
Expunge Both
SyncState *
"""
    )
    config.chmod(0o600)
    return config, local


def files(folder: Path) -> dict[str, str]:
    """Message file name -> its Maildir flags, new/ and cur/."""
    found: dict[str, str] = {}
    for sub in ("new", "cur"):
        for path in (folder / sub).glob("*"):
            found[str(path)] = path.name.rpartition(":2,")[2] if ":2," in path.name else ""
    return found


def subject_file(folder: Path, subject: str) -> Path:
    for path in files(folder):
        if f"Subject: {subject}\n".encode() in Path(path).read_bytes().replace(b"\r\n", b"\n"):
            return Path(path)
    raise AssertionError(f"{subject} not in {folder}")


def test_mbsync_full_sync_both_ways(
    imap: ImapService, martine: Account, app_password: str, tmp_path: Path
) -> None:
    ctx = cli_context()
    folder = operations.create_folder(ctx, martine, Space.PRO, "Dossiers patients")
    read = deliver(martine, "Lu", seen=True)
    unread = deliver(martine, "Non lu")
    doomed = deliver(martine, "A supprimer")
    deliver(martine, "Classé", folder=folder.key)
    deliver(martine, "Du patient", space=Space.PATIENT)
    config, local = configure(tmp_path, imap.port, user_of(martine).email, app_password)
    mbsync(config)

    inbox = files(local / "INBOX")
    assert len(inbox) == 3 and sorted(inbox.values()) == ["", "", "S"]
    assert len(files(local / "Dossiers patients")) == 1
    assert len(files(local / "Espace patient")) == 1
    trash = next(p for p in local.iterdir() if p.name.startswith("Messages supprim"))

    # Changes in the client: read and flag one, delete another (expunged on sync).
    source = subject_file(local / "INBOX", "Non lu")
    source.rename(source.with_name(source.name.rpartition(":2,")[0] + ":2,FS"))
    gone = subject_file(local / "INBOX", "A supprimer")
    gone.rename(gone.with_name(gone.name.rpartition(":2,")[0] + ":2,T"))
    # Changes in the webmail: a new message, one sent to the bin.
    deliver(martine, "Nouveau")
    operations.trash_messages(ctx, martine, [read.pk])
    mbsync(config)

    fresh = Message.objects.get(pk=unread.pk)
    assert fresh.seen and fresh.flagged
    assert not Message.objects.filter(pk=doomed.pk).exists()
    inbox = files(local / "INBOX")
    assert len(inbox) == 2  # « Non lu » and « Nouveau »
    subject_file(local / "INBOX", "Nouveau")
    subject_file(trash, "Lu")
    assert Message.objects.get(pk=read.pk).folder == "trash"
