"""Issue #18 point 4: automatic replies (RFC 3834), set in the webmail settings, the API,
and by the connection accounts of an ORG mailbox; answered over the inbound MTA (smtplib
as another operator) and between the platform's mailboxes."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from datetime import date, timedelta
from email import message_from_bytes
from email.parser import BytesHeaderParser
from email.policy import compat32
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from caducee.accounts.models import Account
from caducee.audit.models import AuditEvent
from caducee.core.errors import Invalid, NotFound
from caducee.mail import autoreply, delivery, mime, operations, smtp_server, store
from caducee.mail.models import AutoReply, AutoReplySent, Message, Outbound
from tests.helpers import api_headers, client_for, ctx_for
from tests.mail.conftest import Pki, free_port, user_of

pytestmark = pytest.mark.django_db(transaction=True)

MARTINE = "martine.dubois@ch-a.mssante.fr"
OWN = {MARTINE}


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    autoreply.forget_active()
    yield
    autoreply.forget_active()


def _headers(text: str) -> Any:
    return BytesHeaderParser(policy=compat32).parsebytes(text.encode() + b"\r\n\r\n")


BASE = "From: dr@medimail.mssante.fr\r\nTo: martine.dubois@ch-a.mssante.fr\r\nSubject: x"


@pytest.mark.parametrize(
    ("extra", "sender", "reason"),
    [
        ("", "dr@medimail.mssante.fr", ""),
        ("\r\nAuto-Submitted: no", "dr@medimail.mssante.fr", ""),
        ("", "", "empty return path"),
        ("", "mailer-daemon@medimail.mssante.fr", "robot sender"),
        ("", "owner-liste@medimail.mssante.fr", "robot sender"),
        ("", "liste-request@medimail.mssante.fr", "robot sender"),
        ("", "martine.dubois@ch-a.mssante.fr", "own address"),
        ("\r\nAuto-Submitted: auto-replied", "dr@medimail.mssante.fr", "auto-submitted message"),
        ("\r\nAuto-Submitted: auto-generated; x", "dr@medimail.mssante.fr", "auto-submitted"),
        ("\r\nPrecedence: bulk", "dr@medimail.mssante.fr", "bulk precedence"),
        ("\r\nPrecedence: junk", "dr@medimail.mssante.fr", "bulk precedence"),
        ("\r\nList-Id: <cardio.medimail.mssante.fr>", "dr@medimail.mssante.fr", "mailing list"),
        ("\r\nList-Unsubscribe: <mailto:u@x>", "dr@medimail.mssante.fr", "mailing list"),
    ],
)
def test_rfc_3834_says_when_not_to_answer(extra: str, sender: str, reason: str) -> None:
    found = autoreply.skip_reason(_headers(BASE + extra), sender, OWN)
    assert found.startswith(reason) if reason else found == ""


def test_a_message_not_naming_the_mailbox_is_not_answered() -> None:
    bcc = "From: dr@medimail.mssante.fr\r\nTo: liste@medimail.mssante.fr\r\nSubject: x"
    assert autoreply.skip_reason(_headers(bcc), "dr@medimail.mssante.fr", OWN) == (
        "mailbox not named in To/Cc"
    )


def _on(web: Client, mailbox: Account, **fields: str) -> Any:
    today = timezone.localdate()
    data = {
        "form": "autoreply",
        "mailbox": str(mailbox.pk),
        "enabled": "1",
        "starts_on": (today - timedelta(days=1)).isoformat(),
        "ends_on": (today + timedelta(days=7)).isoformat(),
        "text": "Je suis absente jusqu'au lundi 14. Pour une urgence : secrétariat.",
        **fields,
    }
    return web.post("/messagerie/parametres/", data, follow=True)


@pytest.fixture
def inbound(settings: Any, pki: Pki) -> Iterator[int]:
    port = free_port()
    controller = smtp_server.inbound_controller("127.0.0.1", port)
    controller.start()
    yield port
    controller.stop()


def _incoming(n: int, sender: str = "dr@medimail.mssante.fr", extra: str = "") -> bytes:
    return (
        f"From: Dr Expéditeur <{sender}>\r\nTo: martine.dubois@ch-a.mssante.fr\r\n"
        f"Subject: Compte rendu {n}\r\nMessage-ID: <cr-{n}@medimail.mssante.fr>\r\n{extra}\r\n"
        "Bonjour.\r\n"
    ).encode()


def test_set_in_the_webmail_it_answers_another_operator_once_per_period(
    inbound: int, pki: Pki, martine: Account
) -> None:
    page = _on(client_for(user_of(martine)), martine)
    assert f"Réponse automatique de {martine.email} enregistrée" in page.content.decode()
    assert "active aujourd" in page.content.decode()
    with smtplib.SMTP("127.0.0.1", inbound, timeout=10) as client:
        client.starttls(context=pki.client())
        for n in (1, 2):  # the same sender twice: one reply
            client.sendmail("dr@medimail.mssante.fr", [MARTINE], _incoming(n))
        listed = _incoming(3, "cardio@medimail.mssante.fr", "List-Id: <cardio>\r\n")
        client.sendmail("cardio@medimail.mssante.fr", [MARTINE], listed)
        bulk = _incoming(4, "news@medimail.mssante.fr", "Precedence: bulk\r\n")
        client.sendmail("news@medimail.mssante.fr", [MARTINE], bulk)
        auto = _incoming(5, "robot@medimail.mssante.fr", "Auto-Submitted: auto-generated\r\n")
        client.sendmail("robot@medimail.mssante.fr", [MARTINE], auto)
        client.sendmail("", [MARTINE], _incoming(6, "mailer-daemon@medimail.mssante.fr"))
    assert Message.objects.filter(mailbox=martine, folder="inbox").count() == 6
    [row] = Outbound.objects.all()
    assert row.recipient == "dr@medimail.mssante.fr"
    assert row.sender == ""  # RFC 3834 §3.3: nobody answers an automatic reply
    reply = message_from_bytes(delivery.message_bytes(row))
    assert reply["Auto-Submitted"] == "auto-replied"
    assert reply["In-Reply-To"] == "<cr-1@medimail.mssante.fr>"
    assert reply["References"] == "<cr-1@medimail.mssante.fr>"
    assert reply["X-MSS-NIL"] == "Caducee-0.1.0"
    assert "martine.dubois@ch-a.mssante.fr" in reply["From"]
    assert str(reply["Subject"]).startswith("=?utf-8?") or "Compte rendu 1" in reply["Subject"]
    assert mime.parse(delivery.message_bytes(row)).subject == (
        "Réponse automatique : Compte rendu 1"
    )
    assert AutoReplySent.objects.get().recipient == "dr@medimail.mssante.fr"
    assert AuditEvent.objects.filter(action="mail.autoreply_send").count() == 1
    assert AuditEvent.objects.filter(action="mail.autoreply_update").count() == 1


def test_between_platform_mailboxes_the_reply_lands_and_is_never_answered(
    martine: Account, paul: Account
) -> None:
    for box in (martine, paul):  # both away: no ping-pong
        _on(client_for(user_of(box)), box, subject="Absence")
    ctx = ctx_for(user_of(paul), paul)
    draft = mime.Draft(sender="", to=["martine.dubois@ch-a.mssante.fr"], subject="Avis")
    operations.send_message(ctx, paul, draft, space="pro")
    [reply] = Message.objects.filter(mailbox=paul, folder="inbox")
    assert reply.subject == "Absence" and "martine.dubois@ch-a.mssante.fr" in reply.sender
    data = store.read(reply.path)
    assert b"Auto-Submitted: auto-replied" in data
    assert not Message.objects.filter(mailbox=martine, folder="inbox", subject="Absence").exists()
    assert AutoReplySent.objects.count() == 1


def test_outside_its_dates_or_switched_off_it_stays_silent(martine: Account, paul: Account) -> None:
    web = client_for(user_of(martine))
    later = timezone.localdate() + timedelta(days=3)
    _on(web, martine, starts_on=later.isoformat(), ends_on=(later + timedelta(days=2)).isoformat())
    ctx = ctx_for(user_of(paul), paul)
    draft = mime.Draft(sender="", to=["martine.dubois@ch-a.mssante.fr"], subject="Avis")
    operations.send_message(ctx, paul, draft, space="pro")
    _on(web, martine, enabled="")
    operations.send_message(ctx, paul, draft, space="pro")
    assert not Message.objects.filter(mailbox=paul, folder="inbox").exists()
    assert autoreply.get_autoreply(ctx_for(user_of(martine), martine), martine).enabled is False


def test_the_form_says_what_is_wrong_in_french(martine: Account) -> None:
    web = client_for(user_of(martine))
    today = timezone.localdate()
    page = _on(web, martine, ends_on=(today - timedelta(days=5)).isoformat())
    assert "La date de fin précède la date de début" in page.content.decode()
    page = _on(web, martine, text="  ")
    assert "Écrivez le texte de la réponse automatique" in page.content.decode()
    assert not AutoReply.objects.exists()


def test_the_connection_accounts_of_an_org_mailbox_set_its_reply(
    martine: Account, secretariat: Account, paul: Account, outsider: Account
) -> None:
    page = client_for(user_of(martine)).get("/messagerie/parametres/").content.decode()
    assert f'id="autoreply-{secretariat.pk}"' in page
    _on(client_for(user_of(martine)), secretariat, text="Le secrétariat est fermé.")
    rule = AutoReply.objects.get(mailbox=secretariat)
    assert rule.updated_by == user_of(martine) and rule.enabled
    ctx = ctx_for(user_of(paul), paul)
    draft = mime.Draft(sender="", to=["secretariat@ch-a.mssante.fr"], subject="RDV")
    operations.send_message(ctx, paul, draft, space="pro")
    [reply] = Message.objects.filter(mailbox=paul, folder="inbox")
    assert "secretariat@ch-a.mssante.fr" in reply.sender
    event = AuditEvent.objects.get(action="mail.autoreply_update")
    assert event.actor_label == user_of(martine).email
    # paul is no user of the ORG mailbox, nor is someone of another structure
    for stranger in (paul, outsider):
        with pytest.raises(NotFound):
            autoreply.set_autoreply(
                ctx_for(user_of(stranger), secretariat),
                secretariat,
                enabled=False,
                starts_on=None,
                ends_on=None,
            )


def test_the_api_reads_and_sets_it(martine: Account) -> None:
    headers = api_headers(user_of(martine))
    url = "/api/v1/mail/autoreply"
    first = Client().get(f"{url}?mailbox=martine.dubois@ch-a.mssante.fr", **headers).json()
    assert first["enabled"] is False and first["starts_on"] is None
    today = timezone.localdate()
    body = {
        "mailbox": "martine.dubois@ch-a.mssante.fr",
        "enabled": True,
        "starts_on": today.isoformat(),
        "ends_on": (today + timedelta(days=1)).isoformat(),
        "text": "Absente.",
    }
    answer = Client().put(url, body, content_type="application/json", **headers)
    assert answer.status_code == 200, answer.content
    assert answer.json()["active_now"] is True
    wrong = Client().put(
        url, {**body, "ends_on": "2000-01-01"}, content_type="application/json", **headers
    )
    assert wrong.status_code == 422
    assert "La date de fin précède" in wrong.json()["detail"]


def test_the_operation_validates_dates_and_text(martine: Account) -> None:
    ctx = ctx_for(user_of(martine), martine)
    with pytest.raises(Invalid, match="date de début"):
        autoreply.set_autoreply(ctx, martine, enabled=True, starts_on=None, ends_on=None, text="x")
    with pytest.raises(Invalid, match="une ligne"):
        autoreply.set_autoreply(
            ctx,
            martine,
            enabled=True,
            starts_on=date(2030, 1, 1),
            ends_on=date(2030, 1, 2),
            subject="a\nb",
            text="x",
        )


def test_a_new_period_answers_the_same_sender_again(martine: Account, paul: Account) -> None:
    web = client_for(user_of(martine))
    today = timezone.localdate()
    _on(web, martine)
    ctx = ctx_for(user_of(paul), paul)
    draft = mime.Draft(sender="", to=["martine.dubois@ch-a.mssante.fr"], subject="Avis")
    for _ in range(2):
        operations.send_message(ctx, paul, draft, space="pro")
    assert Message.objects.filter(mailbox=paul, folder="inbox").count() == 1
    _on(web, martine, starts_on=today.isoformat())  # another absence: a new period
    operations.send_message(ctx, paul, draft, space="pro")
    assert Message.objects.filter(mailbox=paul, folder="inbox").count() == 2
    assert list(AutoReplySent.objects.values_list("period_start", flat=True)) == [today]
