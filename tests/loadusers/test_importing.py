"""The import operation, rule by rule (files built in memory, CSV and XLSX)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from caducee.accounts.fields import FIELDS, TYPES, Rule
from caducee.accounts.models import Account, AccountState, ConnectionLink
from caducee.accounts.operations import create_account, stored_values, update_account
from caducee.audit.models import AuditEvent
from caducee.audit.verify import verify_chain
from caducee.core.context import Context, cli_context
from caducee.core.errors import NotFound
from caducee.loadusers.importing import MANDATORY_COLUMNS, import_loadusers
from caducee.loadusers.reading import FileRefused
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories
from tests.loadusers.builders import csv_bytes, headers, line, xlsx_bytes

ALL = [spec.key for spec in FIELDS]


def run(structure: Structure, data: bytes, ctx: Context | None = None, **options: Any) -> Any:
    return import_loadusers(ctx or cli_context(), structure, data, file_name="test.csv", **options)


def org_line(email: str, links: str, **overrides: Any) -> dict[str, Any]:
    return line("ORG", email, connection_accounts=links, **overrides)


def errors_of(result: Any) -> list[tuple[int, str, str]]:
    return [(p.line, p.column, p.code) for p in result.problems if p.is_error]


def test_it_creates_one_account_per_line_of_every_type(structure_a: Structure) -> None:
    lines = [
        org_line("secretariat@ch-a.fr", "per@ch-a.fr;med@ch-a.fr"),  # links named before
        line("PER", "per@ch-a.fr"),
        line("INT", "int@ch-a.fr"),
        line("MED", "med@ch-a.fr"),
        line("APP", "app@ch-a.fr"),
    ]
    result = run(structure_a, csv_bytes(lines))
    assert errors_of(result) == []
    assert result.counts == {"created": 5, "updated": 0, "unchanged": 0, "rejected": 0}
    org = Account.objects.get(email="secretariat@ch-a.fr")
    assert sorted(org.connection_links.values_list("account__email", flat=True)) == [
        "med@ch-a.fr",
        "per@ch-a.fr",
    ]
    per = Account.objects.get(email="per@ch-a.fr")
    assert per.state == AccountState.PREREGISTERED and per.user is not None
    assert not per.user.has_usable_password()
    assert org.state == AccountState.VALID and org.user is None
    assert not per.visible


def test_reimporting_the_same_file_is_idempotent(structure_a: Structure) -> None:
    data = csv_bytes([line("PER", "a@ch-a.fr"), org_line("o@ch-a.fr", "a@ch-a.fr")])
    run(structure_a, data)
    events = AuditEvent.objects.count()
    again = run(structure_a, data)
    assert again.counts == {"created": 0, "updated": 0, "unchanged": 2, "rejected": 0}
    assert AuditEvent.objects.count() == events + 1  # only the import summary


def test_an_existing_email_updates_only_changed_fields(structure_a: Structure) -> None:
    account = factories.make_account(structure_a, "PER", "p@ch-a.fr", city="LYON")
    data = line("PER", "p@ch-a.fr", rpps=account.rpps, city="MARSEILLE")
    result = run(structure_a, csv_bytes([data]))
    assert result.counts["updated"] == 1
    account.refresh_from_db()
    assert account.city == "MARSEILLE"
    event = AuditEvent.objects.filter(action="account.update", target_id=str(account.pk)).get()
    assert event.detail["changes"] == {"city": ["LYON", "MARSEILLE"]}
    assert event.detail["import"] == result.import_id and event.detail["file"] == "test.csv"
    assert event.detail["line"] == 2


def test_missing_optional_columns_keep_current_values(structure_a: Structure) -> None:
    account = factories.make_account(structure_a, "PER", "p@ch-a.fr", phone1="0612345678")
    keys = [k for k in ALL if k not in {"phone1", "adeli", "company_name"}]
    data = line("PER", "p@ch-a.fr", rpps=account.rpps)
    result = run(structure_a, csv_bytes([data], keys))
    assert result.counts["unchanged"] == 1
    account.refresh_from_db()
    assert account.phone1 == "0612345678"


@pytest.mark.parametrize("missing", MANDATORY_COLUMNS)
def test_a_missing_mandatory_column_refuses_the_file(structure_a: Structure, missing: str) -> None:
    keys = [k for k in ALL if k != missing]
    with pytest.raises(FileRefused) as caught:
        run(structure_a, csv_bytes([line("PER")], keys))
    assert "obligatoire" in caught.value.message
    assert Account.objects.count() == 0


def test_mandatory_columns_are_email_type_and_every_always_mandatory_one() -> None:
    assert {"email", "type", "last_name", "first_name", "postal_code", "city"} <= set(
        MANDATORY_COLUMNS
    )
    assert "region" not in MANDATORY_COLUMNS  # derived from the department
    assert "rpps" not in MANDATORY_COLUMNS


def test_unknown_columns_are_a_warning_and_headers_are_folded(structure_a: Structure) -> None:
    data = line("MED", "m@ch-a.fr")
    header = ["  ADRESSE   MAIL ", "nom", "PRENOM", "cp", "Ville", "departement", "region"]
    header += ["profession", "activite liberale", "type bal", "Couleur préférée"]
    keys = ["email", "last_name", "first_name", "postal_code", "city", "department", "region"]
    keys += ["profession", "liberal", "type", "service"]
    result = run(structure_a, csv_bytes([data], keys, header=header))
    assert result.counts["created"] == 1
    warning = result.problems[0]
    assert (warning.line, warning.column, warning.code) == (1, "Couleur préférée", "unknown_column")
    assert warning.severity == "warning"


def test_the_2025_file_of_seed_004_loads(structure_a: Structure) -> None:
    """No ADELI column: Type BAL in S, MSSanté adresse in AC, Compte(s) de connexion in AH."""
    keys = [k for k in ALL if k != "adeli"]
    letters = {k: i for i, k in enumerate(keys)}
    assert letters["type"] == ord("S") - ord("A")
    assert letters["mssante_particle"] == 26 + ord("C") - ord("A")
    assert letters["connection_accounts"] == 26 + ord("H") - ord("A")
    header = headers(keys)
    header[0] = "Adresse de référence"
    header[letters["type"]] = "Typologie de BAL"
    lines = [
        line("PER", "per@ch-a.fr", mssante_particle="jeanne.dupont"),
        org_line("org@ch-a.fr", "per@ch-a.fr", mssante_particle="secretariat"),
    ]
    result = run(structure_a, xlsx_bytes(lines, keys, header=header))
    assert errors_of(result) == []
    assert result.created == 2
    assert Account.objects.get(email="per@ch-a.fr").mssante_particle == "jeanne.dupont"


def test_same_email_twice_rejects_the_second_line_naming_the_first(
    structure_a: Structure,
) -> None:
    result = run(structure_a, csv_bytes([line("MED", "x@ch-a.fr"), line("MED", "X@ch-a.fr")]))
    assert result.counts == {"created": 1, "updated": 0, "unchanged": 0, "rejected": 1}
    problem = next(p for p in result.problems if p.is_error)
    assert (problem.line, problem.column, problem.code) == (3, "Adresse mail", "duplicate")
    assert "ligne 2" in problem.message


def test_connection_accounts_errors_are_on_the_line_and_column(structure_a: Structure) -> None:
    factories.make_account(structure_a, "APP", "app@ch-a.fr")
    lines = [
        org_line("o1@ch-a.fr", "nobody@ch-a.fr"),
        org_line("o2@ch-a.fr", "app@ch-a.fr"),
        org_line("o3@ch-a.fr", "o1@ch-a.fr"),
        org_line("o4@ch-a.fr", "bad@ch-a.fr"),
        line("PER", "bad@ch-a.fr", rpps="12345678901"),
    ]
    result = run(structure_a, csv_bytes(lines))
    found = {(p.line, p.column, p.code) for p in result.problems if p.is_error}
    column = "Compte(s) de connexion"
    assert (2, column, "unknown_account") in found
    assert (3, column, "not_nominative") in found
    assert (4, column, "rejected_account") in found  # o1 is rejected, hence never created
    assert (5, column, "rejected_account") in found
    assert result.created == 0 and result.rejected == 5


def test_connection_accounts_may_name_existing_accounts(structure_a: Structure) -> None:
    person = factories.make_account(structure_a, "INT")
    result = run(structure_a, csv_bytes([org_line("o@ch-a.fr", person.email)]))
    assert result.created == 1
    assert ConnectionLink.objects.filter(account=person).count() == 1


def test_changing_connection_accounts_updates_the_links(structure_a: Structure) -> None:
    a = factories.make_account(structure_a, "MED", "a@ch-a.fr")
    b = factories.make_account(structure_a, "MED", "b@ch-a.fr")
    org = factories.make_account(structure_a, "ORG", "o@ch-a.fr", connection_accounts=a.email)
    a.default_mailbox = org
    a.save()
    values = {**stored_values(org), "liberal": "NON", "connection_accounts": "b@ch-a.fr"}
    result = run(structure_a, csv_bytes([values]))
    assert result.counts["updated"] == 1
    assert list(org.connection_links.values_list("account", flat=True)) == [b.pk]
    a.refresh_from_db()
    assert a.default_mailbox is None
    event = AuditEvent.objects.filter(action="account.update").last()
    assert event is not None
    assert event.detail["links_added"] == ["b@ch-a.fr"]
    assert event.detail["links_removed"] == ["a@ch-a.fr"]


def test_structure_column_for_admins_of_several_structures(
    structure_a: Structure, structure_b: Structure, alice: User
) -> None:
    factories.make_admin(structure_b, alice.email)
    third = factories.make_structure("Clinique C")
    lines = [
        line("MED", "m1@x.fr", structure="Clinique B"),
        line("MED", "m2@x.fr", structure=""),
        line("MED", "m3@x.fr", structure="Clinique C"),
    ]
    result = run(structure_a, csv_bytes(lines), Context(user=alice))
    assert Account.objects.get(email="m1@x.fr").structure == structure_b
    assert Account.objects.get(email="m2@x.fr").structure == structure_a
    assert errors_of(result) == [(4, "Structure", "unknown_structure")]
    assert not Account.objects.filter(structure=third).exists()


def test_accounts_of_other_structures_are_not_touched(
    structure_a: Structure, structure_b: Structure, alice: User
) -> None:
    other = factories.make_account(structure_b, "MED", "m@b.fr", city="LYON")
    result = run(structure_a, csv_bytes([line("MED", "m@b.fr", city="NICE")]), Context(user=alice))
    assert errors_of(result) == [(2, "Adresse mail", "unavailable")]
    assert "Clinique B" not in result.problems[0].message
    other.refresh_from_db()
    assert other.city == "LYON"


def test_an_admin_cannot_import_into_a_structure_they_do_not_administer(
    structure_a: Structure, bob: User
) -> None:
    with pytest.raises(NotFound):
        run(structure_a, csv_bytes([line("MED")]), Context(user=bob))


def test_the_type_of_an_existing_account_is_not_changed(structure_a: Structure) -> None:
    factories.make_account(structure_a, "MED", "m@ch-a.fr")
    result = run(structure_a, csv_bytes([line("INT", "m@ch-a.fr")]))
    assert errors_of(result) == [(2, "Type BAL", "type_change")]


def test_shared_mailbox_cannot_use_a_persons_address(structure_a: Structure, alice: User) -> None:
    result = run(structure_a, csv_bytes([line("APP", alice.email)]))
    assert errors_of(result) == [(2, "Adresse mail", "person_email")]


def test_a_new_nominative_account_reuses_an_existing_person(
    structure_a: Structure, alice: User
) -> None:
    run(structure_a, csv_bytes([line("MED", alice.email)]))
    assert Account.objects.get(email=alice.email).user == alice


def _obligation_cases() -> list[tuple[str, str, str]]:
    cases = []
    for spec in FIELDS:
        for kind in TYPES:
            rule = spec.rule(kind)
            if rule in (Rule.O, Rule.NC) and spec.key not in {"type", "email", "structure"}:
                cases.append((spec.key, kind, rule.value))
    return cases


NC_SAMPLE = {
    "rpps": factories.rpps(5),
    "adeli": factories.adeli(5),
    "diploma": "DE01",
    "resp_structure_id_type": "FINESS",
    "resp_structure_id": factories.finess(5),
    "resp_last_name": "MARTIN",
    "resp_first_name": "Paul",
    "resp_profession": "10",
    "resp_identifier": factories.rpps(6),
    "description": "Boîte",
    "civility": "DR",
    "mssante_particle": "jean.dupont",
    "connection_accounts": "x@ch-a.fr",
    "return_address": "retour@x.fr",
    "alias": "alias",
}


@pytest.mark.parametrize(("key", "kind", "rule"), _obligation_cases())
def test_each_column_obligation_of_each_type(
    structure_a: Structure, key: str, kind: str, rule: str
) -> None:
    """Each O column left empty, each NC column filled: the line is rejected on it."""
    data = line(kind, f"{kind.lower()}@ch-a.fr")
    if kind == "ORG":
        data["connection_accounts"] = "per@ch-a.fr"
    data[key] = "" if rule == "O" else NC_SAMPLE.get(key, "valeur")
    lines = [data, line("PER", "per@ch-a.fr")]
    result = run(structure_a, csv_bytes(lines), dry_run=True)
    header = next(spec.header for spec in FIELDS if spec.key == key)
    codes = {(p.line, p.column, p.code) for p in result.problems if p.is_error}
    if key == "region" and rule == "O":
        assert (2, header, "derived") not in codes  # derived from the department
        return
    expected = "required" if rule == "O" else "not_concerned"
    assert (2, header, expected) in codes


@pytest.mark.parametrize(
    ("column", "written", "stored"),
    [
        ("department", "Bouches-du-Rhône", "13"),
        ("department", "13", "13"),
        ("profession", "Médecin", "10"),
        ("liberal", "O", True),
        ("liberal", "non", False),
        ("liberal", "OUI", True),
        ("resp_structure_id_type", "1", "FINESS"),
        ("resp_structure_id_type", "2", "SIREN"),
        ("expiry_date", "26-12-31", date(2026, 12, 31)),
        ("expiry_date", "31/12/2026", date(2026, 12, 31)),
    ],
)
def test_predefined_lists_and_formats(
    structure_a: Structure, column: str, written: str, stored: object
) -> None:
    data = line("INT", "i@ch-a.fr", region="")
    if column == "resp_structure_id_type" and written == "2":
        data["resp_structure_id"] = factories.siren(7)
    data[column] = written
    if column == "profession":
        data["civility"] = "DR"  # an INT Médecin needs it
    result = run(structure_a, csv_bytes([data]))
    assert errors_of(result) == []
    assert getattr(Account.objects.get(email="i@ch-a.fr"), column) == stored


def test_spreadsheet_values_are_passed_raw(structure_a: Structure) -> None:
    """XLSX numbers and dates: phone without its 0, postal code 4 digits, Excel date."""
    data = line(
        "PER",
        "p@ch-a.fr",
        phone1=612345678,
        postal_code=1000,
        city="BOURG EN BRESSE",
        department="01",
        region="84",
        rpps=int(factories.rpps(9)),
        expiry_date=datetime(2027, 1, 15),  # noqa: DTZ001 - a spreadsheet date
    )
    result = run(structure_a, xlsx_bytes([data]))
    assert errors_of(result) == []
    account = Account.objects.get(email="p@ch-a.fr")
    assert account.phone1 == "0612345678"
    assert account.postal_code == "01000"
    assert account.expiry_date == date(2027, 1, 15)


def test_blank_lines_are_ignored_and_line_numbers_kept(structure_a: Structure) -> None:
    lines = [line("MED", "a@ch-a.fr"), {}, line("MED", "b@ch-a.fr", postal_code="1")]
    result = run(structure_a, csv_bytes(lines))
    assert errors_of(result) == [(4, "CP", "postal_code")]


def test_options_visible_and_notify(
    structure_a: Structure, smtp_sink: Any, django_capture_on_commit_callbacks: Any
) -> None:
    lines = [line("PER", "p@ch-a.fr"), line("APP", "app@ch-a.fr")]
    with django_capture_on_commit_callbacks(execute=True):
        result = run(structure_a, csv_bytes(lines), notify=True, visible=True)
    assert result.created == 2
    assert Account.objects.filter(visible=True).count() == 2
    received = smtp_sink.wait_for("p@ch-a.fr")
    assert received is not None
    assert AuditEvent.objects.filter(action="identity.invitation_sent").count() == 1


def test_dry_run_writes_nothing(structure_a: Structure) -> None:
    events = AuditEvent.objects.count()
    result = run(structure_a, csv_bytes([line("MED")]), dry_run=True)
    assert result.created == 1
    assert Account.objects.count() == 0 and AuditEvent.objects.count() == events


def test_import_audit_keeps_the_chain_valid(structure_a: Structure) -> None:
    lines = [line("MED", f"m{i}@ch-a.fr") for i in range(30)]
    result = run(structure_a, csv_bytes(lines))
    creates = AuditEvent.objects.filter(action="account.create", detail__import=result.import_id)
    assert creates.count() == 30
    summary = AuditEvent.objects.get(action="loadusers.import")
    assert summary.detail["created"] == 30
    assert verify_chain().ok


@pytest.mark.parametrize("kind", TYPES)
def test_import_gives_the_same_account_as_create_account(structure_a: Structure, kind: str) -> None:
    extra = {"connection_accounts": "per@ch-a.fr"} if kind == "ORG" else {}
    person = line("PER", "per@ch-a.fr")
    data = line(kind, "imported@ch-a.fr", **extra)
    run(structure_a, csv_bytes([person, data]))
    imported = Account.objects.get(email="imported@ch-a.fr")
    by_hand = create_account(
        cli_context(), structure_a, {**data, "email": "byhand@ch-a.fr"}
    ).account
    mine, theirs = stored_values(imported), stored_values(by_hand)
    assert mine.pop("email") != theirs.pop("email")
    # An empty « MSSanté adresse »: generated by the import (not MED), as « + » would.
    generated = {"MED": "", "ORG": "secretariat.du.service", "APP": "secretariat.du.service"}
    # « jeanne.dupont » went to the person line above (first in the file).
    assert mine.pop("mssante_particle") == generated.get(kind, "jeanne.dupont2")
    assert theirs.pop("mssante_particle") == ""
    assert mine == theirs
    assert (imported.state, imported.visible, imported.is_test) == (
        by_hand.state,
        by_hand.visible,
        by_hand.is_test,
    )
    assert (imported.user is None) == (by_hand.user is None)
    assert list(imported.connection_links.values_list("account__email", flat=True)) == list(
        by_hand.connection_links.values_list("account__email", flat=True)
    )


def test_import_update_matches_update_account(structure_a: Structure) -> None:
    one = factories.make_account(structure_a, "PER", "one@ch-a.fr")
    two = factories.make_account(structure_a, "PER", "two@ch-a.fr", rpps=factories.rpps())
    change = {"city": "nice", "department": "06", "phone1": "06 12 34 56 78"}
    update_account(cli_context(), one, change)
    file_line = {**stored_values(two), "liberal": "NON", **change, "region": ""}  # re-derived
    result = run(structure_a, csv_bytes([file_line]))
    assert result.updated == 1, result.problems
    one.refresh_from_db()
    two.refresh_from_db()
    for key in ("city", "department", "region", "phone1"):
        assert getattr(one, key) == getattr(two, key)


def test_a_file_that_moves_an_account_keeps_the_console_s_region_rule(
    structure_a: Structure,
) -> None:
    """Department changed, region column left as it was: the region follows the
    department, as `update_account` does (one rule: accounts.values.derive_region)."""
    one = factories.make_account(structure_a, "PER", "one@ch-a.fr")
    two = factories.make_account(structure_a, "PER", "two@ch-a.fr", rpps=factories.rpps())
    change = {"city": "nice", "department": "06", "region": one.region}
    update_account(cli_context(), one, change)
    file_line = {**stored_values(two), "liberal": "NON", **change, "region": two.region}
    result = run(structure_a, csv_bytes([file_line]))
    assert result.updated == 1, result.problems
    one.refresh_from_db()
    two.refresh_from_db()
    assert one.region == two.region == "93"  # Provence-Alpes-Côte d'Azur


@pytest.mark.parametrize(
    ("kind", "overrides", "column"),
    [
        ("PER", {"rpps": "", "adeli": ""}, "RPPS"),
        ("INT", {"profession": "93"}, "Diplôme"),  # médico-social profession
        ("INT", {"profession": "10", "civility": ""}, "Civilité exercice"),
        ("MED", {"apicrypt_address": "jdupont", "apicrypt_specialty": ""}, "Apicrypt spécialité"),
    ],
)
def test_conditional_obligations(
    structure_a: Structure, kind: str, overrides: dict[str, str], column: str
) -> None:
    result = run(structure_a, csv_bytes([line(kind, "x@ch-a.fr", **overrides)]), dry_run=True)
    assert (2, column, "required_if") in errors_of(result)


CELL = st.one_of(
    st.text(max_size=30),
    st.sampled_from(["PER", "INT", "ORG", "MED", "APP", "OUI", "N", "75", "=1+1", "'+3"]),
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(st.lists(st.lists(CELL, min_size=len(ALL), max_size=len(ALL)), max_size=5))
def test_arbitrary_cells_give_a_report(structure_a: Structure, rows: list[list[str]]) -> None:
    """Any cell values under the real headers: counts and a report, never a crash."""
    lines = [dict(zip(ALL, row, strict=True)) for row in rows]
    try:
        data = csv_bytes(lines)
    except UnicodeEncodeError:
        return  # surrogates cannot even be written to a file
    try:
        result = run(structure_a, data, dry_run=True)
    except FileRefused as exc:  # e.g. a NUL character: not a text file
        assert exc.message
        return
    total = result.created + result.updated + result.unchanged + result.rejected
    filled = [row for row in rows if any(c.strip() for c in row)]
    assert total == len(filled)
    for problem in result.problems:
        assert problem.message and problem.line >= 1


# --- security review C1: lines never bind a login with rights outside the importer's scope ---


@pytest.mark.parametrize("kind", factories.VICTIM_KINDS)
@pytest.mark.parametrize("mailbox_type", ["MED", "APP"])
def test_a_line_never_binds_a_login_with_rights_elsewhere(
    structure_a: Structure, structure_b: Structure, alice: User, kind: str, mailbox_type: str
) -> None:
    victim = factories.make_victim(kind, structure_b)
    lines = [line(mailbox_type, victim.email), line("MED", "ok@ch-a.fr")]
    result = run(structure_a, csv_bytes(lines), Context(user=alice), notify=True)
    assert errors_of(result) == [(2, "Adresse mail", "unavailable")]
    message = next(p.message for p in result.problems if p.is_error)
    assert "ne peut pas être utilisée pour ce compte" in message
    assert "Clinique B" not in message and "adresse de connexion" not in message
    assert result.created == 1
    assert not Account.objects.filter(structure=structure_a, email=victim.email).exists()
    victim.refresh_from_db()
    assert victim.is_active


def test_a_line_binds_a_login_whose_rights_are_in_scope(
    structure_a: Structure, alice: User
) -> None:
    colleague = factories.make_admin(structure_a, "co-admin@ch-a.fr")
    result = run(structure_a, csv_bytes([line("MED", colleague.email)]), Context(user=alice))
    assert errors_of(result) == []
    assert Account.objects.get(email=colleague.email).user == colleague


def test_a_line_gives_no_second_mailbox_to_a_person(structure_a: Structure, alice: User) -> None:
    first = factories.make_account(structure_a, "MED", "un@ch-a.fr")
    assert first.user is not None
    first.user.email = "login@ch-a.fr"
    first.user.save()
    result = run(structure_a, csv_bytes([line("PER", "login@ch-a.fr")]), Context(user=alice))
    assert errors_of(result) == [(2, "Adresse mail", "has_mailbox")]
    assert not Account.objects.filter(email="login@ch-a.fr").exists()


def test_a_deleted_accounts_address_is_refused_and_the_tombstone_untouched(
    structure_a: Structure,
) -> None:
    tombstone = factories.make_account(structure_a, "MED", "gone@ch-a.fr", city="LYON")
    Account.objects.filter(pk=tombstone.pk).update(state=AccountState.DELETED)
    result = run(structure_a, csv_bytes([line("MED", "gone@ch-a.fr", city="NICE")]))
    assert errors_of(result) == [(2, "Adresse mail", "deleted_account")]
    assert "compte supprimé" in result.problems[0].message
    tombstone.refresh_from_db()
    assert (tombstone.state, tombstone.city) == (AccountState.DELETED, "LYON")
