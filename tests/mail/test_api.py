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
from tests.helpers import ctx_for
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


def auth(token: str) -> dict[str, Any]:
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
    from caducee.mail import mime, operations

    operations.send_message(
        ctx_for(user_of(paul), paul),
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


def _send(client: Client, token: str, **fields: Any) -> Any:
    payload = {"mailbox": "labo@ch-a.mssante.fr", "to": ["paul.martin@ch-a.mssante.fr"]}
    payload.update(fields)
    return client.post(
        "/api/v1/mail/messages", payload, content_type="application/json", **auth(token)
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"subject": "a\r\nBcc: x@y.fr"}, "subject"),
        ({"subject": "a\nb"}, "subject"),
        ({"to": ["paul.martin@ch-a.mssante.fr\r\nBcc: x@y.fr"]}, "to"),
        ({"cc": ["paul.martin@ch-a.mssante.fr\nX: y"]}, "cc"),
    ],
)
def test_a_line_break_in_a_header_is_a_422(
    client: Client,
    app_box: Account,
    martine: Account,
    paul: Account,
    fields: dict[str, Any],
    field: str,
) -> None:
    token = issue_token(cli_context(), user_of(martine), "x")
    response = _send(client, token, **fields)
    assert response.status_code == 422, response.content
    body = response.json()
    assert "retour à la ligne" in body["detail"] or "adresse mail valide" in body["detail"]
    assert field in {p["field"] for p in body["problems"]}
    assert not Message.objects.filter(mailbox=paul).exists()


def test_an_attachment_over_the_message_size_is_refused_before_decoding(
    client: Client, app_box: Account, martine: Account, settings: Any
) -> None:
    settings.SMTP_MAX_BYTES = 200_000
    token = issue_token(cli_context(), user_of(martine), "x")
    big = base64.b64encode(b"x" * 300_000).decode()
    response = _send(
        client,
        token,
        subject="Scan",
        attachments=[{"filename": "scan.pdf", "content_base64": big}],
    )
    assert response.status_code == 422
    assert response.json()["detail"].startswith("La pièce jointe « scan.pdf » (0,3 Mo) dépasse")
    assert not Message.objects.exists()


def test_a_message_of_several_megabytes_goes_through_the_json_api(
    client: Client, app_box: Account, martine: Account, paul: Account
) -> None:
    # Over Django's default 2.5 MB in-memory body: the limit follows the message size.
    token = issue_token(cli_context(), user_of(martine), "x")
    pdf = base64.b64encode(b"%PDF" * 1_000_000).decode()
    response = _send(
        client,
        token,
        subject="Imagerie",
        attachments=[{"filename": "irm.pdf", "content_base64": pdf}],
    )
    assert response.status_code == 201, response.content[:300]
    assert Message.objects.get(mailbox=paul).has_attachments


def test_a_request_over_the_body_limit_is_a_413_in_french(
    client: Client, app_box: Account, martine: Account, settings: Any
) -> None:
    token = issue_token(cli_context(), user_of(martine), "x")
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    big = base64.b64encode(b"x" * 20_000).decode()
    response = _send(client, token, attachments=[{"filename": "a", "content_base64": big}])
    assert response.status_code == 413
    assert response.json()["detail"].startswith("La requête dépasse la taille maximale")


def test_every_mail_route_declares_its_statuses(client: Client, db: None) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    routes = {
        (path, method): set(operation["responses"])
        for path, methods in schema["paths"].items()
        if path.startswith("/api/v1/mail/")
        for method, operation in methods.items()
    }
    assert len(routes) == 28  # + GET/PUT /mail/autoreply (issue #18)
    for (path, method), statuses in routes.items():
        assert {"401", "429"} <= statuses, (path, method)
        if "{" in path or not path.endswith(("/mailboxes", "/app-passwords")):
            assert "404" in statuses, (path, method)  # another person's mailbox, message…
        if method != "get":
            assert "403" in statuses, (path, method)  # a read-only token
        if method in {"post", "put", "patch"}:
            assert "422" in statuses, (path, method)
