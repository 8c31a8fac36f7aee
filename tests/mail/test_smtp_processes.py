"""`caducee smtp --processes N`: several processes share the SMTP ports (SO_REUSEPORT)."""

from __future__ import annotations

import os
import signal
import smtplib
from pathlib import Path

import pytest

from caducee.cli.main import main
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
