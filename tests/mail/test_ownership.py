"""Every mail URL and API route that names a message, a folder or an application password
answers 404 for one of another person's mailbox; the webmail's folder list costs the same
number of queries whatever the number of messages."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern

from caducee.accounts.models import Account
from caducee.core.context import cli_context
from caducee.mail import mime, operations, urls
from caducee.mail.models import AppPassword, AutoReply, Folder, Message
from tests.helpers import api_headers, client_for, ctx_for
from tests.mail.conftest import user_of

Probe = Callable[[Client, Message, Folder, AppPassword], int]


def _message_of(owner: Account, to: Account) -> Message:
    draft = mime.Draft(
        sender="",
        to=["martine.dubois@ch-a.mssante.fr"],
        subject="Privé",
        body="x",
        attachments=[mime.Attachment("a.pdf", "application/pdf", b"%PDF")],
    )
    operations.send_message(ctx_for(user_of(owner), owner), owner, draft, space="pro")
    return Message.objects.get(mailbox=owner, folder="sent")


# One probe per URL name (a new URL must be added here): the status for paul's objects.
PROBES: dict[str, list[Probe]] = {
    "read": [lambda c, m, f, p: c.get(f"/messagerie/message/{m.pk}/").status_code],
    "attachment": [lambda c, m, f, p: c.get(f"/messagerie/message/{m.pk}/piece/0/").status_code],
    "folder_edit": [
        lambda c, m, f, p: c.post(f"/messagerie/dossiers/{f.pk}/", {"name": "X"}).status_code,
        lambda c, m, f, p: (
            c.post(f"/messagerie/dossiers/{f.pk}/", {"action": "delete"}).status_code
        ),
    ],
    "folder": [lambda c, m, f, p: c.get(f"/messagerie/pro/{f.key}/").status_code],
    "action": [
        lambda c, m, f, p, action=action: (
            c.post("/messagerie/pro/inbox/action/", {"ids": [m.pk], "action": action}).status_code
        )
        for action in ("trash", "read", "export")
    ]
    + [
        lambda c, m, f, p: (
            c.post(
                "/messagerie/pro/inbox/action/",
                {"ids": [m.pk], "action": "move", "target": "inbox"},
            ).status_code
        )
    ],
    "compose": [
        lambda c, m, f, p, key=key: c.get(f"/messagerie/pro/nouveau/?{key}={m.pk}").status_code
        for key in ("reply", "forward", "draft")
    ]
    + [
        lambda c, m, f, p: (
            c.post(
                "/messagerie/pro/nouveau/",
                {"to": "paul.martin@ch-a.mssante.fr", "subject": "s", "forward_of": m.pk},
            ).status_code
        )
    ],
    "app_passwords": [
        lambda c, m, f, p: (
            c.post("/messagerie/mots-de-passe-application/", {"revoke": p.pk}).status_code
        )
    ],
    "settings": [  # another person's mailbox: neither a default nor one to propose on
        lambda c, m, f, p: c.post("/messagerie/parametres/", {"default": m.mailbox_id}).status_code,
        lambda c, m, f, p: (
            c.post(
                "/messagerie/parametres/",
                {"form": "colleague", "mailbox": m.mailbox_id, "email": "x@ch-a.fr"},
            ).status_code
        ),
        lambda c, m, f, p: (  # issue #18: another person's automatic reply
            c.post(
                "/messagerie/parametres/",
                {"form": "autoreply", "mailbox": m.mailbox_id, "enabled": "1", "text": "x"},
            ).status_code
        ),
    ],
}
# URLs that name no object: they only ever act on the person's own mailbox in use.
OWN_ONLY = {"home", "autocomplete", "empty_trash", "folder_create", "manifest"}


def test_every_mail_url_is_covered() -> None:
    names = {p.name for p in urls.urlpatterns if isinstance(p, URLPattern)}
    assert names == set(PROBES) | OWN_ONLY


def test_another_persons_messages_and_folders_are_404(martine: Account, paul: Account) -> None:
    message = _message_of(paul, martine)
    folder = operations.create_folder(ctx_for(user_of(paul), paul), paul, "pro", "Dossier")
    operations.create_app_password(cli_context(), user_of(paul), "client")
    password = AppPassword.objects.get(user=user_of(paul))
    web = client_for(user_of(martine))
    before = Message.objects.filter(mailbox=paul).values_list("pk", "folder", "seen")
    snapshot = list(before)
    for name, probes in PROBES.items():
        for n, probe in enumerate(probes):
            assert probe(web, message, folder, password) == 404, f"{name} #{n}"
    assert list(before) == snapshot  # nothing of paul's moved, read or deleted
    assert Folder.objects.get(pk=folder.pk).name == "Dossier"
    assert AppPassword.objects.get(pk=password.pk).revoked_at is None


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/v1/mail/messages/{id}"),
        ("get", "/api/v1/mail/messages/{id}/eml"),
        ("delete", "/api/v1/mail/messages/{id}"),
        ("post", "/api/v1/mail/messages/{id}/reply"),
        ("post", "/api/v1/mail/messages/{id}/forward"),
    ],
)
def test_the_api_answers_404_for_another_persons_message(
    martine: Account, paul: Account, method: str, path: str
) -> None:
    message = _message_of(paul, martine)
    url = path.format(id=message.pk)
    headers = api_headers(user_of(martine))
    # her own mailbox (the message is not in it), then paul's named explicitly
    for mailbox in ("martine.dubois@ch-a.mssante.fr", "paul.martin@ch-a.mssante.fr"):
        if method == "post":
            body = {"mailbox": mailbox, "to": ["martine.dubois@ch-a.mssante.fr"]}
            response = Client().post(url, body, content_type="application/json", **headers)
        else:
            response = getattr(Client(), method)(f"{url}?mailbox={mailbox}", **headers)
        assert response.status_code == 404, mailbox
    assert Message.objects.filter(pk=message.pk, folder="sent").exists()


def test_the_api_answers_404_for_another_persons_automatic_reply(
    martine: Account, paul: Account
) -> None:
    """Issue #18: `/mail/autoreply` names a mailbox; paul's is not martine's to read or set."""
    headers = api_headers(user_of(martine))
    url = "/api/v1/mail/autoreply"
    assert Client().get(f"{url}?mailbox={paul.email}", **headers).status_code == 404
    body = {"mailbox": "paul.martin@ch-a.mssante.fr", "enabled": True, "text": "Absent"}
    answer = Client().put(url, body, content_type="application/json", **headers)
    assert answer.status_code == 404
    assert not AutoReply.objects.filter(mailbox=paul).exists()


def _fill(mailbox: Account, count: int) -> None:
    for n in range(count):
        operations.store_message(
            mailbox,
            f"From: x{n}@ch-a.mssante.fr\r\nSubject: Message {n}\r\n\r\nTexte\r\n".encode(),
        )


def test_the_folder_list_costs_the_same_queries_for_few_and_many_messages(
    martine: Account, settings: object
) -> None:
    web = client_for(user_of(martine))
    operations.create_folder(ctx_for(user_of(martine), martine), martine, "pro", "Archives")
    _fill(martine, 2)
    web.get("/messagerie/pro/inbox/")  # session, caches
    with CaptureQueriesContext(connection) as few:
        assert web.get("/messagerie/pro/inbox/").status_code == 200
    _fill(martine, 60)
    with CaptureQueriesContext(connection) as many:
        page = web.get("/messagerie/pro/inbox/")
    assert page.status_code == 200 and "Message 59" in page.content.decode()
    assert len(many.captured_queries) == len(few.captured_queries)
