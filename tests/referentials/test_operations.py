"""`import_rpps_extraction`: load, deduplication, summary, audit, refusals, archive."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from caducee.audit.actions import AuditAction
from caducee.audit.models import AuditEvent
from caducee.core.context import Context, cli_context
from caducee.core.errors import Forbidden, Invalid
from caducee.people.models import User
from caducee.referentials.models import RppsExtraction, RppsProfessional
from caducee.referentials.operations import import_rpps_extraction
from caducee.referentials.rpps_check import RppsStatus, check_professional
from tests.referentials.extraction_files import DUPONT, DURAND, MARTIN, first_file, line, write

pytestmark = pytest.mark.django_db


def test_it_loads_one_row_per_rpps_with_every_profession(tmp_path: Path, operator: User) -> None:
    summary = import_rpps_extraction(Context(user=operator), first_file(tmp_path))
    assert (summary.lines_read, summary.professionals, summary.lines_skipped) == (7, 2, 3)
    assert summary.skipped == {"not_rpps": 1, "bad_key": 1, "columns": 1}
    assert summary.replaced is False
    dupont = RppsProfessional.objects.get(rpps=DUPONT)
    assert (dupont.last_name, dupont.first_name) == ("DUPONT", "Marie")
    assert dupont.profession_map() == {"21": "Pharmacien", "10": "Médecin"}
    extraction = RppsExtraction.objects.get()
    assert extraction.state == RppsExtraction.State.CURRENT
    assert (extraction.lines_read, extraction.professionals, extraction.lines_skipped) == (7, 2, 3)
    text = "\n".join(summary.lines())
    assert "Lignes lues : 7" in text
    assert "Professionnels retenus (un par RPPS) : 2" in text
    assert "  - identifiant qui n'est pas un RPPS (ADELI ou autre) : 1" in text
    assert "ligne 8 : 2 colonnes, au moins 11 attendues" in text


def test_it_is_audited_with_its_figures(tmp_path: Path) -> None:
    import_rpps_extraction(cli_context(), first_file(tmp_path))
    event = AuditEvent.objects.get(action=AuditAction.REFERENTIALS_RPPS_IMPORT)
    assert event.channel == "cli"
    assert event.target_label == "PS_LibreAcces_Personne_activite_202612010000.txt"
    assert event.detail["professionals"] == 2
    assert event.detail["skipped"] == {"not_rpps": 1, "bad_key": 1, "columns": 1}


def test_only_the_operator_loads_it(tmp_path: Path, alice: User) -> None:
    with pytest.raises(Forbidden):
        import_rpps_extraction(Context(user=alice), first_file(tmp_path))
    assert not RppsExtraction.objects.exists()


def test_a_new_extraction_replaces_the_old_one_whole(tmp_path: Path) -> None:
    import_rpps_extraction(cli_context(), first_file(tmp_path))
    second = write(
        tmp_path / "PS_LibreAcces_Personne_activite_202612080000.txt",
        [
            line("8" + MARTIN, "MARTIN", "Jean-Pierre", "10", "Médecin"),
            line("8" + DURAND, "DURAND", "Léa", "50", "Sage-Femme"),
        ],
    )
    summary = import_rpps_extraction(cli_context(), second)
    assert summary.replaced is True
    assert sorted(RppsProfessional.objects.values_list("rpps", flat=True)) == [MARTIN, DURAND]
    states = dict(RppsExtraction.objects.values_list("file_name", "state"))
    assert states == {
        "PS_LibreAcces_Personne_activite_202612010000.txt": "replaced",
        "PS_LibreAcces_Personne_activite_202612080000.txt": "current",
    }
    assert check_professional(DUPONT, "Dupont", "Marie", "21").status == RppsStatus.UNKNOWN
    assert check_professional(DURAND, "Durand", "Léa", "50").status == RppsStatus.VALID


def test_a_refused_file_keeps_the_current_extraction(tmp_path: Path) -> None:
    import_rpps_extraction(cli_context(), first_file(tmp_path))
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("Identification nationale PP|Nom d'exercice|\n8|X|\n", encoding="utf-8")
    with pytest.raises(Invalid, match="« Prénom d'exercice », « Code profession »"):
        import_rpps_extraction(cli_context(), wrong)
    only_adeli = write(tmp_path / "adeli.txt", [line("0759124159", "A", "B", "91", "", kind="0")])
    with pytest.raises(Invalid, match=r"aucun professionnel RPPS utilisable dans adeli\.txt"):
        import_rpps_extraction(cli_context(), only_adeli)
    assert RppsExtraction.objects.get().state == RppsExtraction.State.CURRENT
    assert RppsProfessional.objects.count() == 2


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(Invalid, match=r"Fichier illisible : .*absent\.txt"):
        import_rpps_extraction(cli_context(), tmp_path / "absent.txt")


def test_the_downloaded_archive_is_read_as_is(tmp_path: Path) -> None:
    activity = first_file(tmp_path)
    archive = tmp_path / "PS_LibreAcces_202612010000.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.write(activity, activity.name)
        zf.writestr("PS_LibreAcces_Dipl_AutExerc_202612010000.txt", "x|y|\n")
    summary = import_rpps_extraction(cli_context(), archive)
    assert (summary.lines_read, summary.professionals) == (7, 2)
    other = tmp_path / "autre.zip"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("Extraction_Correspondance_MSSante.txt", "x|y|\n")
    with pytest.raises(Invalid) as caught:
        import_rpps_extraction(cli_context(), other)
    assert caught.value.message == (
        "Archive refusée : autre.zip doit contenir un fichier "
        "PS_LibreAcces_Personne_activite_*.txt, et un seul "
        "(contenu : Extraction_Correspondance_MSSante.txt)."
    )
