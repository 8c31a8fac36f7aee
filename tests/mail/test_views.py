"""Webmail views through Django's test client (the browser tests drive the same pages)."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from caducee.accounts.models import Account
from caducee.accounts.operations import add_delegate
from caducee.core.context import cli_context
from caducee.identity.mailboxes import SESSION_KEY
from caducee.mail import mime, operations
from caducee.mail.models import Message
from tests.helpers import ctx_for
from tests.mail.conftest import user_of

HOSTILE = b"""From: attaquant@medimail.mssante.fr\r
To: martine.dubois@ch-a.mssante.fr\r
Subject: Piege\r
MIME-Version: 1.0\r
Content-Type: text/html; charset=utf-8\r
\r
<p>Bonjour</p><script>alert(1)</script><img src="https://tracker.example/x.png" onerror="alert(2)">
<a href="javascript:alert(3)">lien</a><svg onload="alert(4)"></svg>
<iframe src="https://evil.example"></iframe><div style="background:url(https://t.example/y)">z</div>
<form action="https://evil.example"><input name=p></form>\r
"""


@pytest.fixture
def client_for(client: Client) -> Any:
    def make(account: Account, mailbox: Account | None = None) -> Client:
        client.force_login(user_of(account))
        if mailbox is not None:
            session = client.session
            session[SESSION_KEY] = mailbox.pk
            session.save()
        return client

    return make


def test_hostile_html_is_sanitised_and_scripts_cannot_run(
    client_for: Any, martine: Account
) -> None:
    [row] = operations.deliver_inbound(HOSTILE, [martine])
    response = client_for(martine).get(f"/messagerie/message/{row.pk}/")
    page = response.content.decode()
    assert response.status_code == 200
    body = page.split('<div class="mail-body html">', 1)[1].split("</article>", 1)[0]
    assert "Bonjour" in body
    for bad in (
        "<script",
        "alert(",
        "onerror",
        "onload",
        "javascript:",
        "tracker.example",
        "<iframe",
        "t.example",
        "evil.example",
    ):
        assert bad not in body, bad
    assert "Les images distantes de ce message ont été bloquées." in page
    assert "script-src 'self'" in response["Content-Security-Policy"]


def test_list_search_compose_and_move(client_for: Any, martine: Account, paul: Account) -> None:
    web = client_for(martine)
    response = web.post(
        "/messagerie/pro/nouveau/",
        {"to": "paul.martin@ch-a.mssante.fr", "subject": "Bilan sanguin", "body": "Ci-joint"},
    )
    assert response.status_code == 302
    web = client_for(paul)
    page = web.get("/messagerie/pro/inbox/").content.decode()
    assert "Bilan sanguin" in page and 'class="unread"' in page
    assert "Bilan sanguin" in web.get("/messagerie/pro/inbox/?q=sanguin").content.decode()
    assert "Bilan sanguin" not in web.get("/messagerie/pro/inbox/?q=zzz").content.decode()
    row = Message.objects.get(mailbox=paul)
    web.post("/messagerie/pro/inbox/action/", {"action": "trash", "ids": [row.pk]})
    assert Message.objects.get(pk=row.pk).folder == "trash"


def test_compose_refuses_outside_addresses_in_french(client_for: Any, martine: Account) -> None:
    response = client_for(martine).post(
        "/messagerie/pro/nouveau/", {"to": "jean@gmail.com", "subject": "x", "body": "y"}
    )
    assert response.status_code == 422
    assert "espace de confiance MSSanté" in response.content.decode()


def test_another_mailbox_message_is_404(client_for: Any, martine: Account, paul: Account) -> None:
    [row] = operations.deliver_inbound(HOSTILE, [paul])
    assert client_for(martine).get(f"/messagerie/message/{row.pk}/").status_code == 404


def test_a_person_without_mailbox_gets_a_clear_page(client: Client, charlie: Any) -> None:
    client.force_login(charlie)
    response = client.get("/messagerie/pro/inbox/")
    assert "rattaché à aucune boîte" in response.content.decode()


def test_app_passwords_page_creates_and_revokes(client_for: Any, martine: Account) -> None:
    web = client_for(martine)
    response = web.post("/messagerie/mots-de-passe-application/", {"label": "Thunderbird"})
    assert "Copiez-le maintenant" in response.content.decode()
    row = user_of(martine).app_passwords.get()
    web.post("/messagerie/mots-de-passe-application/", {"revoke": row.pk})
    row.refresh_from_db()
    assert row.revoked_at is not None


def test_app_passwords_page_gives_the_real_sending_settings(
    client_for: Any, martine: Account, secretariat: Account, settings: Any, monkeypatch: Any
) -> None:
    settings.SMTP_HOSTNAME = "mail.ch-a.fr"
    monkeypatch.setenv("CADUCEE_SUBMISSION", "0.0.0.0:587")
    page = client_for(martine).get("/messagerie/mots-de-passe-application/").content.decode()
    assert "<code>mail.ch-a.fr</code>" in page and "<code>587</code>" in page
    assert "STARTTLS" in page and f"<code>{martine.email}</code>" in page
    assert "<code>martine.dubois@ch-a.mssante.fr</code>" in page
    assert "<code>secretariat@ch-a.mssante.fr</code>" in page
    assert "localhost" not in page
    # Issue #18: reading too, with the IMAP server's settings (CADUCEE_IMAP's port).
    assert "peut <strong>envoyer</strong>" in page and "<strong>relever</strong>" in page
    imap = page.split('id="imap-settings"')[1].split("</table>")[0]
    assert "<code>mail.ch-a.fr</code>" in imap and "<code>1143</code>" in imap
    assert f"adresse-de-la-boîte*{user_of(martine).email}" in imap


def test_shared_mailbox_in_use_sends_as_the_org(
    client_for: Any, martine: Account, paul: Account, secretariat: Account
) -> None:
    web = client_for(martine, secretariat)
    page = web.get("/messagerie/pro/inbox/").content.decode()
    assert "secretariat@ch-a.mssante.fr" in page
    web.post(
        "/messagerie/pro/nouveau/",
        {"to": "paul.martin@ch-a.mssante.fr", "subject": "Du secrétariat", "body": "x"},
    )
    sent = Message.objects.get(mailbox=secretariat, folder="sent")
    assert sent.sender_person == user_of(martine)
    assert "secretariat@ch-a.mssante.fr" in Message.objects.get(mailbox=paul).sender


def test_forward_carries_the_attachments(client_for: Any, martine: Account, paul: Account) -> None:
    from caducee.mail import mime, store

    ctx = ctx_for(user_of(paul), paul)
    draft = mime.Draft(
        sender="",
        to=["martine.dubois@ch-a.mssante.fr"],
        subject="Radio",
        attachments=[mime.Attachment("radio.pdf", "application/pdf", b"%PDF radio")],
    )
    operations.send_message(ctx, paul, draft, space="pro")
    received = Message.objects.get(mailbox=martine, folder="inbox")
    web = client_for(martine)
    page = web.get(f"/messagerie/pro/nouveau/?forward={received.pk}").content.decode()
    assert "Pièces jointes transférées : radio.pdf" in page and "Tr : Radio" in page
    web.post(
        "/messagerie/pro/nouveau/",
        {
            "to": "paul.martin@ch-a.mssante.fr",
            "subject": "Tr : Radio",
            "body": "Pour avis",
            "forward_of": received.pk,
        },
    )
    forwarded = Message.objects.get(mailbox=paul, folder="inbox")
    parsed = mime.parse(store.read(forwarded.path))
    assert [(a.filename, a.data) for a in parsed.attachments] == [("radio.pdf", b"%PDF radio")]


def test_a_draft_keeps_its_bcc(client_for: Any, martine: Account, paul: Account) -> None:
    web = client_for(martine)
    web.post(
        "/messagerie/pro/nouveau/",
        {
            "to": "paul.martin@ch-a.mssante.fr",
            "bcc": martine.email,
            "subject": "Plus tard",
            "save_draft": "1",
        },
    )
    draft = Message.objects.get(mailbox=martine, folder="drafts")
    page = web.get(f"/messagerie/pro/nouveau/?draft={draft.pk}").content.decode()
    assert f'value="{martine.email}"' in page and "Plus tard" in page


def test_compose_uses_the_directory_autocomplete_and_the_fallback_answers(
    client_for: Any, martine: Account, paul: Account
) -> None:
    from django.urls import reverse

    web = client_for(martine)
    page = web.get("/messagerie/pro/nouveau/").content.decode()
    assert f'data-autocomplete="{reverse("directory:autocomplete")}"' in page
    _list(paul)
    found = web.get("/messagerie/autocompletion/?q=paul").json()["results"]
    assert [r["address"] for r in found] == ["paul.martin@ch-a.mssante.fr"]


def _list(account: Account) -> None:
    """Listed in the directory: visible (saving refreshes its search row)."""
    account.visible = True
    account.save()


def _suggested(web: Client, query: str) -> list[str]:
    found = web.get("/messagerie/autocompletion/", {"q": query}).json()["results"]
    return [r["address"] for r in found]


def test_autocomplete_never_suggests_the_liste_rouge(
    client_for: Any, martine: Account, paul: Account, secretariat: Account
) -> None:
    from caducee.directory.operations import set_red_list

    _list(paul)
    web = client_for(martine)
    assert _suggested(web, "paul") == ["paul.martin@ch-a.mssante.fr"]
    assert _suggested(web, "secretariat") == ["secretariat@ch-a.mssante.fr"]
    set_red_list(cli_context(), paul, True)
    set_red_list(cli_context(), secretariat, True)
    assert _suggested(web, "paul") == []
    assert _suggested(web, "paul.martin@") == []
    assert _suggested(web, "secretariat") == []
    # Same answer as the directory's own autocomplete: one rule, one place.
    directory = web.get("/annuaire/autocompletion/", {"q": "paul"}).json()["results"]
    assert directory == []


def test_autocomplete_never_suggests_unlisted_accounts(
    client_for: Any, martine: Account, paul: Account, outsider: Account
) -> None:
    # Preregistered and created hidden: not in the directory, so not suggested either,
    # by name, by MSSanté address nor by personal email.
    web = client_for(martine)
    for query in ("paul", "martin", "paul.martin@ch-a", "paul.martin@perso", "charles"):
        assert _suggested(web, query) == [], query


def test_a_liste_rouge_address_typed_by_hand_is_delivered(
    client_for: Any, martine: Account, paul: Account
) -> None:
    from caducee.directory.operations import set_red_list

    set_red_list(cli_context(), paul, True)
    response = client_for(martine).post(
        "/messagerie/pro/nouveau/",
        {"to": "paul.martin@ch-a.mssante.fr", "subject": "Avis", "body": "x"},
    )
    assert response.status_code == 302
    assert Message.objects.filter(mailbox=paul, folder="inbox").count() == 1


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("subject", "a\r\nBcc: x@y.fr", "L'objet ne doit pas contenir de retour à la ligne"),
        ("in_reply_to", "<a@b.fr>\r\nBcc: x@y.fr", "L'en-tête In-Reply-To"),
        ("references", "<a@b.fr>\n<c@d.fr>", "L'en-tête References"),
    ],
)
def test_a_line_break_in_a_header_is_a_form_error(
    client_for: Any, martine: Account, paul: Account, field: str, value: str, expected: str
) -> None:
    data = {"to": "paul.martin@ch-a.mssante.fr", "subject": "Objet", "body": "b"}
    data[field] = value
    if field == "references":
        data["in_reply_to"] = "<x@y.fr>"
    response = client_for(martine).post("/messagerie/pro/nouveau/", data)
    assert response.status_code == 422
    assert expected in html.unescape(response.content.decode())
    assert not Message.objects.filter(mailbox=paul).exists()


def test_an_attachment_over_the_message_size_is_refused_unread(
    client_for: Any, martine: Account, paul: Account, settings: Any
) -> None:
    settings.SMTP_MAX_BYTES = 200_000
    big = SimpleUploadedFile("scanner complet.pdf", b"x" * 300_000, "application/pdf")
    response = client_for(martine).post(
        "/messagerie/pro/nouveau/",
        {"to": "paul.martin@ch-a.mssante.fr", "subject": "Scan", "body": "b", "attachments": big},
    )
    assert response.status_code == 422
    page = html.unescape(response.content.decode())
    assert "La pièce jointe « scanner complet.pdf » (0,3 Mo) dépasse la taille maximale" in page
    assert "(message complet : 0,2 Mo au plus)" in page
    assert not Message.objects.exists()  # neither sent nor kept


def test_attachments_over_the_message_size_together_are_refused(
    client_for: Any, martine: Account, settings: Any
) -> None:
    settings.SMTP_MAX_BYTES = 200_000
    files = [SimpleUploadedFile(f"p{n}.pdf", b"x" * 60_000) for n in range(3)]
    response = client_for(martine).post(
        "/messagerie/pro/nouveau/",
        {
            "to": "paul.martin@ch-a.mssante.fr",
            "subject": "S",
            "attachments": files,
            "save_draft": "1",
        },
    )
    assert response.status_code == 422
    assert "Les pièces jointes font ensemble" in html.unescape(response.content.decode())
    assert not Message.objects.exists()


def test_attachments_under_the_message_size_are_sent(
    client_for: Any, martine: Account, paul: Account, settings: Any
) -> None:
    settings.SMTP_MAX_BYTES = 200_000
    files = [SimpleUploadedFile(f"p{n}.pdf", b"%PDF" * 10_000) for n in range(2)]
    response = client_for(martine).post(
        "/messagerie/pro/nouveau/",
        {"to": "paul.martin@ch-a.mssante.fr", "subject": "S", "attachments": files},
    )
    assert response.status_code == 302
    received = Message.objects.get(mailbox=paul)
    assert received.has_attachments and received.size <= 200_000


# --- A delegate in the delegating mailbox (issue #15, point 7) ------------------------------


def _delegation(owner: Account, delegate: Account, right: str) -> Message:

    add_delegate(cli_context(), owner, delegate.email, right)
    draft = mime.Draft(sender="", to=[owner.email], subject="Compte rendu", body="Bonjour")
    operations.send_message(ctx_for(user_of(delegate), delegate), delegate, draft, space="pro")
    return Message.objects.get(mailbox=owner, folder="inbox")


def test_a_read_only_delegate_sees_no_send_delete_or_move_action(
    client_for: Any, martine: Account, paul: Account
) -> None:
    message = _delegation(martine, paul, "lecture")
    client = client_for(paul, martine)
    page = client.get("/messagerie/pro/inbox/").content.decode()
    assert "Boîte ouverte en tant que délégué : Lecture." in page
    for hidden in ("Nouveau message", "Envoyer à la corbeille", "Déplacer", "Nouveau dossier"):
        assert hidden not in page, hidden
    assert "Marquer lu" in page and "Exporter" in page
    page = client.get(f"/messagerie/message/{message.pk}/").content.decode()
    assert "Compte rendu" in page
    for hidden in ("Répondre", "Transférer", "Envoyer à la corbeille", "Déplacer"):
        assert hidden not in page, hidden
    # Sent anyway: a clear refusal, nothing done.
    response = client.post(
        "/messagerie/pro/inbox/action/", {"ids": [message.pk], "action": "trash"}, follow=True
    )
    assert "ne permet pas de supprimer des messages" in html.unescape(response.content.decode())
    assert Message.objects.get(pk=message.pk).folder == "inbox"
    response = client.get(f"/messagerie/pro/nouveau/?reply={message.pk}")
    assert response.status_code == 403
    assert "ne permet pas d'envoyer de message" in html.unescape(response.content.decode())


def test_a_reply_delegate_replies_from_the_webmail(
    client_for: Any, martine: Account, paul: Account
) -> None:
    message = _delegation(martine, paul, "reponse")
    client = client_for(paul, martine)
    page = html.unescape(client.get(f"/messagerie/message/{message.pk}/").content.decode())
    assert "Répondre" in page and "Transférer" not in page
    assert client.get("/messagerie/pro/nouveau/").status_code == 403  # a new message
    form = client.get(f"/messagerie/pro/nouveau/?reply={message.pk}")
    assert "envoyé par vous, au nom de" in form.content.decode()
    response = client.post(
        "/messagerie/pro/nouveau/",
        {
            "to": paul.email,
            "subject": "RE: Compte rendu",
            "body": "Bien reçu",
            "in_reply_to": message.message_id,
        },
    )
    assert response.status_code == 302
    sent = Message.objects.get(mailbox=martine, folder="sent")
    assert sent.sender_person == user_of(paul)
    # The owner sees who sent it.
    page = client_for(martine, martine).get(f"/messagerie/message/{sent.pk}/").content.decode()
    assert "Envoyé par" in page
