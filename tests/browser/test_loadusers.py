"""Loaduser in Chromium: upload → preview → confirm → progress → report."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from caducee.accounts.models import Account
from caducee.people.models import User
from caducee.structures.models import Structure
from caducee.tasks.queues import IMPORTS
from caducee.tasks.worker import WorkerThread
from tests.browser.conftest import login
from tests.conftest import PASSWORD
from tests.loadusers.builders import csv_bytes, line

LINES = 4000


@pytest.fixture
def imports_worker(live_server: Any) -> Iterator[WorkerThread]:
    """A worker thread on the `imports` queue, as in `caducee serve`."""
    worker = WorkerThread([IMPORTS], interval=0.2)
    worker.start()
    yield worker
    worker.stop()


@pytest.mark.browser
def test_upload_preview_confirm_progress_report(
    live_server: Any,
    imports_worker: WorkerThread,
    page: Any,
    alice: User,
    structure_a: Structure,
    tmp_path: Path,
) -> None:
    lines = [line("MED", f"m{i}@ch-a.fr") for i in range(LINES)]
    lines.append(line("PER", "faux@ch-a.fr", rpps="12345678901"))
    source = tmp_path / "personnel.csv"
    source.write_bytes(csv_bytes(lines))

    login(page, live_server.url, alice.email, PASSWORD)
    page.goto(live_server.url + reverse("console:accounts", args=[structure_a.pk]))
    page.click("summary:has-text('Actions')")
    page.click("text=Importer une liste d'utilisateurs")
    page.set_input_files("#fichier", str(source))
    page.check("#visible")
    page.click("button:has-text('Vérifier le fichier')")

    # The check runs in the background: the progress bar polls until the preview is ready.
    page.wait_for_selector("#progress")
    shown = page.inner_text("#progress")
    assert any(text in shown for text in ("lignes", "Vérification", "En attente de traitement"))
    page.wait_for_selector("text=Aperçu (rien n'a encore été enregistré)", timeout=120_000)
    assert page.inner_text("#count-created") == str(LINES)
    assert page.inner_text("#count-rejected") == "1"
    assert "RPPS" in page.inner_text("table.problems")
    assert not Account.objects.exists()

    page.click('button:has-text("Confirmer l\'import")')
    page.wait_for_selector("text=Import terminé", timeout=120_000)
    assert page.inner_text("#count-created") == str(LINES)
    assert Account.objects.filter(visible=True).count() == LINES
    problems = page.inner_text("table.problems")
    assert "faux@ch-a.fr" in problems and "Erreur" in problems

    with page.expect_download() as download:
        page.click("text=CSV >> nth=-1")
    report = Path(download.value.path()).read_text("utf-8-sig")
    assert "faux@ch-a.fr" in report

    page.click("text=Importer un autre fichier")
    assert "personnel.csv" in page.inner_text("table.imports")


@pytest.mark.browser
def test_preview_counts_generated_addresses_and_groups_problems(
    live_server: Any,
    imports_worker: WorkerThread,
    page: Any,
    alice: User,
    structure_a: Structure,
    tmp_path: Path,
) -> None:
    lines = [line("PER", f"p{n}@ch-a.fr", profession="Astronaute") for n in range(3)]
    lines += [line("PER", f"j{n}@ch-a.fr", first_name="Jeanne", last_name="Dupont") for n in (1, 2)]
    lines.append(line("MED", "m@ch-a.fr"))
    source = tmp_path / "rh.csv"
    source.write_bytes(csv_bytes(lines))

    login(page, live_server.url, alice.email, PASSWORD)
    page.goto(live_server.url + reverse("loadusers:import", args=[structure_a.pk]))
    page.set_input_files("#fichier", str(source))
    page.click("button:has-text('Vérifier le fichier')")
    page.wait_for_selector("text=Aperçu (rien n'a encore été enregistré)", timeout=120_000)
    assert page.inner_text("#count-addresses") == "2"  # the MED line gets none
    sample = page.inner_text("ul.addresses-sample")
    assert "jeanne.dupont@ch-a.mssante.fr" in sample
    assert "jeanne.dupont2@ch-a.mssante.fr" in sample
    group = page.inner_text("#problem-groups tbody tr >> nth=0")
    assert "3 lignes" in group and "Astronaute" in group and "2, 3, 4" in group
    # The groups come before the line-by-line table.
    above = page.locator("#problem-groups").bounding_box()["y"]
    assert above < page.locator("table.problems").bounding_box()["y"]

    page.click('button:has-text("Confirmer l\'import")')
    page.wait_for_selector("text=Import terminé", timeout=120_000)
    assert page.inner_text("#count-addresses") == "2"
    assert "3 lignes" in page.inner_text("#problem-groups")
    assert Account.objects.get(email="j2@ch-a.fr").mssante_particle == "jeanne.dupont2"
