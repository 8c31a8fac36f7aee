from __future__ import annotations

import pytest

from caducee.referentials import lists
from caducee.referentials.text import fold


def test_departments_and_regions_are_complete() -> None:
    assert len(lists.departments()) == 101
    assert len(lists.regions()) == 18


@pytest.mark.parametrize(
    "value", ["13", "Bouches-du-Rhône", "bouches du rhone", "BOUCHES-DU-RHONE"]
)
def test_department_by_code_or_label(value: str) -> None:
    entry = lists.departments().lookup(value)
    assert entry is not None and entry.code == "13"


def test_department_without_leading_zero() -> None:
    entry = lists.departments().lookup("1")
    assert entry is not None and entry.code == "01"


def test_corsica_and_overseas() -> None:
    assert lists.departments().lookup("2a").code == "2A"  # type: ignore[union-attr]
    assert lists.departments().lookup("La Réunion").code == "974"  # type: ignore[union-attr]


def test_region_of_department() -> None:
    assert lists.region_of_department("81") == "76"


@pytest.mark.parametrize("value", ["10", "Médecin", "medecin", "MÉDECIN"])
def test_profession_by_code_or_label(value: str) -> None:
    entry = lists.professions().lookup(value)
    assert entry is not None and entry.code == "10"


def test_non_health_professions_for_med_accounts() -> None:
    labels = {e.label for e in lists.professions()}
    assert {
        "Secrétaire médical(e)",
        "Personnel administratif",
        "Personnel informatique",
        "Professionnel médico-social",
    } <= labels


def test_unknown_value() -> None:
    assert lists.professions().lookup("astronaute") is None


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("Bouches-du-Rhône", "bouches du rhone"),
        ("  SAINT_DENIS (93) ", "saint denis 93"),
        ("Côtes-d’Armor", "cotes d armor"),
        ("ﬁnistère", "finistere"),  # a compatibility ligature
        ("Straße", "strasse"),
    ],
)
def test_fold_ignores_case_accents_and_separators(value: str, expected: str) -> None:
    assert fold(value) == expected
