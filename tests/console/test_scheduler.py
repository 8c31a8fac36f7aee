"""« Tâches planifiées »: the operator sees every job; anyone else gets the 404 page."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from caducee.core.errors import OperationError
from caducee.people.models import User
from caducee.scheduler import lease, runner
from caducee.scheduler.models import JobState
from caducee.scheduler.registry import get
from tests.console.conftest import logged_in

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


def test_page_is_404_for_a_structure_admin(client: Client, alice: User) -> None:
    page = logged_in(client, alice).get(reverse("console:scheduler"))
    assert page.status_code == 404
    assert "purge_sessions" not in page.content.decode()


def test_page_requires_login(client: Client) -> None:
    page = client.get(reverse("console:scheduler"))
    assert page.status_code == 302
