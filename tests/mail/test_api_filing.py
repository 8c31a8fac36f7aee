"""Filing over the API (folders, move, mark, export, bin), the webmail's list actions and
folder forms: same operations, same checks, the same audit naming the physical person."""

from __future__ import annotations

import io
import zipfile
from typing import Any

import pytest
from django.test import Client

from caducee.accounts.models import Account
from caducee.api.tokens import issue_token
from caducee.audit.models import AuditEvent
from caducee.core.context import cli_context
from caducee.mail import addresses, mime, operations
from caducee.mail.models import Folder, Message
from tests.helpers import api_headers, ctx_for
from tests.mail.conftest import user_of

SECRETARIAT = "secretariat@ch-a.mssante.fr"
MARTINE = "martine.dubois@ch-a.mssante.fr"


def deliver(sender: Account, to: str, subject: str = "Bonjour") -> Message:
    """A message from `sender` to `to`; the copy the recipient's mailbox received."""
    operations.send_message(
        ctx_for(user_of(sender), sender),
        sender,
        mime.Draft(sender="", to=[to], subject=subject),
        space="pro",
    )
    return Message.objects.filter(folder="inbox", subject=subject).latest("id")


def post(client: Client, url: str, payload: dict[str, Any], headers: dict[str, Any]) -> Any:
    return client.post(url, payload, content_type="application/json", **headers)


def test_folders_and_list_actions_in_a_shared_mailbox_are_audited_with_the_person(
    client: Client, secretariat: Account, martine: Account, paul: Account
) -> None:
    first = deliver(paul, SECRETARIAT, "Premier")
    second = deliver(paul, SECRETARIAT, "Second")
    auth = api_headers(user_of(martine))

    created = post(
        client, "/api/v1/mail/folders", {"mailbox": SECRETARIAT, "name": " Factures "}, auth
    )
    assert created.status_code == 201, created.content
    folder = created.json()
    assert folder["name"] == "Factures" and folder["key"] == f"f{folder['id']}"
    event = AuditEvent.objects.get(action="mail.folder_create")
    assert event.actor == user_of(martine) and event.channel == "api"
    assert event.acting_as == secretariat.email

    listing = client.get(f"/api/v1/mail/folders?mailbox={SECRETARIAT}", **auth).json()
    assert {"key": folder["key"], "space": "pro", "name": "Factures", "system": False} | {
        "id": folder["id"]
    } in listing
    assert {"inbox", "trash"} <= {f["key"] for f in listing if f["system"]}

    renamed = client.patch(
        f"/api/v1/mail/folders/{folder['id']}",
        {"mailbox": SECRETARIAT, "name": "Factures 2026"},
        content_type="application/json",
        **auth,
    )
    assert renamed.status_code == 200 and renamed.json()["name"] == "Factures 2026"
    assert AuditEvent.objects.filter(action="mail.folder_rename", actor=user_of(martine)).exists()

    ids = [first.pk, second.pk]
    moved = post(
        client,
        "/api/v1/mail/messages/move",
        {"mailbox": SECRETARIAT, "ids": ids, "folder": folder["key"]},
        auth,
    )
    assert moved.json() == {"count": 2}
    assert set(Message.objects.filter(pk__in=ids).values_list("folder", flat=True)) == {
        folder["key"]
    }
    assert AuditEvent.objects.get(action="mail.move").acting_as == secretariat.email

    marked = post(client, "/api/v1/mail/messages/mark", {"mailbox": SECRETARIAT, "ids": ids}, auth)
    assert marked.json() == {"count": 2}
    assert all(Message.objects.filter(pk__in=ids).values_list("seen", flat=True))
    unread = post(
        client,
        "/api/v1/mail/messages/mark",
        {"mailbox": SECRETARIAT, "ids": [first.pk], "seen": False},
        auth,
    )
    assert unread.json() == {"count": 1} and not Message.objects.get(pk=first.pk).seen
    assert AuditEvent.objects.filter(action="mail.mark", actor=user_of(martine)).count() == 2

    one = client.get(f"/api/v1/mail/export?mailbox={SECRETARIAT}&ids={first.pk}", **auth)
    assert one.status_code == 200 and one["Content-Type"] == "message/rfc822"
    assert b"Subject: Premier" in one.content
    both = client.get(
        f"/api/v1/mail/export?mailbox={SECRETARIAT}&ids={first.pk}&ids={second.pk}", **auth
    )
    assert both["Content-Type"] == "application/zip"
    assert len(zipfile.ZipFile(io.BytesIO(both.content)).namelist()) == 2
    assert AuditEvent.objects.filter(action="mail.export", actor=user_of(martine)).count() == 2

    gone = client.delete(f"/api/v1/mail/folders/{folder['id']}?mailbox={SECRETARIAT}", **auth)
    assert gone.json() == {"count": 2}
    assert not Folder.objects.filter(pk=folder["id"]).exists()
    assert set(Message.objects.filter(pk__in=ids).values_list("folder", flat=True)) == {"trash"}
    assert AuditEvent.objects.filter(action="mail.folder_delete", actor=user_of(martine)).exists()

    emptied = client.delete(f"/api/v1/mail/trash?mailbox={SECRETARIAT}&space=pro", **auth)
    assert emptied.json() == {"count": 2}
    assert not Message.objects.filter(pk__in=ids).exists()
    event = AuditEvent.objects.get(action="mail.empty_trash")
    assert event.actor == user_of(martine) and event.acting_as == secretariat.email


