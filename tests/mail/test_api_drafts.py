"""Drafts and application passwords over the API: the compose page's « Enregistrer le
brouillon » and the page « Mots de passe d'application »."""

from __future__ import annotations

import base64
from typing import Any

from django.test import Client

from caducee.accounts.models import Account
from caducee.api.tokens import issue_token
from caducee.audit.models import AuditEvent
from caducee.core.context import cli_context
from caducee.mail import mime, operations
from caducee.mail.models import AppPassword, Message
from tests.helpers import api_headers, ctx_for
from tests.mail.conftest import user_of

SECRETARIAT = "secretariat@ch-a.mssante.fr"
MARTINE = "martine.dubois@ch-a.mssante.fr"
PAUL = "paul.martin@ch-a.mssante.fr"


def post(client: Client, url: str, payload: dict[str, Any], headers: dict[str, Any]) -> Any:
    return client.post(url, payload, content_type="application/json", **headers)


def test_a_draft_is_saved_replaced_then_sent_in_a_shared_mailbox(
    client: Client, secretariat: Account, martine: Account, paul: Account
) -> None:
    auth = api_headers(user_of(martine))
    note = base64.b64encode(b"compte rendu").decode()
    saved = post(
        client,
        "/api/v1/mail/drafts",
        {
            "mailbox": SECRETARIAT,
            "to": [PAUL],
            "subject": "Compte rendu",
            "body": "À compléter",
            "attachments": [{"filename": "cr.txt", "content_base64": note}],
        },
        auth,
    )
    assert saved.status_code == 201, saved.content
    first = saved.json()
    assert first["folder"] == "drafts" and first["space"] == "pro"
    draft = Message.objects.get(pk=first["id"])
    assert draft.mailbox == secretariat and draft.has_attachments
    event = AuditEvent.objects.get(action="mail.draft_save")
    assert event.actor == user_of(martine) and event.channel == "api"
    assert event.acting_as == secretariat.email

    replaced = client.put(
        f"/api/v1/mail/drafts/{first['id']}",
        {"mailbox": SECRETARIAT, "to": [PAUL], "subject": "Compte rendu", "body": "Complet"},
        content_type="application/json",
        **auth,
    )
    assert replaced.status_code == 201
    second = replaced.json()["id"]
    assert not Message.objects.filter(pk=first["id"]).exists()
    listing = client.get(f"/api/v1/mail/messages?mailbox={SECRETARIAT}&folder=drafts", **auth)
    assert [m["id"] for m in listing.json()] == [second]

    sent = post(
        client,
        "/api/v1/mail/messages",
        {"mailbox": SECRETARIAT, "to": [PAUL], "subject": "Compte rendu", "draft_id": second},
        auth,
    )
    assert sent.status_code == 201, sent.content
    assert not Message.objects.filter(pk=second).exists()
    assert Message.objects.filter(mailbox=paul, subject="Compte rendu").exists()


def test_another_persons_draft_or_mailbox_is_a_404(
    client: Client, secretariat: Account, martine: Account, paul: Account
) -> None:
    theirs = operations.save_draft(
        ctx_for(user_of(martine), secretariat),
        secretariat,
        mime.Draft(sender="", to=[PAUL], subject="Privé"),
        space="pro",
    )
    auth = api_headers(user_of(paul))
    answers = [
        post(client, "/api/v1/mail/drafts", {"mailbox": SECRETARIAT, "subject": "x"}, auth),
        client.put(
            f"/api/v1/mail/drafts/{theirs.pk}",
            {"mailbox": PAUL, "subject": "x"},
            content_type="application/json",
            **auth,
        ),
        post(
            client,
            "/api/v1/mail/messages",
            {"mailbox": PAUL, "to": [MARTINE], "subject": "x", "draft_id": theirs.pk},
            auth,
        ),
    ]
    assert [a.status_code for a in answers] == [404, 404, 404]
    assert Message.objects.filter(pk=theirs.pk).exists()
    assert not Message.objects.filter(mailbox=paul).exists()


def test_a_message_that_is_no_draft_is_not_replaced(
    client: Client, martine: Account, paul: Account
) -> None:
    operations.send_message(
        ctx_for(user_of(paul), paul),
        paul,
        mime.Draft(sender="", to=[MARTINE], subject="Reçu"),
        space="pro",
    )
    received = Message.objects.get(mailbox=martine, folder="inbox")
    answer = client.put(
        f"/api/v1/mail/drafts/{received.pk}",
        {"mailbox": MARTINE, "subject": "x"},
        content_type="application/json",
        **api_headers(user_of(martine)),
    )
    assert answer.status_code == 404 and answer.json()["detail"] == "Brouillon introuvable."
    assert Message.objects.filter(pk=received.pk).exists()


def test_application_passwords_are_created_listed_and_revoked(
    client: Client, secretariat: Account, martine: Account, paul: Account
) -> None:
    auth = api_headers(user_of(martine))
    created = post(client, "/api/v1/mail/app-passwords", {"label": "Thunderbird"}, auth)
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["label"] == "Thunderbird" and body["login"] == user_of(martine).email
    assert SECRETARIAT in body["senders"] and MARTINE in body["senders"]
    assert operations.check_app_password(user_of(martine).email, body["password"])
    event = AuditEvent.objects.get(action="mail.app_password_create")
    assert event.actor == user_of(martine) and event.channel == "api"

    listing = client.get("/api/v1/mail/app-passwords", **auth).json()
    assert [(p["id"], p["label"]) for p in listing] == [(body["id"], "Thunderbird")]
    assert "password" not in listing[0]  # shown once, at creation
    assert client.get("/api/v1/mail/app-passwords", **api_headers(user_of(paul))).json() == []

    # Paul cannot revoke Martine's.
    other = client.delete(f"/api/v1/mail/app-passwords/{body['id']}", **api_headers(user_of(paul)))
    assert other.status_code == 404
    assert other.json()["detail"] == "Mot de passe d'application introuvable."

    revoked = client.delete(f"/api/v1/mail/app-passwords/{body['id']}", **auth)
    assert revoked.status_code == 204
    assert not operations.check_app_password(user_of(martine).email, body["password"])
    assert AuditEvent.objects.filter(
        action="mail.app_password_revoke", actor=user_of(martine), channel="api"
    ).exists()
    again = client.delete(f"/api/v1/mail/app-passwords/{body['id']}", **auth)
    assert again.status_code == 404


def test_a_read_only_token_creates_no_password_and_saves_no_draft(
    client: Client, martine: Account
) -> None:
    row_secret = operations.create_app_password(
        ctx_for(user_of(martine)), user_of(martine), "Ancien"
    )
    row = AppPassword.objects.get(user=user_of(martine))
    token = issue_token(cli_context(), user_of(martine), "lecture", read_only=True)
    auth: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    answers = [
        post(client, "/api/v1/mail/app-passwords", {"label": "x"}, auth),
        client.delete(f"/api/v1/mail/app-passwords/{row.pk}", **auth),
        post(client, "/api/v1/mail/drafts", {"mailbox": MARTINE, "subject": "x"}, auth),
    ]
    assert [a.status_code for a in answers] == [403, 403, 403]
    assert AppPassword.objects.filter(user=user_of(martine)).count() == 1
    assert operations.check_app_password(user_of(martine).email, row_secret)
    assert not Message.objects.filter(mailbox=martine).exists()
    assert client.get("/api/v1/mail/app-passwords", **auth).status_code == 200
