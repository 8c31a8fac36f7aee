"""The REST routes of client certificates (issue #17): a partner asks, downloads once,
withdraws; an admin lists and revokes; another structure's admin gets 404."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.serialization import pkcs12
from django.test import Client

from caducee.audit.models import AuditEvent
from caducee.coordination.models import ExternalAccount
from caducee.identity.models import ClientCertificate
from caducee.people.models import User
from tests.helpers import api_headers, run_cli
from tests.identity.conftest import Capture

pytestmark = pytest.mark.usefixtures("partner_ca")


def test_a_partner_asks_downloads_once_and_withdraws(
    gaspard: User, django_capture_on_commit_callbacks: Capture
) -> None:
    client = Client(**api_headers(gaspard))
    with django_capture_on_commit_callbacks(execute=True):
        asked = client.post("/api/v1/me/certificates", content_type="application/json")
    assert asked.status_code == 201, asked.content
    body = asked.json()
    assert len(body["password"]) == 20 and body["certificate"]["downloadable"]
    file = client.get(body["download_url"])
    assert file.status_code == 200 and file["Content-Type"] == "application/x-pkcs12"
    bundle = file.getvalue()
    _, certificate, _ = pkcs12.load_key_and_certificates(bundle, body["password"].encode())
    assert certificate is not None
    again = client.get(body["download_url"])
    assert again.status_code == 422 and "déjà été téléchargé" in again.json()["detail"]
    listed = client.get("/api/v1/me/certificates").json()
    assert [c["serial"] for c in listed] == [body["certificate"]["serial"]]
    assert listed[0]["downloadable"] is False
    cid = body["certificate"]["id"]
    revoked = client.post(
        f"/api/v1/me/certificates/{cid}/revoke",
        {"reason": "ordinateur rendu"},
        content_type="application/json",
    )
    assert revoked.status_code == 200 and revoked.json()["reason"] == "ordinateur rendu"


def test_someone_who_is_not_a_partner_gets_403(alice: User) -> None:
    client = Client(**api_headers(alice))
    refused = client.post("/api/v1/me/certificates", content_type="application/json")
    assert refused.status_code == 403
    assert "partenaires externes" in refused.json()["detail"]


def test_an_admin_lists_and_revokes_another_structure_gets_404(
    gaspard: User, alice: User, bob: User, django_capture_on_commit_callbacks: Capture
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        asked = Client(**api_headers(gaspard)).post(
            "/api/v1/me/certificates", content_type="application/json"
        )
    cid = asked.json()["certificate"]["id"]
    external = ExternalAccount.objects.get(user=gaspard)
    url = f"/api/v1/coordination/external-accounts/{external.pk}/certificates"
    stranger = Client(**api_headers(bob))
    assert stranger.get(url).status_code == 404
    revoke = f"{url}/{cid}/revoke"
    assert stranger.post(revoke, {}, content_type="application/json").status_code == 404
    assert (
        Client(**api_headers(alice))
        .post(f"/api/v1/me/certificates/{cid}/revoke", {}, content_type="application/json")
        .status_code
        == 404
    )  # « mine » routes are the partner's own
    admin = Client(**api_headers(alice))
    assert [c["id"] for c in admin.get(url).json()] == [cid]
    done = admin.post(revoke, {}, content_type="application/json")
    assert done.status_code == 200 and done.json()["revoked_at"]
    event = AuditEvent.objects.get(action="identity.certificate.revoke")
    assert event.actor_id == alice.pk and event.channel == "api"


def test_the_cli_creates_the_ca_once_and_revokes_by_serial(
    capsys: pytest.CaptureFixture[str],
    gaspard: User,
    django_capture_on_commit_callbacks: Capture,
) -> None:
    code, out, _ = run_cli(capsys, "certificates", "init-ca")
    assert code == 0 and "existe déjà" in out  # the fixture made it
    with django_capture_on_commit_callbacks(execute=True):
        asked = Client(**api_headers(gaspard)).post(
            "/api/v1/me/certificates", content_type="application/json"
        )
    serial = asked.json()["certificate"]["serial"]
    code, out, _ = run_cli(capsys, "certificates", "revoke", serial.lower())
    assert code == 0 and serial in out
    assert ClientCertificate.objects.get(serial=serial).revoked_at is not None