def test_several_messages_go_to_the_bin_then_for_good(
    client: Client, martine: Account, paul: Account
) -> None:
    message = deliver(paul, MARTINE)
    auth = api_headers(user_of(martine))
    body = {"mailbox": MARTINE, "ids": [message.pk]}
    assert post(client, "/api/v1/mail/messages/trash", body, auth).json() == {"count": 1}
    assert Message.objects.get(pk=message.pk).folder == "trash"
    assert post(client, "/api/v1/mail/messages/trash", body, auth).json() == {"count": 1}
    assert not Message.objects.filter(pk=message.pk).exists()


def test_wrong_input_is_a_422_in_french(client: Client, martine: Account, paul: Account) -> None:
    message = deliver(paul, MARTINE)
    auth = api_headers(user_of(martine))
    drafts = post(
        client,
        "/api/v1/mail/messages/move",
        {"mailbox": MARTINE, "ids": [message.pk], "folder": "drafts"},
        auth,
    )
    assert drafts.status_code == 422
    assert drafts.json()["detail"] == "Choisissez un dossier de destination valide."
    system = post(client, "/api/v1/mail/folders", {"mailbox": MARTINE, "name": "Brouillons"}, auth)
    assert system.status_code == 422 and "dossier du système" in system.json()["detail"]
    nothing = post(client, "/api/v1/mail/messages/mark", {"mailbox": MARTINE, "ids": []}, auth)
    assert nothing.status_code == 422
    assert nothing.json()["detail"] == "Sélectionnez au moins un message."
    space = client.delete(f"/api/v1/mail/trash?mailbox={MARTINE}&space=autre", **auth)
    assert space.status_code == 422 and space.json()["detail"] == "Espace inconnu."


def test_another_persons_mailbox_folder_or_message_is_a_404(
    client: Client, secretariat: Account, martine: Account, paul: Account, outsider: Account
) -> None:
    theirs = deliver(paul, SECRETARIAT)
    folder = operations.create_folder(
        ctx_for(user_of(martine), secretariat), secretariat, "pro", "X"
    )
    for account in (paul, outsider):  # no connection to the secretariat; another structure
        auth = api_headers(user_of(account))
        own = addresses.sender_address(account)
        answers = [
            client.get(f"/api/v1/mail/folders?mailbox={SECRETARIAT}", **auth),
            post(client, "/api/v1/mail/folders", {"mailbox": SECRETARIAT, "name": "Y"}, auth),
            client.patch(
                f"/api/v1/mail/folders/{folder.pk}",
                {"mailbox": own, "name": "Y"},
                content_type="application/json",
                **auth,
            ),
            client.delete(f"/api/v1/mail/folders/{folder.pk}?mailbox={own}", **auth),
            post(
                client,
                "/api/v1/mail/messages/move",
                {"mailbox": own, "ids": [theirs.pk], "folder": "sent"},
                auth,
            ),
            post(client, "/api/v1/mail/messages/mark", {"mailbox": own, "ids": [theirs.pk]}, auth),
            post(client, "/api/v1/mail/messages/trash", {"mailbox": own, "ids": [theirs.pk]}, auth),
            client.get(f"/api/v1/mail/export?mailbox={own}&ids={theirs.pk}", **auth),
            client.delete(f"/api/v1/mail/trash?mailbox={SECRETARIAT}", **auth),
        ]
        assert [a.status_code for a in answers] == [404] * len(answers), account
        assert {a.json()["detail"] for a in answers if a["Content-Type"].endswith("json")} <= {
            "Boîte introuvable.",
            "Dossier introuvable.",
            "Message introuvable.",
        }
    assert Folder.objects.get(pk=folder.pk).name == "X"
    assert Message.objects.get(pk=theirs.pk).folder == "inbox"


@pytest.mark.parametrize(
    ("method", "url", "payload"),
    [
        ("post", "/api/v1/mail/folders", {"name": "Y"}),
        ("patch", "/api/v1/mail/folders/{folder}", {"name": "Y"}),
        ("delete", "/api/v1/mail/folders/{folder}?mailbox={box}", None),
        ("post", "/api/v1/mail/messages/move", {"ids": ["{message}"], "folder": "sent"}),
        ("post", "/api/v1/mail/messages/mark", {"ids": ["{message}"]}),
        ("post", "/api/v1/mail/messages/trash", {"ids": ["{message}"]}),
        ("delete", "/api/v1/mail/trash?mailbox={box}", None),
    ],
)
def test_a_read_only_token_is_refused_every_write(
    client: Client,
    martine: Account,
    paul: Account,
    method: str,
    url: str,
    payload: dict[str, Any] | None,
) -> None:
    message = deliver(paul, MARTINE)
    folder = operations.create_folder(ctx_for(user_of(martine), martine), martine, "pro", "X")
    token = issue_token(cli_context(), user_of(martine), "lecture", read_only=True)
    auth: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    url = url.format(folder=folder.pk, box=MARTINE)
    body = None
    if payload is not None:
        body = {"mailbox": MARTINE, **payload}
        if "ids" in body:
            body["ids"] = [message.pk]
    answer = getattr(client, method)(url, body, content_type="application/json", **auth)
    assert answer.status_code == 403
    assert "lecture seule" in answer.json()["detail"]
    assert Message.objects.get(pk=message.pk).folder == "inbox"
    assert Folder.objects.get(pk=folder.pk).name == "X"
    # Reading stays possible: the folders, and an export.
    assert client.get(f"/api/v1/mail/folders?mailbox={MARTINE}", **auth).status_code == 200
    exported = client.get(f"/api/v1/mail/export?mailbox={MARTINE}&ids={message.pk}", **auth)
    assert exported.status_code == 200
