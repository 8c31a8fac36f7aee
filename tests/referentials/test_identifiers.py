from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from stdnum import luhn

from caducee.referentials import identifiers
from caducee.referentials.identifiers import InvalidIdentifier


def with_key(prefix: str) -> str:
    return prefix + luhn.calc_check_digit(prefix)


class TestRpps:
    def test_it_accepts_a_valid_number(self) -> None:
        assert identifiers.validate_rpps("10000000009") == "10000000009"

    def test_it_accepts_the_ans_sandbox_number(self) -> None:
        assert identifiers.validate_rpps("99700427885") == "99700427885"

    def test_it_removes_spaces(self) -> None:
        assert identifiers.validate_rpps("100 000 000 09") == "10000000009"

    def test_it_rejects_a_wrong_key(self) -> None:
        with pytest.raises(InvalidIdentifier, match="clé de contrôle"):
            identifiers.validate_rpps("10001234567")

    def test_it_rejects_wrong_length(self) -> None:
        with pytest.raises(InvalidIdentifier, match="11 chiffres"):
            identifiers.validate_rpps("1000000000")

    def test_it_rejects_letters(self) -> None:
        with pytest.raises(InvalidIdentifier, match="que des chiffres"):
            identifiers.validate_rpps("1000000000A")


class TestAdeli:
    def test_it_accepts_published_number(self) -> None:
        assert identifiers.validate_adeli("789310596") == "789310596"

    def test_it_rejects_wrong_key(self) -> None:
        with pytest.raises(InvalidIdentifier):
            identifiers.validate_adeli("789310597")


class TestFiness:
    @pytest.mark.parametrize(
        "number", ["010780195", "2A0000170", "2B0000020", "750000010", "970112421"]
    )
    def test_it_accepts_real_numbers(self, number: str) -> None:
        assert identifiers.validate_finess(number) == number

    def test_it_upper_cases_corsica(self) -> None:
        assert identifiers.validate_finess("2a0000170") == "2A0000170"

    def test_it_rejects_wrong_key(self) -> None:
        with pytest.raises(InvalidIdentifier):
            identifiers.validate_finess("010780196")


class TestSirenSiret:
    def test_siren(self) -> None:
        assert identifiers.validate_siren("404 833 048") == "404833048"
        with pytest.raises(InvalidIdentifier):
            identifiers.validate_siren("404833049")

    def test_siret(self) -> None:
        assert identifiers.validate_siret("73282932000074") == "73282932000074"
        with pytest.raises(InvalidIdentifier):
            identifiers.validate_siret("73282932000075")

    def test_la_poste(self) -> None:
        assert identifiers.validate_siret("35600000049837") == "35600000049837"


@given(st.text(max_size=30))
def test_validators_never_crash(value: str) -> None:
    for validator in (
        identifiers.validate_rpps,
        identifiers.validate_adeli,
        identifiers.validate_finess,
        identifiers.validate_siren,
        identifiers.validate_siret,
    ):
        try:
            result = validator(value)
        except InvalidIdentifier as exc:
            assert str(exc)
        else:
            assert result.isalnum()


@given(st.from_regex(r"[0-9]{10}", fullmatch=True))
def test_any_rpps_with_its_luhn_key_is_valid(prefix: str) -> None:
    number = with_key(prefix)
    assert identifiers.validate_rpps(number) == number


@given(st.from_regex(r"[0-9]{10}", fullmatch=True), st.integers(1, 9))
def test_changing_one_digit_breaks_the_rpps_key(prefix: str, delta: int) -> None:
    number = with_key(prefix)
    broken = number[:-1] + str((int(number[-1]) + delta) % 10)
    with pytest.raises(InvalidIdentifier):
        identifiers.validate_rpps(broken)


@given(st.from_regex(r"(2A|2B|0[1-9]|[1-9][0-9])[0-9]{6}", fullmatch=True))
def test_any_finess_with_its_key_is_valid(prefix: str) -> None:
    digits = {"2A": "21", "2B": "22"}.get(prefix[:2], prefix[:2]) + prefix[2:]
    if prefix[:2] == "20":
        return
    number = prefix + luhn.calc_check_digit(digits)
    assert identifiers.validate_finess(number) == number
