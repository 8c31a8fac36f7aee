"""The group commit's order: the folders of a batch fsync'd, then its rows committed, then
its senders answered. Checked by the order of events, not by timing."""

from __future__ import annotations

import fcntl
import os
import threading
from pathlib import Path
from typing import Any

import pytest

from caducee.mail import inbound, store
from caducee.mail.models import Message
from caducee.mail.smtp import commit
from caducee.mail.smtp.commit import GroupCommit


def _record_fsyncs(monkeypatch: pytest.MonkeyPatch, events: list[tuple[str, str]]) -> None:
    real = store._fsync_dir

    def fsync_dir(path: Path) -> None:
        real(path)
        events.append(("fsync", str(Path(path).relative_to(store.root()))))

    monkeypatch.setattr(store, "_fsync_dir", fsync_dir)


def test_a_deferred_write_fsyncs_the_file_but_not_its_folder(
    mail_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store.write("7", b"first")  # the folders exist from now on
    events: list[tuple[str, str]] = []
    _record_fsyncs(monkeypatch, events)
    path = store.write("7", b"Subject: x\r\n\r\nbody\r\n", sync_directory=False)
    assert store.read(path) == b"Subject: x\r\n\r\nbody\r\n"
    assert events == []
    store.write("7", b"third")
    assert events == [("fsync", "7/cur")]


def test_sync_directories_fsyncs_each_folder_once(
    mail_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = [store.write(box, b"x", sync_directory=False) for box in ("1", "2", "1", "1")]
    events: list[tuple[str, str]] = []
    _record_fsyncs(monkeypatch, events)
    store.sync_directories(paths)
    assert sorted(events) == [("fsync", "1/cur"), ("fsync", "2/cur")]


def test_no_sender_of_a_batch_is_answered_before_its_folders_are_fsynced(
    mail_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    events: list[tuple[str, str]] = []
    lock = threading.Lock()
    first_batch = threading.Event()
    release = threading.Event()

    def commit_inbound(rows: list[Message], notify: set[int]) -> list[Message]:
        with lock:
            events.append(("commit", "|".join(sorted(r.path for r in rows))))
        if not first_batch.is_set():  # hold the committer while the next jobs queue up
            first_batch.set()
            assert release.wait(10)
        return rows

    monkeypatch.setattr(inbound, "commit_inbound", commit_inbound)
    for box in ("1", "2", "9"):
        store.write(box, b"folders made")
    _record_fsyncs(monkeypatch, events)
    committer = GroupCommit()

    def sender(name: str, box: str) -> None:
        path = store.write(box, name.encode(), sync_directory=False)
        committer.submit([Message(mailbox_id=int(box), path=path)], set())
        with lock:
            events.append(("250", path))

    blocker = threading.Thread(target=sender, args=("blocker", "9"))
    blocker.start()
    assert first_batch.wait(10)
    senders = [
        threading.Thread(target=sender, args=(f"m{n}", box))
        for n, box in enumerate(("1", "2", "1"))
    ]
    for thread in senders:
        thread.start()
    for _ in range(1000):  # until all three wait behind the blocker
        if committer.pending.qsize() == 3:
            break
        threading.Event().wait(0.01)
    release.set()
    for thread in [blocker, *senders]:
        thread.join(10)

    answered = [path for kind, path in events if kind == "250"]
    assert len(answered) == 4
    for path in answered:
        answer = events.index(("250", path))
        folder = path.rsplit("/", 1)[0]
        fsynced = [i for i, event in enumerate(events) if event == ("fsync", folder)]
        committed = [
            i for i, (kind, rows) in enumerate(events) if kind == "commit" and path in rows
        ]
        assert fsynced and committed
        assert min(fsynced) < committed[0] < answer
    # the three queued messages made one batch: one fsync per folder, one commit
    second = [event for event in events if event[0] != "250"][2:]
    assert sorted(second[:2]) == [("fsync", "1/cur"), ("fsync", "2/cur")]
    assert [kind for kind, _ in second] == ["fsync", "fsync", "commit"]
    assert len(second[2][1].split("|")) == 3


@pytest.mark.django_db(transaction=True)
def test_inbound_data_fsyncs_the_folder_before_answering(
    martine: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from caducee.mail import smtp_server

    store.write(str(martine.pk), b"folders made")
    events: list[tuple[str, str]] = []
    _record_fsyncs(monkeypatch, events)
    answer = smtp_server.inbound_data(
        b"From: a@b.mssante.fr\r\nSubject: Bonjour\r\n\r\nx\r\n", [(martine.pk, "PER")]
    )
    assert answer.startswith("250")
    assert events == [("fsync", f"{martine.pk}/cur")]
    assert Message.objects.get(mailbox=martine).path.startswith(f"{martine.pk}/cur/")


def test_on_sqlite_a_batch_is_committed_in_its_turn_among_the_smtp_processes(
    mail_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The committing thread holds the writers' lock file while it commits (another
    process's committer waits on it, woken when it is released), and releases it after."""
    path = commit.lock_path()
    if path is None:
        pytest.skip("SQLite only: PostgreSQL lets its writers wait without sleeping")
    seen: list[str] = []

    def held() -> bool:
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return True
        finally:
            os.close(fd)
        return False

    def commit_inbound(rows: list[Message], notify: set[int]) -> list[Message]:
        seen.append("held" if held() else "free")
        return rows

    monkeypatch.setattr(inbound, "commit_inbound", commit_inbound)
    committer = GroupCommit()
    stored = store.write("1", b"x", sync_directory=False)
    assert committer.submit([Message(mailbox_id=1, path=stored)], set()) == {1}
    assert seen == ["held"]
    assert not held()
    committer.release()
