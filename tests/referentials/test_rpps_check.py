"""`check_professional`: key, presence in the extraction, names, profession."""

from __future__ import annotations

from pathlib import Path

import pytest

from caducee.core.context import cli_context
from caducee.referentials.operations import import_rpps_extraction
from caducee.referentials.rpps_check import RppsStatus, check_professional, same_name
from tests.factories import rpps
from tests.referentials.extraction_files import line, write

pytestmark = pytest.mark.django_db

DUPONT, MARTIN = rpps(401), rpps(402)


@pytest.fixture
def loaded(tmp_path: Path) -> None:
    file = write(
        tmp_path / "PS_LibreAcces_Personne_activite_202612010000.txt",
        [
            line("8" + DUPONT, "DUPONT", "Marie", "21", "Pharmacien"),
            line("8" + MARTIN, "LE GOFF-MARTIN", "JEAN PIERRE", "10", "Médecin"),
            line("8" + MARTIN, "LE GOFF-MARTIN", "JEAN PIERRE", "40", "Chirurgien-Dentiste"),
        ],
    )
    import_rpps_extraction(cli_context(), file)


def test_a_wrong_key_is_refused_with_or_without_an_extraction() -> None:
    bad = DUPONT[:-1] + str((int(DUPONT[-1]) + 1) % 10)
    result = check_professional(bad, "Dupont", "Marie", "21")
    assert result.status == RppsStatus.INVALID_KEY
    assert not result.ok
    assert result.message.startswith("Le numéro RPPS est invalide (clé de contrôle fausse)")
    short = check_professional("1234", "Dupont", "Marie", "21")
    assert short.message == "Le numéro RPPS doit comporter 11 chiffres (4 saisis)."


def test_without_an_extraction_only_the_key_is_checked() -> None:
    result = check_professional(f" {DUPONT} ", "Personne", "Autre", "60")
    assert result.status == RppsStatus.KEY_ONLY
    assert result.ok
    assert result.rpps == DUPONT
    assert "n'est pas chargée" in result.message


@pytest.mark.usefixtures("loaded")
def test_a_matching_professional_is_valid_whatever_case_accents_and_hyphens() -> None:
    assert check_professional(DUPONT, "dupont", "MARIE", "21").status == RppsStatus.VALID
    result = check_professional(MARTIN, "Le Goff Martin", "Jean-Pierre", "40")
    assert result.status == RppsStatus.VALID
    assert result.ok
    assert result.message == f"RPPS {MARTIN} vérifié dans l'annuaire santé."


@pytest.mark.usefixtures("loaded")
def test_an_rpps_absent_from_the_extraction() -> None:
    result = check_professional(rpps(499), "Dupont", "Marie", "21")
    assert result.status == RppsStatus.UNKNOWN
    assert not result.ok
    assert result.message.startswith(f"Le RPPS {rpps(499)} n'est pas dans l'annuaire santé")


@pytest.mark.usefixtures("loaded")
def test_a_name_mismatch_says_whose_number_it_is() -> None:
    result = check_professional(DUPONT, "Durand", "Marie", "21")
    assert result.status == RppsStatus.NAME_MISMATCH
    assert result.problems == (RppsStatus.NAME_MISMATCH,)
    assert result.message == (
        f"Le RPPS {DUPONT} est enregistré au nom de « DUPONT Marie », profession "
        "« Pharmacien » : vérifiez le nom et le prénom d'exercice saisis, ou le numéro RPPS. "
        "Les données de l'annuaire santé se corrigent auprès de votre ordre professionnel."
    )


@pytest.mark.usefixtures("loaded")
def test_a_profession_mismatch_names_both_professions() -> None:
    result = check_professional(DUPONT, "DUPONT", "Marie", "10")
    assert result.status == RppsStatus.PROFESSION_MISMATCH
    assert result.message == (
        f"Le RPPS {DUPONT} est enregistré au nom de « DUPONT Marie », profession "
        "« Pharmacien » : vérifiez la profession choisie (« Médecin »), ou le numéro RPPS. "
        "Les données de l'annuaire santé se corrigent auprès de votre ordre professionnel."
    )
    both = check_professional(MARTIN, "MARTIN", "Jean", "21")
    assert both.problems == (RppsStatus.NAME_MISMATCH, RppsStatus.PROFESSION_MISMATCH)
    assert "professions « Médecin » ou « Chirurgien-Dentiste »" in both.message
    assert "vérifiez le nom et le prénom d'exercice saisis et vérifiez la profession" in (
        both.message
    )


def test_names_are_compared_folded() -> None:
    assert same_name("Hélène  D'Arc", "HELENE D ARC")
    assert same_name("Jean-Pierre", "jean pierre")
    assert not same_name("", "")
    assert not same_name("Jean", "Jeanne")
