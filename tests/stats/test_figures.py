"""The figures of « Activité structure »: what each table counts, for one structure and
across every structure, in a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils import timezone

from caducee.accounts.models import Account, AccountState
from caducee.loadusers.models import ImportJob, JobStatus
from caducee.mail.models import Message
from caducee.people.models import User
from caducee.stats import figures
from caducee.stats.snapshots import take_snapshot, week_of
from caducee.structures.models import Structure
from tests import factories


def _message(account: Account, *, sent: bool, ago: timedelta = timedelta(0), **kw: Any) -> None:
    Message.objects.create(
        mailbox=account,
        folder=kw.pop("folder", "sent" if sent else "inbox"),
        sender_person=account.user if sent else None,
        received_at=timezone.now() - ago,
        path="x",
        **kw,
    )


def _row(table: figures.Table, label: str) -> list[figures.Cell]:
    return next(row for row in table.rows if row[0] == label)


def test_accounts_by_state_and_type_per_week(
    structure_a: Structure, structure_b: Structure
) -> None:
    factories.make_account(structure_a, "MED")
    factories.make_account(structure_b, "MED")
    last_week = timezone.now() - timedelta(weeks=1)
    take_snapshot(last_week)
    per = factories.make_account(structure_a, "PER")
    Account.objects.filter(pk=per.pk).update(state=AccountState.VALID)
    today = timezone.localdate()
    by_state, by_type = figures.account_tables(structure_a, today)
    assert by_state.columns[0] == "Semaine du" and "Valide" in by_state.columns
    this_week = figures.day_label(week_of(today))
    before = figures.day_label(week_of(timezone.localdate(last_week)))
    assert [row[0] for row in by_state.rows] == [before, this_week]
    assert sum(int(c) for c in _row(by_state, before)[1:]) == 1  # structure B's not counted
    assert sum(int(c) for c in _row(by_state, this_week)[1:]) == 2  # live
    valid = by_state.columns.index("Valide")
    assert _row(by_state, this_week)[valid] == 1 and _row(by_state, before)[valid] == 0
    med, per_column = by_type.columns.index("MED"), by_type.columns.index("PER")
    assert (_row(by_type, this_week)[med], _row(by_type, this_week)[per_column]) == (1, 1)
    platform, _ = figures.account_tables(None, today)
    assert sum(int(c) for c in _row(platform, this_week)[1:]) == 3


def test_messages_sent_and_received_per_week(
    structure_a: Structure, structure_b: Structure
) -> None:
    a = factories.make_account(structure_a, "PER")
    b = factories.make_account(structure_b, "PER")
    _message(a, sent=True)
    _message(a, sent=False)
    _message(a, sent=False, folder="trash", previous_folder="inbox")
    _message(a, sent=True, folder="drafts")  # a draft is not a sent message
    _message(a, sent=True, folder="trash", previous_folder="drafts")
    _message(a, sent=False, folder="sent")  # its author's login deleted since: still sent
    _message(a, sent=False, ago=timedelta(weeks=1))
    _message(a, sent=False, ago=timedelta(weeks=figures.MESSAGE_WEEKS + 1))  # too old
    _message(b, sent=True)
    today = timezone.localdate()
    table = figures.message_table(structure_a, today)
    assert table.columns == ["Semaine du", "Envoyés", "Reçus"]
    assert len(table.rows) == figures.MESSAGE_WEEKS  # every week, zero included
    assert table.rows[-1] == [figures.day_label(week_of(today)), 2, 2]
    assert table.rows[-2][1:] == [0, 1]
    assert sum(int(row[2]) for row in table.rows) == 3
    platform = figures.message_table(None, today)
    assert platform.rows[-1][1:] == [3, 2]


def test_active_never_used_and_soon_expiring_mailboxes(structure_a: Structure) -> None:
    now, today = timezone.now(), timezone.localdate()

    def account(**fields: Any) -> None:
        made = factories.make_account(structure_a, "MED")
        Account.objects.filter(pk=made.pk).update(**fields)

    account(last_login_at=now)  # active
    account(last_read_at=now - timedelta(days=3), expiry_date=today + timedelta(days=10))
    account(last_received_at=now - timedelta(days=40))  # inactive
    account()  # never used
    account(expiry_date=today + timedelta(days=30))  # never used, expires in 30 days
    account(expiry_date=today + timedelta(days=31))  # never used, later
    account(expiry_date=today + timedelta(days=5), state=AccountState.DEACTIVATED)
    account(state=AccountState.DELETED, deleted_at=now)  # left out
    table = figures.mailbox_table(structure_a, today)
    assert [row[1] for row in table.rows] == [2, 1, 4, 2]
    assert table.chart == "hbars"


def test_import_history_newest_first(structure_a: Structure, structure_b: Structure) -> None:
    for name, structure in (("un.csv", structure_a), ("deux.xlsx", structure_a)):
        ImportJob.objects.create(
            structure=structure,
            actor_label="alice@ch-a.fr",
            file_name=name,
            status=JobStatus.DONE,
            created=3,
            updated=2,
            rejected=1,
        )
    ImportJob.objects.create(
        structure=structure_b, actor_label="b@b.fr", file_name="b.csv", status=JobStatus.FAILED
    )
    table = figures.import_table(structure_a)
    assert [row[1] for row in table.rows] == ["deux.xlsx", "un.csv"]
    assert table.rows[0][2:] == ["alice@ch-a.fr", "Import terminé", 3, 2, 0, 1]
    assert [name for name, _ in table.series()] == ["Créés", "Mis à jour", "Inchangés", "Rejetés"]
    platform = figures.import_table(None)
    assert platform.columns[1] == "Structure" and len(platform.rows) == 3
    assert platform.rows[0][1] == structure_b.name


def test_the_figures_cost_five_queries_whatever_the_data(
    structure_a: Structure, operator: User, django_assert_num_queries: Any
) -> None:
    for _ in range(3):
        account = factories.make_account(structure_a, "MED")
        _message(account, sent=False)
        ImportJob.objects.create(
            structure=structure_a, actor_label="x", file_name="f.csv", status=JobStatus.DONE
        )
    take_snapshot(timezone.now() - timedelta(weeks=2))
    with django_assert_num_queries(5):
        figures.activity_tables(structure_a)
    with django_assert_num_queries(5):
        figures.activity_tables(None)


def test_one_table_alone_and_an_unknown_name(structure_a: Structure) -> None:
    table = figures.activity_table(structure_a, "boites")
    assert table is not None and table.key == "boites"
    assert figures.activity_table(structure_a, "comptes-par-type") is not None
    assert figures.activity_table(structure_a, "inconnu") is None
    assert set(figures.KEYS) == {t.key for t in figures.activity_tables(structure_a)}


def test_csv_is_excel_friendly_and_formula_safe(structure_a: Structure) -> None:
    ImportJob.objects.create(
        structure=structure_a, actor_label="x", file_name="=cmd|x.csv", status=JobStatus.DONE
    )
    data = figures.import_table(structure_a).csv()
    assert data.startswith("\ufeff".encode())
    text = data.decode("utf-8-sig")
    header, line = text.split("\r\n")[:2]
    assert header.startswith("Date;Fichier;Auteur;État;Créés")
    assert ";'=cmd|x.csv;" in line  # never a formula in Excel


def test_series_of_an_empty_table() -> None:
    table = figures.Table("k", "T", "D", ["Semaine du", "A"], [], "line")
    assert table.series() == [] and table.labels() == []
