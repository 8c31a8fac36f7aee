"""Console pages: upload → preview → confirm → report, downloads, ownership (404)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone

from caducee.accounts.models import Account
from caducee.audit.models import AuditEvent
from caducee.loadusers import jobs
from caducee.loadusers.models import ImportJob, JobStatus
from caducee.loadusers.recovery import scheduled
from caducee.people.models import User
from caducee.structures.models import Structure
from caducee.tasks.queues import IMPORTS
from caducee.tasks.worker import run_ready
from tests.helpers import api_headers
from tests.loadusers.builders import csv_bytes, line, xlsx_corners

Capture = Callable[..., Any]


class Poster:
    """POSTs whose tasks (enqueued on commit) then run here, as a worker would run them."""

    def __init__(self, client: Client, capture: Capture) -> None:
        self.client = client
        self.capture = capture

    def post(self, url: str, data: dict[str, Any] | None = None) -> Any:
        with self.capture(execute=True):
            response = self.client.post(url, data or {})
        run_ready([IMPORTS])
        return response

    def upload(self, structure: Structure, data: bytes, **options: str) -> ImportJob:
        url = reverse("loadusers:import", args=[structure.pk])
        upload = SimpleUploadedFile("comptes.csv", data)
        response = self.post(url, {"fichier": upload, **options})
        assert response.status_code == 302
        return ImportJob.objects.latest("pk")


@pytest.fixture
def poster(client: Client, django_capture_on_commit_callbacks: Capture) -> Poster:
    return Poster(client, django_capture_on_commit_callbacks)


def logged(client: Client, user: User) -> Client:
    client.force_login(user)
    return client


def stored(job: ImportJob) -> bool:
    return bool(job.stored_name) and default_storage.exists(job.stored_name)


def test_upload_preview_confirm_report(
    poster: Poster, client: Client, alice: User, structure_a: Structure
) -> None:
    logged(client, alice)
    page = client.get(reverse("loadusers:import", args=[structure_a.pk]))
    assert "Envoyer une notification aux utilisateurs" in page.content.decode()
    data = csv_bytes([line("MED", "m@ch-a.fr"), line("MED", "x@ch-a.fr", postal_code="abc")])
    job = poster.upload(structure_a, data, visible="on")
    assert job.status == JobStatus.PREVIEWED and job.visible and not job.notify
    assert (job.created, job.rejected) == (1, 1)
    assert not Account.objects.exists()
    html = client.get(reverse("loadusers:job", args=[structure_a.pk, job.pk])).content.decode()
    assert "Confirmer l'import" in html and "Code postal" in html
    name = job.stored_name
    assert name.startswith("imports/") and default_storage.exists(name)
    poster.post(reverse("loadusers:job_confirm", args=[structure_a.pk, job.pk]))
    job.refresh_from_db()
    assert job.status == JobStatus.DONE and job.created == 1
    assert job.runs == 1 and job.worker == jobs.worker_id()
    assert not default_storage.exists(name) and not job.stored_name  # kept until the end
    assert Account.objects.get().visible
    event = AuditEvent.objects.get(action="loadusers.import")
    assert (event.actor_label, event.channel) == (alice.email, "web")  # the physical person
    report = client.get(reverse("loadusers:job_report", args=[structure_a.pk, job.pk, "csv"]))
    assert "x@ch-a.fr" in report.content.decode("utf-8-sig")
    xlsx = client.get(reverse("loadusers:job_report", args=[structure_a.pk, job.pk, "xlsx"]))
    assert xlsx.content.startswith(b"PK")
    # confirming twice does nothing more
    again = client.post(reverse("loadusers:job_confirm", args=[structure_a.pk, job.pk]))
    assert again.status_code == 404
    listing = client.get(reverse("loadusers:import", args=[structure_a.pk])).content.decode()
    assert "comptes.csv" in listing


def test_refused_file_is_shown(
    poster: Poster, client: Client, alice: User, structure_a: Structure
) -> None:
    logged(client, alice)
    job = poster.upload(structure_a, b"NOM\r\nX\r\n")
    assert job.status == JobStatus.REFUSED
    page = client.get(reverse("loadusers:job", args=[structure_a.pk, job.pk])).content.decode()
    assert "Adresse mail" in page and "Fichier refusé" in page


@override_settings(CADUCEE_UPLOAD_MAX_MB=1)
def test_too_large_upload(client: Client, alice: User, structure_a: Structure) -> None:
    logged(client, alice)
    url = reverse("loadusers:import", args=[structure_a.pk])
    big = SimpleUploadedFile("big.csv", b"x" * (1024 * 1024 + 1))
    response = client.post(url, {"fichier": big})
    assert response.status_code == 400
    assert "la limite est de 1 Mo" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_progress_endpoint(client: Client, alice: User, structure_a: Structure) -> None:
    logged(client, alice)
    job = ImportJob.objects.create(
        structure=structure_a,
        actor=alice,
        actor_label=alice.email,
        file_name="f.csv",
        status=JobStatus.VALIDATING,
        lines_total=10,
        lines_done=5,
        worker=jobs.worker_id(),
    )
    url = reverse("loadusers:job_progress", args=[structure_a.pk, job.pk])
    response = client.get(url)
    assert "hx-trigger" in response.content.decode() and "5 / 10" in response.content.decode()
    job.status = JobStatus.DONE
    job.save()
    assert client.get(url)["HX-Refresh"] == "true"


def test_old_previews_are_cancelled(
    poster: Poster, client: Client, alice: User, structure_a: Structure
) -> None:
    logged(client, alice)
    job = poster.upload(structure_a, csv_bytes([line("MED")]))
    name = job.stored_name
    assert stored(job)
    ImportJob.objects.filter(pk=job.pk).update(created_at=timezone.now() - timedelta(days=8))
    url = reverse("loadusers:job", args=[structure_a.pk, job.pk])
    client.get(url)
    job.refresh_from_db()
    assert job.status == JobStatus.PREVIEWED and stored(job)  # a GET writes nothing
    scheduled()  # the scheduled job `imports_recovery`
    page = client.get(url).content.decode()
    job.refresh_from_db()
    assert job.status == JobStatus.CANCELLED and not default_storage.exists(name)
    assert "fichier supprimé" in page and "Confirmer" not in page


def test_it_validates_ownership(
    poster: Poster, client: Client, bob: User, alice: User, structure_a: Structure
) -> None:
    logged(client, alice)
    job = poster.upload(structure_a, csv_bytes([line("MED")]))
    client.logout()
    logged(client, bob)
    urls = [
        reverse("loadusers:import", args=[structure_a.pk]),
        reverse("loadusers:export", args=[structure_a.pk, "csv"]),
        reverse("loadusers:export", args=[structure_a.pk, "xlsx"]),
        reverse("loadusers:job", args=[structure_a.pk, job.pk]),
        reverse("loadusers:job_progress", args=[structure_a.pk, job.pk]),
        reverse("loadusers:job_report", args=[structure_a.pk, job.pk, "csv"]),
    ]
    for url in urls:
        assert client.get(url).status_code == 404, url
    confirm = reverse("loadusers:job_confirm", args=[structure_a.pk, job.pk])
    assert client.post(confirm).status_code == 404
    assert not Account.objects.exists()


def test_operator_and_downloads(
    client: Client, operator: User, structure_a: Structure, charlie: User
) -> None:
    logged(client, operator)
    template = client.get(reverse("loadusers:template", args=["xlsx"]))
    assert template.status_code == 200 and template.content.startswith(b"PK")
    assert client.get(reverse("loadusers:template", args=["pdf"])).status_code == 404
    export = client.get(reverse("loadusers:export", args=[structure_a.pk, "csv"]))
    assert b"".join(export.streaming_content).decode("utf-8-sig").startswith("Adresse mail")  # type: ignore[attr-defined]
    client.logout()
    logged(client, charlie)
    assert client.get(reverse("loadusers:template", args=["csv"])).status_code == 404
    client.logout()
    anonymous = client.get(reverse("loadusers:template", args=["csv"]))
    assert anonymous.status_code == 302


def test_actions_partial_links(alice: User, structure_a: Structure) -> None:
    from django.template.loader import render_to_string

    html = render_to_string("loadusers/_actions.html", {"structure": structure_a})
    for text in (
        "Importer une liste d'utilisateurs",
        "Exporter la liste d'utilisateurs au format XLSX",
        "Exporter la liste d'utilisateurs au format CSV",
        "Télécharger le modèle loaduser",
    ):
        assert text in html


def test_a_sheet_bomb_is_a_refused_job(
    poster: Poster, client: Client, alice: User, structure_a: Structure
) -> None:
    """Security issue #11: the two-cell XLSX is refused with its size; nothing aborts."""
    logged(client, alice)
    url = reverse("loadusers:import", args=[structure_a.pk])
    bomb = SimpleUploadedFile("coins.xlsx", xlsx_corners())
    assert poster.post(url, {"fichier": bomb}).status_code == 302
    job = ImportJob.objects.latest("pk")
    assert job.status == JobStatus.REFUSED
    assert "« Comptes » de 1\u202f048\u202f576 lignes × 16\u202f384 colonnes" in job.error
    page = client.get(reverse("loadusers:job", args=[structure_a.pk, job.pk])).content.decode()
    assert "la limite est de 500\u202f001 lignes" in page
    assert not job.stored_name  # deleted from the storage


