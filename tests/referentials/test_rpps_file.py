"""Reading the PS_LibreAcces_Personne_activite file: columns, usable lines, skip reasons."""

from __future__ import annotations

import io
import re

import pytest

from caducee.core.errors import Invalid
from caducee.referentials.rpps_file import ReadReport, read_activities
from tests.factories import rpps
from tests.referentials.extraction_files import HEADER, line


def _read(text: str) -> tuple[list[tuple[int, str, str, str, str, str]], ReadReport]:
    report = ReadReport()
    rows = [
        (a.line, a.rpps, a.last_name, a.first_name, a.profession_code, a.profession_label)
        for a in read_activities(io.BytesIO(text.encode("utf-8")), report)
    ]
    return rows, report


def test_it_keeps_rpps_lines_and_counts_every_skipped_one() -> None:
    good = rpps(101)
    bad_key = good[:-1] + str((int(good[-1]) + 1) % 10)
    text = "\n".join(
        [
            HEADER,
            line("8" + good, "DUPONT", "Marie", "21", "Pharmacien"),
            line("8" + good, "DUPONT", "Marie", "21", "Pharmacien", city="CASTRES"),
            line("0759124159", "DE RUIJTER", "ISABELLE", "91", "Orthophoniste", kind="0"),
            line("8" + bad_key, "MARTIN", "Paul", "10", "Médecin"),
            line("8" + rpps(102), "", "Paul", "10", "Médecin"),
            line("8" + rpps(103), "DURAND", "Léa", "", ""),
            "8|1|2",
            "",
        ]
    )
    rows, report = _read(text + "\n")
    assert rows == [
        (2, good, "DUPONT", "Marie", "21", "Pharmacien"),
        (3, good, "DUPONT", "Marie", "21", "Pharmacien"),
    ]
    assert report.lines_read == 7  # the empty last line is not a line
    assert report.skipped == {
        "not_rpps": 1,
        "bad_key": 1,
        "empty_name": 1,
        "empty_profession": 1,
        "columns": 1,
    }
    assert report.examples[0] == (
        "ligne 4, colonne « Identification nationale PP » : « 0759124159 » n'est pas un RPPS"
    )
    assert report.examples[1].startswith(
        f"ligne 5, colonne « Identification nationale PP » : « 8{bad_key} » : "
        "Le numéro RPPS est invalide (clé de contrôle fausse)"
    )
    assert report.examples[2] == "ligne 6, colonne « Nom d'exercice » : vide"
    assert report.examples[3] == "ligne 7, colonne « Code profession » : vide"
    assert report.examples[4].startswith("ligne 8 : 3 colonnes, au moins ")


def test_columns_are_found_by_name_whatever_their_order_case_and_bom() -> None:
    header = "\ufeffcode PROFESSION|Prenom d'exercice|NOM D'EXERCICE|Identification nationale PP|"
    text = f"{header}\n21|Marie|DUPONT|8{rpps(104)}|\n"
    rows, report = _read(text)
    assert rows == [(2, rpps(104), "DUPONT", "Marie", "21", "")]
    assert report.lines_skipped == 0


def test_missing_columns_are_named() -> None:
    with pytest.raises(Invalid) as caught:
        _read("Identification nationale PP|Nom d'exercice|Libellé profession|\n")
    assert caught.value.message == (
        "Fichier refusé : colonnes absentes de l'en-tête (ligne 1) : « Prénom d'exercice », "
        "« Code profession ». Est-ce bien le fichier PS_LibreAcces_Personne_activite_*.txt "
        "de l'extraction en libre accès de l'annuaire santé ?"
    )


def test_a_file_with_another_separator_is_refused() -> None:
    with pytest.raises(Invalid, match=re.escape("ne contient pas le séparateur « | »")):
        _read("Identification nationale PP;Nom d'exercice;Prénom d'exercice;Code profession\n")


def test_a_header_that_is_not_utf8_is_refused() -> None:
    report = ReadReport()
    data = "Identification nationale PP|Prénom d'exercice|".encode("latin-1")
    with pytest.raises(Invalid, match="n'est pas en UTF-8"):
        list(read_activities(io.BytesIO(data), report))


def test_a_line_that_is_not_utf8_is_skipped_with_its_number() -> None:
    data = (HEADER + "\n").encode() + line("8" + rpps(105), "HÉLÈNE", "A", "10", "").encode(
        "latin-1"
    )
    report = ReadReport()
    assert list(read_activities(io.BytesIO(data), report)) == []
    assert report.skipped == {"encoding": 1}
    assert report.examples == ["ligne 2 : caractères qui ne sont pas en UTF-8"]


def test_only_rpps_national_identifiers_are_kept() -> None:
    text = "\n".join(
        [
            HEADER,
            line(rpps(106), "SANS", "Préfixe", "10", "", kind=""),  # 11 digits, no "8"
            line("0" + rpps(107)[:10], "ADELI", "Long", "10", "", kind="0"),
            line("3" + rpps(108), "AUTRE", "Type", "10", "", kind="3"),
        ]
    )
    rows, report = _read(text)
    assert rows == []
    assert report.skipped == {"not_rpps": 3}
