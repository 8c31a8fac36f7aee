"""The console's admin pages over the API: dematerialisation, MSSanté correspondences, the
audit journal, the scheduler status and the loaduser import jobs. Each: it works, another
structure (or a non-operator) answers 404, a read-only token answers 403 on writes."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from caducee.api.tokens import issue_token
from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.audit.models import AuditEvent
from caducee.core.context import cli_context
from caducee.directory.models import MailboxListing
from caducee.directory.operations import assign_mssante_address
from caducee.loadusers import jobs
from caducee.loadusers.models import ImportJob, JobStatus
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories
from tests.directory.helpers import listed_account
from tests.helpers import api_headers

pytestmark = pytest.mark.django_db

JSON = "application/json"


def read_only(user: User) -> dict[str, Any]:
    token = issue_token(cli_context(), user, "lecture", read_only=True)
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_dematerialisation(client: Client, structure_a: Structure, alice: User, bob: User) -> None:
    account = factories.make_account(structure_a, "PER")
    url = f"/api/v1/accounts/{account.pk}/dematerialisation"
    body = {"on": False}  # « zéro papier » is on by default
    assert client.put(url, body, JSON, **api_headers(bob)).status_code == 404
    assert client.put(url, body, JSON, **read_only(alice)).status_code == 403
    ok = client.put(url, body, JSON, **api_headers(alice))
    assert ok.status_code == 200 and ok.json() == {"on": False}
    assert not MailboxListing.objects.get(account=account).dematerialisation
    event = AuditEvent.objects.get(action="directory.dematerialisation")
    assert event.actor == alice and event.channel == "api" and event.detail == {"on": False}


def test_correspondences(client: Client, structure_a: Structure, alice: User, bob: User) -> None:
    with_address = listed_account(structure_a, first_name="Léo", last_name="GIRARD")
    assign_mssante_address(cli_context(), with_address, None)
    listed_account(structure_a, first_name="Anne", last_name="BLANC")
    url = f"/api/v1/structures/{structure_a.pk}/correspondences"
    assert client.get(url, **api_headers(bob)).status_code == 404
    every = client.get(url, **api_headers(alice)).json()
    assert every["total"] == 2 and every["truncated"] is False
    only = client.get(url, {"avec": "oui"}, **api_headers(alice)).json()
    assert [a["mssante"] for a in only["accounts"]] == ["leo.girard@ch-a.mssante.fr"]
    without = client.get(url, {"avec": "non"}, **api_headers(alice)).json()
    assert [a["mssante"] for a in without["accounts"]] == [None]


def test_audit_journal_pages_newest_first(
    client: Client, structure_a: Structure, structure_b: Structure, alice: User, bob: User
) -> None:
    for n in range(55):
        record_event(
            cli_context(), AuditAction.STRUCTURE_UPDATE, structure=structure_a, detail={"n": n}
        )
    record_event(cli_context(), AuditAction.STRUCTURE_UPDATE, structure=structure_b)
    url = f"/api/v1/structures/{structure_a.pk}/audit"
    assert client.get(url, **api_headers(bob)).status_code == 404
    first = client.get(url, **api_headers(alice)).json()
    assert len(first["events"]) == 50 and first["prev_cursor"] is None
    seqs = [e["seq"] for e in first["events"]]
    assert seqs == sorted(seqs, reverse=True)
    assert first["events"][0]["detail"] == {"n": 54}
    rest = client.get(url, {"after": first["next_cursor"]}, **api_headers(alice)).json()
    assert len(rest["events"]) >= 5  # and the events of the fixtures' setup
    assert rest["next_cursor"] is None and max(e["seq"] for e in rest["events"]) < min(seqs)
    back = client.get(url, {"before": rest["prev_cursor"]}, **api_headers(alice)).json()
    assert [e["seq"] for e in back["events"]] == seqs
    # the operator reads every structure's journal
    operator = factories.make_operator()
    assert client.get(url, **api_headers(operator)).status_code == 200


def test_scheduler_status_is_the_operators(client: Client, alice: User) -> None:
    denied = client.get("/api/v1/scheduler", **api_headers(alice))
    assert denied.status_code == 404
    assert denied.json()["detail"] == "Page réservée à l'opérateur de la plateforme."
    data = client.get("/api/v1/scheduler", **api_headers(factories.make_operator())).json()
    assert {"jobs", "lease", "queues", "failed_tasks", "emails_pending"} <= set(data)
    assert all(job["name"] and job["label"] for job in data["jobs"])


def previewed_job(structure: Structure, actor: User) -> ImportJob:
    return ImportJob.objects.create(
        structure=structure,
        actor=actor,
        actor_label=actor.email,
        file_name="f.csv",
        status=JobStatus.PREVIEWED,
        lines_total=2,
        lines_done=2,
        result={
            "problems": [
                {
                    "line": 2,
                    "column": "email",
                    "email": "",
                    "severity": "error",
                    "code": "required",
                    "message": "Adresse mail obligatoire.",
                }
            ]
        },
    )


def test_import_jobs(
    client: Client,
    structure_a: Structure,
    alice: User,
    bob: User,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    queued: list[int] = []
    monkeypatch.setattr(jobs, "enqueue", lambda job_id, **_kw: queued.append(job_id))
    job = previewed_job(structure_a, alice)
    base = f"/api/v1/structures/{structure_a.pk}/loadusers/jobs"
    assert client.get(base, **api_headers(bob)).status_code == 404
    listed = client.get(base, **api_headers(alice)).json()
    assert [j["id"] for j in listed] == [job.pk] and listed[0]["status"] == "previewed"
    detail = client.get(f"{base}/{job.pk}", **api_headers(alice)).json()
    assert detail["problems"][0]["code"] == "required"
    other = f"/api/v1/structures/{structure_a.pk}/loadusers/jobs/{job.pk}"
    assert client.get(other, **api_headers(bob)).status_code == 404
    report = client.get(f"{base}/{job.pk}/report.csv", **api_headers(alice))
    assert report.status_code == 200 and "Adresse mail obligatoire" in report.content.decode()
    assert client.get(f"{base}/{job.pk}/report.pdf", **api_headers(alice)).status_code == 404
    confirm = f"{base}/{job.pk}/confirm"
    assert client.post(confirm, **read_only(alice)).status_code == 403
    ok = client.post(confirm, **api_headers(alice))
    assert ok.status_code == 202 and ok.json()["status"] == "running" and queued == [job.pk]
    twice = client.post(confirm, **api_headers(alice))
    assert twice.status_code == 404
    assert twice.json()["detail"] == "Cet import n'attend pas de confirmation."
