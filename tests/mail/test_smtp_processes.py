"""`caducee smtp --processes N`: several processes share the SMTP ports (SO_REUSEPORT)."""

from __future__ import annotations

import os
import signal
import smtplib
from pathlib import Path
from typing import Any

import pytest

from caducee.cli.main import main
from tests.mail.clients import msmtp, setup_instance, smtplib_auth, swaks
from tests.mail.conftest import free_port
from tests.mail.instances import query, setup_peer, start_smtp, trusted_sender, wait_for

RAW = (
    b"From: dr@medimail.mssante.fr\r\nTo: jean.multi@multi.mssante.fr\r\n"
    b"Subject: Partage de port\r\n\r\nBonjour.\r\n"
)


def children(pid: int) -> list[int]:
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid and fields[0] != "Z":
            found.append(int(stat.parent.name))
    return found


def running(pid: int) -> bool:
    """Alive and not a zombie waiting for a parent that no longer reaps it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_two_processes_share_the_port_and_both_store_messages(tmp_path: Path) -> None:
    home = tmp_path / "instance"
    setup_peer(home, "multi.mssante.fr", "jean.multi")
    smtp, submission = free_port(), free_port()
    trust, context = trusted_sender(tmp_path / "pki")
    process = start_smtp(home, smtp, submission, "--no-delivery", "--processes", "2", **trust)
    helpers = children(process.pid)
    try:
        assert len(helpers) == 1
        for _ in range(40):  # one connection each: the kernel spreads them over both
            with smtplib.SMTP("127.0.0.1", smtp, timeout=20) as client:
                client.starttls(context=context)
                client.sendmail("dr@medimail.mssante.fr", ["jean.multi@multi.mssante.fr"], RAW)
        paths = [row[0] for row in query(home, "SELECT path FROM mail_message")]
        assert len(paths) == 40
        # Each process names its files after its pid (Maildir unique names).
        writers = {path.split(".P", 1)[1].split("Q", 1)[0] for path in paths}
        assert writers == {str(process.pid), str(helpers[0])}
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=40)
    assert process.returncode == 0
    assert wait_for(lambda: not running(helpers[0]), timeout=20)


def test_an_extra_process_stops_when_the_first_one_is_killed(tmp_path: Path) -> None:
    home = tmp_path / "instance"
    setup_peer(home, "multi.mssante.fr", "jean.multi")
    process = start_smtp(home, free_port(), free_port(), "--no-delivery", "--processes", "2")
    helpers = children(process.pid)
    assert len(helpers) == 1
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=20)
    stopped = wait_for(lambda: not running(helpers[0]), timeout=20)
    if not stopped:
        os.kill(helpers[0], signal.SIGKILL)
    assert stopped, "the extra SMTP process outlived the first one"


def test_an_invalid_number_of_processes_is_refused(
    db: None, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["smtp", "--processes", "100", "--no-delivery"]) == 1
    err = capsys.readouterr().err
    assert "Nombre de processus SMTP invalide (100)" in err
    assert "Traceback" not in err


def _sent(home: Path, subject: str) -> list[tuple[Any, ...]]:
    """(mailbox email, folder, sender person's email) of the rows of one message."""
    return query(
        home,
        "SELECT a.email, m.folder, u.email FROM mail_message m "
        "JOIN accounts_account a ON a.id = m.mailbox_id "
        "LEFT JOIN people_user u ON u.id = m.sender_person_id "
        "WHERE m.subject = ? ORDER BY a.email, m.folder",
        subject,
    )


def test_mail_clients_authenticate_and_send_through_caducee_smtp(tmp_path: Path) -> None:
    """`caducee smtp` as run in production (no Django async escape), real clients."""
    home = tmp_path / "instance"
    who = setup_instance(home, "clients", "ch-a.mssante.fr")
    smtp, submission = free_port(), free_port()
    process = start_smtp(
        home,
        smtp,
        submission,
        "--no-delivery",
        CADUCEE_SMTP_ROUTES="autre.mssante.fr=127.0.0.1:9",  # whitelisted remote domain
        CADUCEE_LOCKOUT_FREE_FAILURES="2",
        CADUCEE_LOCKOUT_THRESHOLD="5",
    )
    martine, secret = who["martine"], who["martine_secret"]
    own = "martine.dubois@ch-a.mssante.fr"
    try:
        for mechanism in ("PLAIN", "LOGIN"):
            for initial in (True, False):
                code, text = smtplib_auth(home, submission, martine, secret, mechanism, initial)
                assert code == 235, (mechanism, initial, text)

        for auth in ("PLAIN", "LOGIN"):
            sent = swaks(
                home,
                submission,
                martine,
                secret,
                own,
                "paul.martin@ch-a.mssante.fr",
                f"swaks {auth}",
                auth=auth,
            )
            assert sent.returncode == 0, sent.output
            assert _sent(home, f"swaks {auth}") == [
                (martine, "sent", martine),
                (who["paul"], "inbox", None),
            ]

        # msmtp: a local and a whitelisted remote recipient in one message.
        sent = msmtp(
            home,
            submission,
            martine,
            secret,
            own,
            ["paul.martin@ch-a.mssante.fr", "dr.loin@autre.mssante.fr"],
            "msmtp local et distant",
            auth="login",
        )
        assert sent.returncode == 0, sent.output
        assert _sent(home, "msmtp local et distant") == [
            (martine, "sent", martine),
            (who["paul"], "inbox", None),
        ]
        assert query(home, "SELECT recipient FROM mail_outbound") == [("dr.loin@autre.mssante.fr",)]

        # The ORG mailbox's connection account sends as the ORG: traced to the person.
        org = "secretariat@ch-a.mssante.fr"
        sent = msmtp(
            home,
            submission,
            martine,
            secret,
            org,
            ["paul.martin@ch-a.mssante.fr"],
            "au nom du secretariat",
        )
        assert sent.returncode == 0, sent.output
        assert _sent(home, "au nom du secretariat") == [
            (who["paul"], "inbox", None),
            ("secretariat@perso.example.org", "sent", martine),
        ]
        assert query(
            home,
            "SELECT actor_label, acting_as, channel FROM audit_auditevent "
            "WHERE action = 'mail.send' ORDER BY seq DESC LIMIT 1",
        ) == [(martine, "secretariat@perso.example.org", "smtp")]

        # A deactivated account is refused at once, with its right password.
        sent = msmtp(
            home,
            submission,
            who["retired"],
            who["retired_secret"],
            "retired@ch-a.mssante.fr",
            ["paul.martin@ch-a.mssante.fr"],
            "jamais",
        )
        # (deactivation revoked its application password: the plain 535 of a wrong one)
        assert sent.returncode != 0 and "535 5.7.8" in sent.output, sent.output

        # Wrong passwords: 535, then 454 once throttled; one audit event for the person.
        answers = [
            smtplib_auth(home, submission, martine, "mauvais", "PLAIN", True)[0] for _ in range(3)
        ]
        assert answers == [535, 535, 454]
        sent = msmtp(home, submission, martine, "mauvais", own, [own], "refuse")
        assert sent.returncode != 0 and "454" in sent.output, sent.output
        assert query(
            home,
            "SELECT target_label, channel FROM audit_auditevent "
            "WHERE action = 'mail.smtp_login_failed' ORDER BY seq",
        ) == [(who["retired"], "smtp"), (martine, "smtp")]
    finally:
        process.send_signal(signal.SIGTERM)
        output = process.communicate(timeout=40)[0]
    assert "SynchronousOnlyOperation" not in output and "Traceback" not in output, output
