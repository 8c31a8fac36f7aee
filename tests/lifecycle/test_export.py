"""« Exporter la liste des comptes inactifs supprimés depuis 6 mois (et prochainement
supprimés) »: rows, formats, permission."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest
from python_calamine import CalamineWorkbook

from caducee.accounts.models import Account
from caducee.audit.models import AuditEvent
from caducee.core.context import system_context
from caducee.core.errors import Invalid, NotFound
from caducee.lifecycle.export import HEADERS, months_before
from caducee.lifecycle.operations import export_inactive, run_lifecycle
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories
from tests.helpers import ctx_for
from tests.lifecycle.test_operations import ACTIVE, DUE, inactive_since

pytestmark = pytest.mark.django_db

SERVER = system_context("test")


@pytest.fixture
def mailboxes(structure_a: Structure, alice: User) -> dict[str, Account]:
    """One deleted 7 months before DAY, one deleted 2 months before, one due in 10 days,
    one active, and one of structure A's mailboxes with an =formula-like name."""
    made = {
        "old": factories.make_account(structure_a, "PER", "ancien@example.org"),
        "recent": factories.make_account(structure_a, "PER", "recent@example.org"),
        "soon": factories.make_account(
            structure_a, "PER", "bientot@example.org", last_name="=HYPERLIEN"
        ),
        "active": factories.make_account(structure_a, "PER", "actif@example.org"),
    }
    inactive_since(made["old"], ACTIVE)
    inactive_since(made["recent"], ACTIVE + timedelta(days=150))
    inactive_since(made["soon"], ACTIVE + timedelta(days=220))
    inactive_since(made["active"], ACTIVE + timedelta(days=400))
    for day in (DUE - timedelta(days=7), DUE):  # "old" deleted on DUE
        run_lifecycle(SERVER, day)
    recent_due = DUE + timedelta(days=150)
    for day in (recent_due - timedelta(days=7), recent_due):
        run_lifecycle(SERVER, day)
    return made


DAY = DUE + timedelta(days=210)  # "old" deleted 7 months before, "soon" due on DAY + 10


def test_rows_deleted_in_six_months_then_soon_deleted(
    mailboxes: dict[str, Account], alice: User
) -> None:
    exported = export_inactive(ctx_for(alice), mailboxes["soon"].structure, "csv", DAY)
    assert exported.name.endswith(f"-{DAY.isoformat()}.csv")
    text = exported.data.decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0] == list(HEADERS)
    assert [(r[0], r[1]) for r in rows[1:]] == [
        ("Supprimé", "recent@example.org"),
        ("Suppression prévue", "bientot@example.org"),
    ]
    recent, soon = rows[1], rows[2]
    assert recent[6] == (ACTIVE + timedelta(days=150)).strftime("%d/%m/%Y")
    assert recent[7] == (DUE + timedelta(days=150)).strftime("%d/%m/%Y")
    assert soon[3] == "'=HYPERLIEN"  # formula-safe
    assert soon[7] == (DAY + timedelta(days=10)).strftime("%d/%m/%Y")
    event = AuditEvent.objects.get(action="account.inactive_export")
    assert event.detail == {"format": "csv", "rows": 2, "day": DAY.isoformat()}


def test_xlsx(mailboxes: dict[str, Account], alice: User, tmp_path: object) -> None:
    exported = export_inactive(ctx_for(alice), mailboxes["soon"].structure, "xlsx", DAY)
    book = CalamineWorkbook.from_filelike(io.BytesIO(exported.data))
    rows = book.get_sheet_by_index(0).to_python()
    assert rows[0] == list(HEADERS)
    assert [r[1] for r in rows[1:]] == ["recent@example.org", "bientot@example.org"]
    assert rows[2][3] == "=HYPERLIEN"  # a text cell, never a formula


def test_refusals(mailboxes: dict[str, Account], alice: User, bob: User) -> None:
    structure = mailboxes["soon"].structure
    with pytest.raises(NotFound):
        export_inactive(ctx_for(bob), structure, "csv", DAY)
    with pytest.raises(Invalid, match="csv ou xlsx"):
        export_inactive(ctx_for(alice), structure, "ods", DAY)


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 9, 15), date(2026, 3, 15)),
        (date(2026, 8, 31), date(2026, 2, 28)),
        (date(2026, 3, 31), date(2025, 9, 30)),
        (date(2026, 1, 10), date(2025, 7, 10)),
    ],
)
def test_six_months_before(day: date, expected: date) -> None:
    assert months_before(day, 6) == expected
