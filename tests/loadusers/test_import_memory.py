"""Memory that does not grow with the file (issue #19, point 3): the valid lines spooled to
disk beyond a fixed number give the import of a file held in memory, row for row."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.db import transaction

from caducee.accounts.models import Account, ConnectionLink
from caducee.audit.models import AuditEvent
from caducee.audit.verify import verify_chain
from caducee.core.context import cli_context
from caducee.directory.models import DirectoryEntry
from caducee.loadusers import email_index, problem_log, spool, validation_pass, whole_file
from caducee.loadusers.email_index import EmailIndex
from caducee.loadusers.importing import import_loadusers
from caducee.loadusers.reading import open_table
from caducee.loadusers.spool import Spool
from caducee.structures.models import Structure
from tests.loadusers.builders import csv_bytes, line


@dataclass(slots=True)
class Item:
    line: int
    text: str


def test_a_spool_gives_its_items_back_in_order_from_memory_and_disk() -> None:
    box: Spool[Item] = Spool(in_memory=3, frame=2)
    items = [Item(n, f"ligne {n} é") for n in range(2, 12)]
    for item in items:
        box.append(item)
    assert len(box) == 10 and box.spilled == 6  # 3 in memory, 3 frames of 2, 1 waiting
    assert list(box) == items
    assert list(box) == items  # as often as needed
    pairs = zip(box, box, strict=True)  # two passes at once (frames read with pread)
    assert all(a == b for a, b in pairs)
    assert [[i.line for i in batch] for batch in box.batches(4)] == [
        [2, 3, 4, 5],
        [6, 7, 8, 9],
        [10, 11],
    ]
    box.drop({3, 7})
    assert len(box) == 8 and [i.line for i in box] == [2, 4, 5, 6, 8, 9, 10, 11]
    box.close()


def test_a_small_spool_writes_nothing_to_disk() -> None:
    box: Spool[Item] = Spool(in_memory=5)
    for n in range(5):
        box.append(Item(n, ""))
    assert box.spilled == 0 and not box._file and [i.line for i in box] == list(range(5))
    assert not Spool() and len(Spool()) == 0


@pytest.mark.parametrize("in_memory", [100, 2, 0])
def test_the_email_index_answers_the_same_from_memory_or_disk(in_memory: int) -> None:
    index = EmailIndex(in_memory=in_memory)
    index.prefetch({"a@x.fr", "b@x.fr", "c@x.fr"})
    for number, email in ((2, "a@x.fr"), (3, "b@x.fr"), (4, "c@x.fr")):
        assert index.first_line(email) is None
        index.add(email, number)
    assert index.first_line("b@x.fr") == 3  # a duplicate in the same chunk
    index.set_kind("a@x.fr", "PER")
    index.prefetch({"b@x.fr", "d@x.fr"})  # the next chunk
    assert (index.first_line("b@x.fr"), index.first_line("d@x.fr")) == (3, None)
    index.add("d@x.fr", 900_000)
    index.set_kind("b@x.fr", "ORG")  # a line of an earlier chunk, found valid later
    index.set_kind("c@x.fr", "MED")
    index.set_kind("d@x.fr", "INT")
    index.set_kind("c@x.fr", "")  # rejected by the whole-file checks
    emails = ["a@x.fr", "b@x.fr", "c@x.fr", "d@x.fr", "e@x.fr"]
    assert index.kinds(emails) == {"a@x.fr": "PER", "b@x.fr": "ORG", "d@x.fr": "INT"}
    assert index.first_lines(emails) == {"a@x.fr": 2, "b@x.fr": 3, "c@x.fr": 4, "d@x.fr": 900_000}
    assert index.on_disk == (in_memory < 4)
    index.close()


def _lines() -> list[dict[str, Any]]:
    """Creations of every type, links named before and after, faulty lines, a duplicate,
    a link to a rejected line, and updates (one changing its links)."""
    lines: list[dict[str, Any]] = [
        line("ORG", "org-first@ch-a.fr", connection_accounts="l0@ch-a.fr;l5@ch-a.fr")
    ]
    for i in range(40):
        kind = ("PER", "MED", "INT", "APP")[i % 4]
        data = line(kind, f"l{i}@ch-a.fr", mssante_particle="" if i % 3 else f"part.{i}")
        if i % 11 == 4:
            data["postal_code"] = "ABCDE"
        lines.append(data)
    lines += [
        line("ORG", "org-last@ch-a.fr", connection_accounts="l4@ch-a.fr;l8@ch-a.fr"),
        line("ORG", "org-bad@ch-a.fr", connection_accounts="inconnu@ch-a.fr"),
        line("PER", "l2@ch-a.fr"),  # duplicate
        line("MED", "old-med@ch-a.fr", last_name="NOUVEAU"),  # update
        line("ORG", "old-org@ch-a.fr", connection_accounts="l0@ch-a.fr"),  # links changed
    ]
    return lines


def _existing(structure: Structure) -> None:
    Account.objects.create(structure=structure, email="old-med@ch-a.fr", type="MED", last_name="A")
    member = Account.objects.create(
        structure=structure, email="old-per@ch-a.fr", type="PER", last_name="B"
    )
    mailbox = Account.objects.create(
        structure=structure, email="old-org@ch-a.fr", type="ORG", last_name="C"
    )
    ConnectionLink.objects.create(mailbox=mailbox, account=member)


def _written(structure: Structure) -> tuple[Any, ...]:
    """What an import wrote, without the keys (two imports in one test draw others)."""
    accounts = sorted(
        Account.objects.filter(structure=structure).values_list(
            "email", "type", "state", "last_name", "postal_code", "mssante_particle"
        )
    )
    links = sorted(ConnectionLink.objects.values_list("mailbox__email", "account__email"))
    events = list(
        AuditEvent.objects.order_by("seq").values_list("action", "target_label", "detail")
    )
    entries = sorted(DirectoryEntry.objects.values_list("email", "keywords", "mssante_address"))
    for _action, _label, detail in events:
        detail.pop("import", None)  # the import's random id
    return accounts, links, events, entries


def _import_and_undo(structure: Structure, data: bytes) -> tuple[Any, ...]:
    with transaction.atomic():
        _existing(structure)
        result = import_loadusers(
            cli_context(), structure, data, file_name="f.csv", pool_threshold=10**9
        )
        assert verify_chain().ok
        outcome = (
            result.counts,
            [p.as_dict() for p in result.problems],
            result.addresses_generated,
            result.addresses_sample,
            _written(structure),
        )
        transaction.set_rollback(True)
    return outcome


@pytest.mark.django_db(transaction=False)
def test_an_import_spooled_to_disk_writes_what_one_in_memory_writes(
    structure_a: Structure, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = csv_bytes(_lines())
    in_memory = _import_and_undo(structure_a, data)
    monkeypatch.setattr(spool, "IN_MEMORY", 3)
    monkeypatch.setattr(spool, "FRAME", 2)
    monkeypatch.setattr(email_index, "IN_MEMORY", 5)
    monkeypatch.setattr(validation_pass, "CHUNK", 7)  # duplicates across chunks
    monkeypatch.setattr(problem_log, "IN_MEMORY", 2)  # the report in runs on disk
    monkeypatch.setattr(whole_file, "CHUNK", 2)  # connection accounts, 2 lines at a time
    spilled = _import_and_undo(structure_a, data)
    assert spilled == in_memory
    counts, problems, generated, _sample, (_accounts, links, _events, _entries) = spilled
    assert counts == {"created": 34, "updated": 2, "unchanged": 0, "rejected": 10}
    codes = {p["code"] for p in problems if p["severity"] == "error"}
    assert {"duplicate", "rejected_account", "unknown_account", "postal_code"} <= codes
    assert generated > 10
    assert ("org-first@ch-a.fr", "l5@ch-a.fr") in links
    assert ("old-org@ch-a.fr", "l0@ch-a.fr") in links
    assert ("old-org@ch-a.fr", "old-per@ch-a.fr") not in links


@pytest.mark.django_db(transaction=False)
@pytest.mark.parametrize("chunk", [1, 2, 3])
def test_connection_accounts_checked_in_batches_as_in_one(
    structure_a: Structure, monkeypatch: pytest.MonkeyPatch, chunk: int
) -> None:
    """A line rejected for its connection accounts is no valid line for the lines after
    it, in its batch or a later one: the same problems as checked all at once."""
    Account.objects.create(structure=structure_a, email="old-org2@ch-a.fr", type="ORG")
    lines = [
        line("ORG", "o1@ch-a.fr", connection_accounts="m1@ch-a.fr;inconnu@ch-a.fr"),
        line("ORG", "o2@ch-a.fr", connection_accounts="o1@ch-a.fr"),
        line("MED", "m1@ch-a.fr"),
        line("ORG", "o4@ch-a.fr", connection_accounts="m1@ch-a.fr"),
        line("PER", "p5@ch-a.fr"),
        line("ORG", "o6@ch-a.fr", connection_accounts="p5@ch-a.fr;o1@ch-a.fr"),
        line("ORG", "o7@ch-a.fr", connection_accounts="p5@ch-a.fr"),
        line("ORG", "old-org@ch-a.fr", connection_accounts="inconnu2@ch-a.fr"),
        line("ORG", "old-org2@ch-a.fr", connection_accounts="old-org@ch-a.fr"),
        line("ORG", "o10@ch-a.fr", connection_accounts="old-med@ch-a.fr;o4@ch-a.fr"),
    ]
    data = csv_bytes(lines)
    at_once = _import_and_undo(structure_a, data)
    monkeypatch.setattr(whole_file, "CHUNK", chunk)
    assert _import_and_undo(structure_a, data) == at_once
    counts, problems, *_ = at_once
    found = {(p["email"], p["code"]) for p in problems}
    assert found == {
        ("o1@ch-a.fr", "unknown_account"),
        ("o2@ch-a.fr", "rejected_account"),
        ("o6@ch-a.fr", "rejected_account"),
        ("old-org@ch-a.fr", "unknown_account"),
        ("old-org2@ch-a.fr", "rejected_account"),  # not « BAL ORG »: its line was rejected
        ("o10@ch-a.fr", "not_nominative"),
    }
    assert counts["rejected"] == 6


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_a_csv_on_disk_is_read_as_its_bytes_are(encoding: str, tmp_path: Path) -> None:
    lines = [line("PER", "éloïse@ch-a.fr", last_name="Cœur-Élan"), line("MED", "m@ch-a.fr")]
    data = csv_bytes(lines, encoding=encoding)
    path = tmp_path / "f.csv"
    path.write_bytes(data)
    from_bytes = open_table(data, "f.csv")
    with path.open("rb") as stream:
        from_disk = open_table(stream, "f.csv")
        assert from_disk.size_hint == from_bytes.size_hint == 3
        assert from_disk.header == from_bytes.header
        assert list(from_disk.rows) == list(from_bytes.rows)


def test_an_import_from_a_path_reads_the_file_and_closes_it(
    structure_a: Structure, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "f.csv"
    path.write_bytes(csv_bytes(_lines()))
    opened: list[Any] = []
    real_open = Path.open

    def spy(self: Path, *args: Any, **kwargs: Any) -> Any:
        stream = real_open(self, *args, **kwargs)
        opened.append(stream)
        return stream

    monkeypatch.setattr(Path, "open", spy)
    from_path = import_loadusers(cli_context(), structure_a, path, dry_run=True)
    monkeypatch.undo()
    from_bytes = import_loadusers(cli_context(), structure_a, path.read_bytes(), dry_run=True)
    assert [stream.closed for stream in opened] == [True]
    assert from_path.file_name == "f.csv"
    assert (from_path.counts, from_path.problems) == (from_bytes.counts, from_bytes.problems)


def test_a_new_account_comes_back_from_its_pickle_unchanged() -> None:
    import pickle

    from caducee.loadusers.import_state import NewAccount

    item = NewAccount(7, 3, ("a@ch-a.fr", None, "", False), ["x@ch-a.fr"], 12)
    assert pickle.loads(pickle.dumps(item)) == item  # noqa: S301 (our own bytes)


def test_the_heap_before_the_import_is_left_out_of_full_collections(
    structure_a: Structure,
) -> None:
    import gc

    during: list[int] = []
    before = gc.get_freeze_count()
    import_loadusers(
        cli_context(),
        structure_a,
        csv_bytes(_lines()),
        progress=lambda *_: during.append(gc.get_freeze_count()),
    )
    assert during and min(during) > 0
    assert gc.get_freeze_count() == before == 0
