"""The one copy of the phone, email, postal code and date rules."""

from __future__ import annotations

from datetime import date

import pytest

from caducee.referentials import cleaning


@pytest.mark.parametrize(
    ("text", "value", "fix"),
    [
        ("0612345678", "0612345678", ""),
        ("06 12 34 56 78", "0612345678", "compacted"),
        ("06.12.34.56.78", "0612345678", "compacted"),
        ("(05) 61-00/00-00", "0561000000", "compacted"),
        ("+33612345678", "+33612345678", ""),
    ],
)
def test_phone(text: str, value: str, fix: str) -> None:
    assert cleaning.phone(text) == (value, fix)


@pytest.mark.parametrize("text", ["06 12 ab", "12345", "+33 6 12 34 56 78 90 12 34"])
def test_phone_refused(text: str) -> None:
    with pytest.raises(cleaning.Rejected) as caught:
        cleaning.phone(text)
    assert caught.value.code == "phone" and text.strip() in caught.value.message
    assert caught.value.problem("phone1").field == "phone1"


def test_phone_from_a_spreadsheet_number_gets_its_zero() -> None:
    assert cleaning.phone("612345678", from_number=True).value == "0612345678"
    assert cleaning.phone("612345678").value == "612345678"


def test_email() -> None:
    assert cleaning.email(" Jean.Martin@CH-A.fr ") == ("jean.martin@ch-a.fr", "lowercased")
    assert cleaning.email("a@b.fr") == ("a@b.fr", "")
    for bad in ("pas une adresse", "a@", "@b.fr", "a b@c.fr"):
        with pytest.raises(cleaning.Rejected):
            cleaning.email(bad)


@pytest.mark.parametrize(
    ("text", "value", "fix"),
    [("75012", "75012", ""), ("75 012", "75012", "compacted"), ("1000", "01000", "zero_padded")],
)
def test_postal_code(text: str, value: str, fix: str) -> None:
    assert cleaning.postal_code(text) == (value, fix)


@pytest.mark.parametrize("text", ["123", "ABCDE", "750123", "７５０１２"])
def test_postal_code_refused(text: str) -> None:
    with pytest.raises(cleaning.Rejected, match="5 chiffres"):
        cleaning.postal_code(text)


@pytest.mark.parametrize(
    "text",
    [
        "2026-12-31",
        "2026-12-31T10:00:00",
        "2026-12-31 10:00",
        "26-12-31",
        "31/12/2026",
        "31/12/26",
        "31-12-2026",
        "31.12.2026",
    ],
)
def test_every_accepted_date_format(text: str) -> None:
    assert cleaning.parse_date(text) == date(2026, 12, 31)


def test_one_digit_days_and_months() -> None:
    assert cleaning.parse_date("1/2/2026") == date(2026, 2, 1)


@pytest.mark.parametrize("text", ["31/02/2026", "2026/12/31", "demain", "31 décembre 2026", ""])
def test_unreadable_dates(text: str) -> None:
    assert cleaning.parse_date(text) is None
    with pytest.raises(cleaning.Rejected) as caught:
        cleaning.clean_date(text)
    assert caught.value.code == "date" and "JJ/MM/AAAA" in caught.value.message
