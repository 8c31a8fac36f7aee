"""Each column's obligation for each mailbox type, from the field table itself."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

import pytest

from caducee.accounts.fields import FIELDS, TYPES, Rule
from caducee.accounts.validation import as_text, clean_account
from tests.factories import account_data, finess, rpps

SAMPLE: dict[str, Any] = {
    "email": "x@example.org",
    "last_name": "X",
    "first_name": "Y",
    "rpps": rpps(1),
    "adeli": "759300015",
    "company_name": "CH",
    "service": "Cardio",
    "address1": "1 rue",
    "address2": "Bât B",
    "postal_code": "75012",
    "city": "PARIS",
    "department": "75",
    "region": "11",
    "phone1": "0612345678",
    "phone2": "0612345679",
    "profession": "10",
    "specialty": "SM54",
    "diploma": "DE-ASS",
    "liberal": "NON",
    "type": "PER",
    "resp_structure_id_type": "FINESS",
    "resp_structure_id": finess(1),
    "return_address": "retour@example.org",
    "resp_last_name": "MARTIN",
    "resp_first_name": "Paul",
    "resp_profession": "10",
    "resp_identifier": rpps(2),
    "description": "Secrétariat",
    "civility": "DR",
    "mssante_particle": "jeanne.dupont",
    "apicrypt_address": "jdupont",
    "apicrypt_specialty": "Cardiologie",
    "expiry_date": "30-12-31",
    "alias": "alias",
    "connection_accounts": "a@example.org",
    "structure": "CH",
}


def errors(data: dict[str, Any]) -> dict[str, str]:
    return {p.field: p.code for p in clean_account(data).problems if p.is_error}


CASES = [(spec, kind) for spec in FIELDS for kind in TYPES if spec.key != "type"]


@pytest.mark.parametrize(("spec", "kind"), CASES, ids=[f"{s.key}-{k}" for s, k in CASES])
def test_each_column_obligation_per_type(spec: Any, kind: str) -> None:
    rule = spec.rule(kind)
    base = account_data(kind)
    empty = {**base, spec.key: ""}
    filled = {**base, spec.key: SAMPLE[spec.key]}
    if spec.key == "region":
        empty["department"] = ""  # otherwise the region is derived from the department
    if rule is Rule.O:
        assert errors(empty).get(spec.key) == "required"
        assert spec.key not in errors(filled)
    elif rule is Rule.NC:
        assert errors(filled).get(spec.key) == "not_concerned"
        assert spec.key not in errors(empty)
    elif rule in {Rule.F, Rule.R}:
        assert spec.key not in errors(empty)
        assert spec.key not in errors(filled)
    else:  # OSC: depends on its condition, tested below
        assert spec.key not in errors(filled)


def test_valid_sample_of_every_type() -> None:
    for kind in TYPES:
        cleaned = clean_account(account_data(kind))
        assert cleaned.ok, (kind, cleaned.problems)


def test_per_needs_rpps_or_adeli() -> None:
    data = account_data("PER", rpps="")
    assert errors(data) == {"rpps": "required_if"}
    assert errors({**data, "adeli": "759300015"}) == {}


def test_int_needs_civility_for_doctor_pharmacist_dentist() -> None:
    for profession in ("10", "Pharmacien", "Chirurgien-Dentiste"):
        assert errors(account_data("INT", profession=profession)) == {"civility": "required_if"}
    assert errors(account_data("INT", profession="10", civility="Docteur")) == {}
    assert errors(account_data("INT", profession="60")) == {}


def test_int_needs_diploma_for_medico_social_profession() -> None:
    assert errors(account_data("INT", profession="L13")) == {"diploma": "required_if"}
    assert errors(account_data("INT", profession="L13", diploma="DE-ASS")) == {}


def test_apicrypt_specialty_required_with_address() -> None:
    assert errors(account_data("MED", apicrypt_address="jdupont")) == {
        "apicrypt_specialty": "required_if"
    }


def test_org_needs_responsible_and_description() -> None:
    data = account_data("ORG", resp_last_name="", resp_identifier="", description="")
    assert {"resp_last_name", "resp_identifier", "description"} <= set(errors(data))


def test_org_responsible_identifier_is_an_rpps() -> None:
    assert errors(account_data("ORG", resp_identifier="12345678901")) == {
        "resp_identifier": "identifier"
    }


def test_bad_rpps_message_says_how_to_fix() -> None:
    problems = clean_account(account_data("PER", rpps="10001234567")).problems
    assert any("clé de contrôle" in p.message for p in problems)


def test_safe_normalisations_are_warnings() -> None:
    cleaned = clean_account(
        account_data(
            "PER",
            email="Jeanne.Dupont@Example.org",
            last_name="Dupont",
            city="paris",
            rpps=" ".join([rpps(7)[:3], rpps(7)[3:]]),
            phone1="06 12 34 56 78",
        )
    )
    assert cleaned.ok
    assert cleaned.values["email"] == "jeanne.dupont@example.org"
    assert cleaned.values["last_name"] == "DUPONT"
    assert cleaned.values["city"] == "PARIS"
    assert cleaned.values["rpps"] == rpps(7)
    assert cleaned.values["phone1"] == "0612345678"
    warned = {p.field for p in cleaned.problems if p.severity == "warning"}
    assert {"email", "last_name", "city", "rpps", "phone1"} <= warned


@pytest.mark.parametrize("value", ["13", "Bouches-du-Rhône", "bouches du rhone"])
def test_lists_accept_code_or_label(value: str) -> None:
    cleaned = clean_account(account_data("MED", department=value, region=""))
    assert cleaned.ok
    assert cleaned.values["department"] == "13"
    assert cleaned.values["region"] == "93"


def test_department_region_mismatch() -> None:
    assert errors(account_data("MED", department="13", region="11")) == {"region": "mismatch"}


def test_unknown_type() -> None:
    assert errors(account_data("MED", type="XYZ")) == {"type": "choice"}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("26-12-31", "2026-12-31"),
        ("31/12/2026", "2026-12-31"),
        ("2026-12-31", "2026-12-31"),
        (46387, "2026-12-31"),
    ],
)
def test_expiry_date_formats(value: object, expected: str) -> None:
    cleaned = clean_account(account_data("MED", expiry_date=value))
    assert cleaned.ok, cleaned.problems
    assert cleaned.values["expiry_date"].isoformat() == expected


def test_yes_no_variants() -> None:
    for value, expected in (("OUI", True), ("o", True), ("Non", False), ("N", False)):
        assert clean_account(account_data("MED", liberal=value)).values["liberal"] is expected
    assert errors(account_data("MED", liberal="peut-être")) == {"liberal": "yes_no"}


def test_structure_id_type_codes() -> None:
    cleaned = clean_account(account_data("INT", resp_structure_id_type="1"))
    assert cleaned.values["resp_structure_id_type"] == "FINESS"
    assert errors(account_data("INT", resp_structure_id_type="3")) == {
        "resp_structure_id": "identifier"
    }


class _Shouting(str):
    """A str subclass whose text is not its value: as_text must use str(), not the value."""

    def __str__(self) -> str:
        return self.upper()


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (None, ""),
        ("  Jeanne \t", "Jeanne"),
        ("", ""),
        (612345678.0, "612345678"),
        (612345678, "612345678"),
        (6.5, "6.5"),
        (True, "OUI"),
        (False, "NON"),
        (date(2027, 12, 31), "2027-12-31"),
        (datetime(2027, 12, 31, 10, 5), "2027-12-31"),  # noqa: DTZ001 - naive like XLSX cells
        (_Shouting(" dupont "), "DUPONT"),
    ],
)
def test_as_text_of_cell_values(value: object, expected: str) -> None:
    assert as_text(value) == expected


def test_spreadsheet_cells_clean_like_their_text() -> None:
    cleaned = clean_account(
        account_data(
            "MED",
            email=" Jeanne.Dupont@Example.org ",
            first_name="  Jeanne   Marie ",
            city="  paris \t",
            postal_code=1000.0,
            department=13.0,
            region="  ",
            phone1=612345678.0,  # the original number, not only its text, reaches the parser
            phone2=612345679,
            liberal=None,
            expiry_date=datetime(2027, 12, 31, 10, 5),  # noqa: DTZ001 - naive like XLSX cells
        )
    )
    values = cleaned.values
    assert values["email"] == "jeanne.dupont@example.org"
    assert values["first_name"] == "Jeanne Marie"
    assert values["city"] == "PARIS"
    assert values["postal_code"] == "01000"
    assert (values["department"], values["region"]) == ("13", "93")
    assert (values["phone1"], values["phone2"]) == ("0612345678", "0612345679")
    assert values["liberal"] is None
    assert values["expiry_date"] == date(2027, 12, 31)
    assert type(values["expiry_date"]) is date
    assert [(p.field, p.code, p.severity) for p in cleaned.problems] == [
        ("email", "lowercased", "warning"),
        ("postal_code", "zero_padded", "warning"),
        ("city", "uppercased", "warning"),
        ("phone1", "compacted", "warning"),
        ("phone2", "compacted", "warning"),
        ("region", "derived", "warning"),
        ("liberal", "required", "error"),
    ]


def test_problems_come_in_table_order_after_the_parse_problems() -> None:
    cleaned = clean_account(
        {
            "type": "INT",
            "email": "",
            "rpps": "12345678901",
            "adeli": " ",
            "last_name": "x" * 2101,  # beyond 10 × 150 + 100: not even parsed
            "first_name": "y" * 151,
            "profession": "10",
            "expiry_date": "31/02/2027",
            "connection_accounts": "a@example.org",
            "mssante_particle": "\t",
        }
    )
    assert [(p.field, p.code) for p in cleaned.problems] == [
        ("last_name", "too_long"),
        ("first_name", "too_long"),
        ("rpps", "identifier"),
        ("expiry_date", "date"),
        ("email", "required"),
        ("rpps", "not_concerned"),
        ("postal_code", "required"),
        ("city", "required"),
        ("department", "required"),
        ("region", "required"),
        ("liberal", "required"),
        ("resp_structure_id_type", "required"),
        ("resp_structure_id", "required"),
        ("civility", "required_if"),
        ("connection_accounts", "not_concerned"),
    ]
    assert cleaned.problems[0].message == "« NOM » dépasse 150 caractères."
    assert cleaned.problems[1].message == "« Prénom » dépasse 150 caractères : raccourcissez-le."
    assert cleaned.values["last_name"] == ""


def test_blank_cells_take_the_empty_value_of_their_kind() -> None:
    blank = {spec.key: " \t " for spec in FIELDS}
    first, second = clean_account(blank), clean_account(dict(blank))
    for spec in FIELDS:
        expected: dict[str, object] = {
            "liberal": None,
            "expiry_date": None,
            "connection_accounts": [],
        }
        assert first.values[spec.key] == expected.get(spec.key, ""), spec.key
    assert [(p.field, p.code) for p in first.problems] == [("type", "required")]
    first.values["connection_accounts"].append("x@example.org")
    assert second.values["connection_accounts"] == []  # each line gets its own list


@pytest.mark.parametrize(
    "written", ["Secrétaires médicales", "secrétaire médicale", "Secrétaire médical", "L10"]
)
def test_med_profession_as_the_seeds_write_it(written: str) -> None:
    cleaned = clean_account(account_data("MED", profession=written))
    assert cleaned.ok and cleaned.values["profession"] == "L10"
    assert [p for p in cleaned.problems if p.field == "profession"] == []


def test_every_list_column_accepts_hr_wordings() -> None:
    data = account_data(
        "ORG",
        profession="infirmières",
        specialty="Infirmière de bloc opératoire diplômée d'État",
        resp_profession="médecins",
        department="cotes d armor",
        region="bretagne",
    )
    cleaned = clean_account(data)
    assert cleaned.ok, cleaned.problems
    values = cleaned.values
    assert (values["profession"], values["specialty"], values["resp_profession"]) == (
        "60",
        "SI02",
        "10",
    )
    assert (values["department"], values["region"]) == ("22", "53")
    civility = clean_account(account_data("INT", profession="Médecin", civility="docteurs"))
    assert civility.ok and civility.values["civility"] == "DR"


def test_an_unknown_list_value_suggests_the_nearest_labels() -> None:
    cleaned = clean_account(account_data("PER", specialty="Infirmiére anesthésite"))
    [problem] = [p for p in cleaned.problems if p.field == "specialty"]
    assert (problem.code, problem.value, problem.is_error) == (
        "choice",
        "Infirmiére anesthésite",
        True,
    )
    assert problem.message.startswith(
        "Spécialité « Infirmiére anesthésite » inconnue. Vouliez-vous dire : "
        "« Infirmier anesthésiste diplômé d'État » ? La liste complète"
    )
