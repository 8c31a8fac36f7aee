"""An import whose list columns are written as HR files write them (issue #15, point 9).

The matching itself is tested in tests/referentials/; here the whole import (reading,
validation pass, writing pass, report) with such a file, in CSV and XLSX.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import pytest

from caducee.accounts.models import Account
from caducee.core.context import cli_context
from caducee.loadusers.importing import import_loadusers
from caducee.structures.models import Structure
from tests.factories import make_account
from tests.loadusers.builders import csv_bytes, line, xlsx_bytes

# Values the pre-existing accounts get instead of the file's (list columns).
LIST_KEYS = {"profession", "specialty", "resp_profession", "department", "region"}
OTHER_PROFESSION = {"MED": "L11", "PER": "91", "ORG": "21"}
Build = Callable[[Sequence[dict[str, Any]]], bytes]


def _lines() -> list[dict[str, Any]]:
    return [
        line("MED", "sec1@ch-a.fr", profession="Secrétaires médicales"),
        line("MED", "sec2@ch-a.fr", profession="secrétaire médicale"),
        line("MED", "sec3@ch-a.fr", profession="Secrétaire médical"),
        line(
            "PER",
            "ide@ch-a.fr",
            profession="Infirmière",
            specialty="infirmière anesthésiste diplômée d'état",
        ),
        line(
            "PER",
            "sf@ch-a.fr",
            profession="sage femme",
            department="bouches du rhone",
            region="provence alpes cote d azur",
        ),
        line("PER", "dr@ch-a.fr", profession="MEDECINS", specialty="medecine generale"),
        line(
            "ORG",
            "secretariat@ch-a.fr",
            connection_accounts="sec1@ch-a.fr",
            resp_profession="Médecin",
            profession="chirurgiennes-dentistes",
        ),
    ]


EXPECTED = {
    "sec1@ch-a.fr": "L10",
    "sec2@ch-a.fr": "L10",
    "sec3@ch-a.fr": "L10",
    "ide@ch-a.fr": "60",
    "sf@ch-a.fr": "50",
    "dr@ch-a.fr": "10",
    "secretariat@ch-a.fr": "40",
}


@pytest.mark.parametrize("build", [csv_bytes, xlsx_bytes], ids=["csv", "xlsx"])
def test_new_accounts_with_hr_labels_pass_the_preview(structure_a: Structure, build: Build) -> None:
    data = build(_lines())
    result = import_loadusers(cli_context(), structure_a, data, file_name="rh", dry_run=True)
    assert [p for p in result.problems if p.is_error] == []
    assert result.counts == {"created": 7, "updated": 0, "unchanged": 0, "rejected": 0}


@pytest.mark.parametrize("build", [csv_bytes, xlsx_bytes], ids=["csv", "xlsx"])
def test_hr_labels_are_written_as_codes(structure_a: Structure, build: Build) -> None:
    lines = _lines()
    for data in sorted(lines, key=lambda d: d["type"] == "ORG"):  # the ORG's link first
        # The same accounts with other list values; the file then changes them.
        make_account(
            structure_a,
            data["type"],
            data["email"],
            **{k: v for k, v in data.items() if k not in LIST_KEYS | {"type", "email"}},
            profession=OTHER_PROFESSION[data["type"]],
        )
    result = import_loadusers(cli_context(), structure_a, build(lines), file_name="rh")
    assert [p for p in result.problems if p.is_error] == []
    assert result.counts == {"created": 0, "updated": 7, "unchanged": 0, "rejected": 0}
    stored = dict(Account.objects.filter(email__in=EXPECTED).values_list("email", "profession"))
    assert stored == EXPECTED
    assert Account.objects.get(email="ide@ch-a.fr").specialty == "SI01"
    assert Account.objects.get(email="dr@ch-a.fr").specialty == "SM54"
    assert Account.objects.get(email="sf@ch-a.fr").department == "13"
    assert Account.objects.get(email="secretariat@ch-a.fr").resp_profession == "10"
    # Stored as codes: re-importing the same file changes nothing.
    again = import_loadusers(cli_context(), structure_a, build(lines), file_name="rh")
    assert again.counts == {"created": 0, "updated": 0, "unchanged": 7, "rejected": 0}


def test_a_typo_rejects_the_line_with_suggestions_in_the_report(structure_a: Structure) -> None:
    lines = [
        line("MED", "ok@ch-a.fr", profession="secrétaires médicales"),
        line("MED", "typo1@ch-a.fr", profession="Secretaire medicalle"),
        line("MED", "typo2@ch-a.fr", profession="Secretaire medicalle"),
    ]
    data = csv_bytes(lines)
    result = import_loadusers(cli_context(), structure_a, data, file_name="rh", dry_run=True)
    assert result.counts["created"] == 1 and result.counts["rejected"] == 2
    rows = [p for p in result.problems if p.is_error]
    assert [(p.line, p.column, p.code) for p in rows] == [
        (3, "Profession", "choice"),
        (4, "Profession", "choice"),
    ]
    # One message per value, whichever line: the report can group them.
    assert rows[0].message == rows[1].message
    assert rows[0].message.startswith(
        "Profession « Secretaire medicalle » inconnue. Vouliez-vous dire : "
        "« Secrétaire médical(e) » ?"
    )
    assert "onglet « Listes » du modèle loaduser" in rows[0].message
