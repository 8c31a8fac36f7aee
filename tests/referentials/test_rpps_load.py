"""The load's mechanics: invisible until swapped, batches, interrupted loads, scratch file."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from caducee.core.context import cli_context
from caducee.core.errors import Invalid
from caducee.referentials import rpps_load
from caducee.referentials.models import RppsExtraction, RppsProfessional
from caducee.referentials.operations import import_rpps_extraction
from caducee.referentials.rpps_check import RppsStatus, check_professional, lookup
from tests.factories import rpps
from tests.referentials.extraction_files import DUPONT, DURAND, first_file, line, write

pytestmark = pytest.mark.django_db


def test_a_half_written_extraction_is_invisible(tmp_path: Path) -> None:
    import_rpps_extraction(cli_context(), first_file(tmp_path))
    loading = RppsExtraction.objects.create(file_name="en cours", started_at="2026-12-07T08:00Z")
    rpps_load.write([(loading.pk, DURAND, "DURAND", "Léa", "50=Sage-Femme")])
    rpps_load.write([(loading.pk, DUPONT, "AUTRE", "Nom", "60=Infirmier")])
    assert lookup(DURAND) == (True, None)  # the old extraction answers
    assert check_professional(DUPONT, "DUPONT", "Marie", "21").status == RppsStatus.VALID


def test_no_scratch_file_is_left_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    import_rpps_extraction(cli_context(), first_file(tmp_path))
    wrong = write(tmp_path / "wrong.txt", ["x|y"], header="Identification nationale PP|Nom|")
    with pytest.raises(Invalid):
        import_rpps_extraction(cli_context(), wrong)
    assert list(scratch.iterdir()) == []


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
    import_rpps_extraction(cli_context(), first_file(tmp_path))
    killed.refresh_from_db()
    running.refresh_from_db()
    assert killed.state == RppsExtraction.State.FAILED
    assert running.state == RppsExtraction.State.LOADING  # another load, maybe still going
    assert not RppsProfessional.objects.filter(extraction=killed).exists()
    assert RppsProfessional.objects.filter(extraction=running).count() == 1
