"""« Activité structure » in Chromium: the charts are drawn, the tables open, a CSV
downloads."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone

from caducee.accounts.models import Account
from caducee.loadusers.models import ImportJob, JobStatus
from caducee.people.models import User
from caducee.stats.snapshots import take_snapshot
from caducee.structures.models import Structure
from tests import factories
from tests.browser.conftest import login
from tests.conftest import PASSWORD


@pytest.mark.browser
def test_the_admin_reads_the_charts_and_downloads_a_table(
    live_server: Any, page: Any, alice: User, structure_a: Structure, tmp_path: Path
) -> None:
    now = timezone.now()
    for n in range(3):
        account = factories.make_account(structure_a, "MED")
        Account.objects.filter(pk=account.pk).update(
            last_login_at=now if n else None, expiry_date=(now + timedelta(days=9)).date()
        )
        take_snapshot(now - timedelta(weeks=3 - n))
    ImportJob.objects.create(
        structure=structure_a,
        actor_label=alice.email,
        file_name="agents.xlsx",
        status=JobStatus.DONE,
        created=12,
        updated=4,
    )
    login(page, live_server.url, alice.email, PASSWORD)
    page.goto(f"{live_server.url}{reverse('console:structure', args=[structure_a.pk])}")
    with page.expect_navigation():
        page.click("nav.side >> text=Activité structure")
    assert page.locator("h1").inner_text() == "Activité structure"
    charts = page.locator("svg.chart")
    assert charts.count() == 5
    for i in range(5):
        box = charts.nth(i).bounding_box()
        assert box is not None and box["width"] > 300 and box["height"] > 50  # drawn
    states = page.locator("#graphique-comptes-par-etat-title")
    assert states.inner_html() == "Comptes par état"
    assert page.locator("svg.chart polyline").count() >= 1  # four weeks: lines
    page.screenshot(path=str(tmp_path / "activite.png"), full_page=True)

    page.click("text=Tableau des données : historique des imports")
    imports = page.locator("table:has(caption:text('Historique des imports'))")
    assert imports.is_visible() and "agents.xlsx" in imports.inner_text()

    with page.expect_download() as info:
        page.locator("a[href$='/boites.csv']").click()
    download = info.value
    assert download.suggested_filename == f"activite-{structure_a.pk}-boites.csv"
    saved = tmp_path / "boites.csv"
    download.save_as(str(saved))
    lines = saved.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "Boîtes;Nombre"
    assert "Actives (30 derniers jours);2" in lines and "Expirent dans les 30 jours;3" in lines
