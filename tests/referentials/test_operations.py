"""`import_rpps_extraction`: load, deduplication, summary, audit, atomic replacement."""

from __future__ import annotations

import tempfile
import zipfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from caducee.audit.actions import AuditAction
from caducee.audit.models import AuditEvent
from caducee.core.context import Context, cli_context
from caducee.core.errors import Forbidden, Invalid
from caducee.people.models import User
from caducee.referentials import rpps_load
from caducee.referentials.models import RppsExtraction, RppsProfessional
from caducee.referentials.operations import import_rpps_extraction
from caducee.referentials.rpps_check import RppsStatus, check_professional, lookup
from tests.factories import rpps
from tests.referentials.extraction_files import line, write

pytestmark = pytest.mark.django_db

DUPONT, MARTIN, DURAND = rpps(201), rpps(202), rpps(203)
BAD_KEY = MARTIN[:-1] + str((int(MARTIN[-1]) + 1) % 10)


def _first_file(tmp_path: Path) -> Path:
    return write(
        tmp_path / "PS_LibreAcces_Personne_activite_202612010000.txt",
        [
            line("8" + DUPONT, "DUPONT", "Marie", "21", "Pharmacien"),
            line("8" + DUPONT, "DUPONT", "Marie", "21", "Pharmacien", city="CASTRES"),
            line("8" + DUPONT, "DUPONT", "Marie", "10", "Médecin", city="GAILLAC"),
            line("8" + MARTIN, "MARTIN", "Jean-Pierre", "10", "Médecin"),
            line("0759124159", "DE RUIJTER", "ISABELLE", "91", "Orthophoniste", kind="0"),
            line("8" + BAD_KEY, "X", "Y", "10", ""),
            "8|incomplete",
        ],
    )


def test_it_loads_one_row_per_rpps_with_every_profession(tmp_path: Path, operator: User) -> None:
    summary = import_rpps_extraction(Context(user=operator), _first_file(tmp_path))
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
    import_rpps_extraction(cli_context(), _first_file(tmp_path))
    event = AuditEvent.objects.get(action=AuditAction.REFERENTIALS_RPPS_IMPORT)
    assert event.channel == "cli"
    assert event.target_label == "PS_LibreAcces_Personne_activite_202612010000.txt"
    assert event.detail["professionals"] == 2
    assert event.detail["skipped"] == {"not_rpps": 1, "bad_key": 1, "columns": 1}


def test_only_the_operator_loads_it(tmp_path: Path, alice: User) -> None:
    with pytest.raises(Forbidden):
        import_rpps_extraction(Context(user=alice), _first_file(tmp_path))
    assert not RppsExtraction.objects.exists()


def test_a_new_extraction_replaces_the_old_one_whole(tmp_path: Path) -> None:
    import_rpps_extraction(cli_context(), _first_file(tmp_path))
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


def test_a_half_written_extraction_is_invisible(tmp_path: Path) -> None:
    import_rpps_extraction(cli_context(), _first_file(tmp_path))
    loading = RppsExtraction.objects.create(file_name="en cours", started_at="2026-12-07T08:00Z")
    rpps_load.write([(loading.pk, DURAND, "DURAND", "Léa", "50=Sage-Femme")])
    rpps_load.write([(loading.pk, DUPONT, "AUTRE", "Nom", "60=Infirmier")])
    assert lookup(DURAND) == (True, None)  # the old extraction answers
    assert check_professional(DUPONT, "DUPONT", "Marie", "21").status == RppsStatus.VALID


def test_a_refused_file_keeps_the_current_extraction(tmp_path: Path) -> None:
    import_rpps_extraction(cli_context(), _first_file(tmp_path))
    wrong = tmp_path / "wrong.txt"
    wrong.write_text("Identification nationale PP|Nom d'exercice|\n8|X|\n", encoding="utf-8")
    with pytest.raises(Invalid, match="« Prénom d'exercice », « Code profession »"):
        import_rpps_extraction(cli_context(), wrong)
    only_adeli = write(tmp_path / "adeli.txt", [line("0759124159", "A", "B", "91", "", kind="0")])
    with pytest.raises(Invalid, match=r"aucun professionnel RPPS utilisable dans adeli\.txt"):
        import_rpps_extraction(cli_context(), only_adeli)
    assert RppsExtraction.objects.get().state == RppsExtraction.State.CURRENT
    assert RppsProfessional.objects.count() == 2


def test_no_scratch_file_is_left_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    import_rpps_extraction(cli_context(), _first_file(tmp_path))
    wrong = write(tmp_path / "wrong.txt", ["x|y"], header="Identification nationale PP|Nom|")
    with pytest.raises(Invalid):
        import_rpps_extraction(cli_context(), wrong)
    assert list(scratch.iterdir()) == []


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(Invalid, match=r"Fichier illisible : .*absent\.txt"):
        import_rpps_extraction(cli_context(), tmp_path / "absent.txt")


def test_rows_are_written_and_deleted_in_batches(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(rpps_load, "BATCH", 2)
    people = [rpps(300 + n) for n in range(5)]
    first = write(tmp_path / "a.txt", [line("8" + n, "NOM", "Prénom", "10", "") for n in people])
    assert import_rpps_extraction(cli_context(), first).professionals == 5
    second = write(tmp_path / "b.txt", [line("8" + people[0], "NOM", "Prénom", "10", "")])
    import_rpps_extraction(cli_context(), second)
    assert list(RppsProfessional.objects.values_list("rpps", flat=True)) == [people[0]]


def test_the_rows_of_a_load_interrupted_long_ago_are_deleted(tmp_path: Path) -> None:
    long_ago = timezone.now() - rpps_load.STALE_AFTER - timedelta(minutes=1)
    killed = RppsExtraction.objects.create(file_name="tué", started_at=long_ago)
    running = RppsExtraction.objects.create(file_name="en cours", started_at=timezone.now())
    rpps_load.write([(killed.pk, DURAND, "DURAND", "Léa", "50=Sage-Femme")])
    rpps_load.write([(running.pk, DURAND, "DURAND", "Léa", "50=Sage-Femme")])
    import_rpps_extraction(cli_context(), _first_file(tmp_path))
    killed.refresh_from_db()
    running.refresh_from_db()
    assert killed.state == RppsExtraction.State.FAILED
    assert running.state == RppsExtraction.State.LOADING  # another load, maybe still going
    assert not RppsProfessional.objects.filter(extraction=killed).exists()
    assert RppsProfessional.objects.filter(extraction=running).count() == 1


def test_the_downloaded_archive_is_read_as_is(tmp_path: Path) -> None:
    activity = _first_file(tmp_path)
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
