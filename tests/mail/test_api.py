"""APP mailbox through the REST API with a revocable token held by a connection account."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.test import Client

from caducee.accounts.models import Account
from caducee.api.tokens import issue_token, revoke_token
from caducee.audit.models import AuditEvent
from caducee.core.context import cli_context
from caducee.mail.models import Message
from tests import factories
from tests.mail.conftest import user_of


@pytest.fixture
def app_box(structure_a: Any, martine: Account) -> Account:
    """An APP mailbox (software) whose connection account is Martine."""
    from caducee.accounts.models import ConnectionLink

    app = factories.make_account(
        structure_a, "APP", email="labo@ch-a.example.org", mssante_particle="labo"
    )
    ConnectionLink.objects.create(mailbox=app, account=martine)
    return app


def auth(token: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_app_mailbox_sends_and_reads_with_a_token(
    client: Client, app_box: Account, martine: Account, paul: Account
) -> None:
    token = issue_token(cli_context(), user_of(martine), "logiciel du laboratoire")
    boxes = client.get("/api/v1/mail/mailboxes", **auth(token)).json()
    assert "labo@ch-a.mssante.fr" in [b["address"] for b in boxes]
    pdf = base64.b64encode(b"%PDF-1.4 resultat").decode()
    response = client.post(
        "/api/v1/mail/messages",
        {
            "mailbox": "labo@ch-a.mssante.fr",
            "to": ["paul.martin@ch-a.mssante.fr"],
            "subject": "Résultats",
            "body": "Voir pièce jointe.",
            "attachments": [
                {"filename": "../cr.pdf", "content_type": "application/pdf", "content_base64": pdf}
            ],
        },
        content_type="application/json",
        **auth(token),
    )
    assert response.status_code == 201, response.content
    assert response.json()["delivered_inside"] == 1
    sent = Message.objects.get(mailbox=app_box, folder="sent")
    assert sent.sender_person == user_of(martine)
    event = AuditEvent.objects.get(action="mail.send", acting_as=app_box.email)
    assert event.actor == user_of(martine) and event.channel == "api"

    # Paul answers; the software reads the APP inbox.
    from caducee.core.context import Context
    from caducee.mail import mime, operations

    operations.send_message(
        Context(user=user_of(paul), acting_as=paul),
        paul,
        mime.Draft(sender="", to=["labo@ch-a.mssante.fr"], subject="Merci"),
        space="pro",
    )
    listing = client.get("/api/v1/mail/messages?mailbox=labo@ch-a.mssante.fr", **auth(token)).json()
    assert [m["subject"] for m in listing] == ["Merci"]
    detail = client.get(
        f"/api/v1/mail/messages/{listing[0]['id']}?mailbox=labo@ch-a.mssante.fr", **auth(token)
    ).json()
    assert detail["subject"] == "Merci" and detail["seen"] is True  # reading marks it read
    assert AuditEvent.objects.filter(action="mail.read", acting_as=app_box.email).exists()

    gone = client.delete(
        f"/api/v1/mail/messages/{listing[0]['id']}?mailbox=labo@ch-a.mssante.fr", **auth(token)
    )
    assert gone.status_code == 204
    assert Message.objects.get(pk=listing[0]["id"]).folder == "trash"

    revoke_token(cli_context(), user_of(martine), token[:10])
    assert client.get("/api/v1/mail/mailboxes", **auth(token)).status_code == 401


def test_it_validates_ownership(client: Client, app_box: Account, paul: Account) -> None:
    token = issue_token(cli_context(), user_of(paul), "x")
    response = client.get("/api/v1/mail/messages?mailbox=labo@ch-a.mssante.fr", **auth(token))
    assert response.status_code == 404


def test_outside_recipients_are_refused_in_french(
    client: Client, app_box: Account, martine: Account
) -> None:
    token = issue_token(cli_context(), user_of(martine), "x")
    response = client.post(
        "/api/v1/mail/messages",
        {"mailbox": "labo@ch-a.mssante.fr", "to": ["x@gmail.com"], "subject": "s"},
        content_type="application/json",
        **auth(token),
    )
    assert response.status_code == 422
    assert "espace de confiance MSSanté" in response.json()["detail"]