def test_preview_and_report_show_generated_addresses_and_problems_by_kind(
    poster: Poster, client: Client, alice: User, structure_a: Structure
) -> None:
    logged(client, alice)
    lines = [line("PER", f"p{n}@ch-a.fr", profession="Astronaute") for n in range(3)]
    lines += [
        line("PER", f"ok{n}@ch-a.fr", first_name="Jeanne", last_name="Dupont") for n in (1, 2)
    ]
    job = poster.upload(structure_a, csv_bytes(lines))
    page = reverse("loadusers:job", args=[structure_a.pk, job.pk])
    html = client.get(page).content.decode()
    assert 'Adresses MSSanté à générer</th><td id="count-addresses">2</td>' in html
    assert "<strong>jeanne.dupont2@ch-a.mssante.fr</strong>" in html
    groups = html.index('id="problem-groups"')
    assert groups < html.index("Ligne par ligne") < html.index('class="list problems"')
    assert "<strong>3 lignes</strong>" in html[groups:] and "Astronaute" in html[groups:]
    detail = client.get(
        f"/api/v1/structures/{structure_a.pk}/loadusers/jobs/{job.pk}", **api_headers(alice)
    ).json()
    assert detail["addresses_generated"] == 2 and detail["groups"][0]["count"] == 3
    poster.post(reverse("loadusers:job_confirm", args=[structure_a.pk, job.pk]))
    html = client.get(page).content.decode()
    assert 'Adresses MSSanté générées</th><td id="count-addresses">2</td>' in html
    assert Account.objects.get(email="ok2@ch-a.fr").mssante_particle == "jeanne.dupont2"
