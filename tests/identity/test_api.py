"""Identity endpoints of the REST API: reminders and resending one link."""

from __future__ import annotations

from django.test import Client

from caducee.accounts.models import Account
from caducee.people.models import User
from tests.helpers import api_headers
from tests.identity.conftest import Capture
from tests.smtp_sink import SmtpSink


def test_remind_then_read_the_last_reminder(
    client: Client,
    alice: User,
    paula: Account,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    url = f"/api/v1/structures/{paula.structure_id}/reminders"
    assert client.get(f"{url}/last", **api_headers(alice)).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, **api_headers(alice))
    assert response.status_code == 201
    assert [a["email"] for a in response.json()["accounts"]] == [paula.email]
    assert smtp_sink.wait_for(paula.email)
    last = client.get(f"{url}/last", **api_headers(alice)).json()
    assert last["actor"] == alice.email and last["accounts"][0]["email"] == paula.email


def test_resend_one_link(
    client: Client,
    alice: User,
    paula: Account,
    pierre: Account,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/api/v1/accounts/{paula.pk}/finalisation-link", **api_headers(alice)
        )
    assert response.status_code == 200
    assert smtp_sink.wait_for(paula.email)
    refused = client.post(f"/api/v1/accounts/{pierre.pk}/finalisation-link", **api_headers(alice))
    assert refused.status_code == 422 and "préinscrit" in refused.json()["detail"]


def test_it_validates_ownership(client: Client, bob: User, paula: Account) -> None:
    structure_id = paula.structure_id
    assert (
        client.post(f"/api/v1/structures/{structure_id}/reminders", **api_headers(bob)).status_code
        == 404
    )
    assert (
        client.get(
            f"/api/v1/structures/{structure_id}/reminders/last", **api_headers(bob)
        ).status_code
        == 404
    )
    assert (
        client.post(
            f"/api/v1/accounts/{paula.pk}/finalisation-link", **api_headers(bob)
        ).status_code
        == 404
    )
