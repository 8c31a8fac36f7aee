"""« Tâches planifiées »: the operator sees every job; anyone else gets the 404 page."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.test import Client, override_settings
from django.urls import reverse
from django.utils.html import escape

from caducee.core.errors import OperationError
from caducee.people.models import User
from caducee.scheduler import lease, runner
from caducee.scheduler.models import JobState
from caducee.scheduler.registry import get
from caducee.tasks.worker import run_ready
from tests.console.conftest import logged_in
from tests.tasks import probe

pytestmark = pytest.mark.django_db


def test_operator_sees_jobs_last_and_next_run_and_error(client: Client, operator: User) -> None:
    runner.run_due("serveur-1:42:abcd")
    JobState.objects.filter(name="purge_mail_queue").update(
        last_error=str(OperationError("Base indisponible.")), last_error_at=None
    )
    lease.acquire("serveur-1:42:abcd")
    page = logged_in(client, operator).get(reverse("console:scheduler"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Tâches planifiées" in html
    for name in ("purge_sessions", "purge_identity", "purge_mail_queue"):
        job = get(name)
        assert job is not None and escape(job.label) in html
    assert "session(s) expirée(s) supprimée(s)" in html
    assert "Base indisponible." in html
    assert "désactivée : CADUCEE_MSSANTE_WHITELIST" in html
    assert "serveur-1:42:abcd" in html
    listing = client.get(reverse("console:structures")).content.decode()
    assert reverse("console:scheduler") in listing


def test_operator_sees_the_task_queues_and_the_last_failures(
    client: Client, operator: User, tmp_path: Path
) -> None:
    probe.record.enqueue(str(tmp_path / "trace"), "en attente")
    with override_settings(TASK_RETRY_ATTEMPTS=1):
        probe.flaky.enqueue(str(tmp_path / "trace"), 5)
        assert run_ready(["default"]) == 2  # the flaky task fails for good
    probe.record.enqueue(str(tmp_path / "trace"), "prête")
    html = logged_in(client, operator).get(reverse("console:scheduler")).content.decode()
    assert "Files de tâches" in html and "Plus ancienne prête depuis" in html
    assert "<td>default</td>\n      <td>1</td>" in html
    assert "Dernières tâches en échec" in html
    assert "tests.tasks.probe.flaky" in html
    assert "ConnectionRefusedError: relais injoignable" in html


def test_page_is_404_for_a_structure_admin(client: Client, alice: User) -> None:
    page = logged_in(client, alice).get(reverse("console:scheduler"))
    assert page.status_code == 404
    assert "purge_sessions" not in page.content.decode()


def test_page_requires_login(client: Client) -> None:
    page = client.get(reverse("console:scheduler"))
    assert page.status_code == 302
