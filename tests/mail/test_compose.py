"""Reply and forward drafts (`mail/compose.py`): pure functions, and the webmail and API
that use them."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import Client

from caducee.accounts.models import Account
from caducee.audit.models import AuditEvent
from caducee.identity.mailboxes import SESSION_KEY
from caducee.mail import compose, mime, operations, store
from caducee.mail.models import Message
from tests.helpers import api_headers, client_for, ctx_for
from tests.mail.conftest import user_of

OWN = "martine.dubois@ch-a.mssante.fr"


def parsed(**fields: Any) -> mime.Parsed:
    base: dict[str, Any] = {
        "message_id": "<m1@ch-a.mssante.fr>",
        "sender": "paul.martin@ch-a.mssante.fr",
        "to": f"{OWN}, Dr Autre <autre@ch-a.mssante.fr>",
        "cc": "secretariat@ch-a.mssante.fr",
        "subject": "Bilan",
        "text": "Ligne 1\nLigne 2",
        "references": "<m0@ch-a.mssante.fr>",
    }
    return mime.Parsed(**{**base, **fields})


@pytest.mark.parametrize(
    ("subject", "reply"),
    [
        ("Bilan", "Re : Bilan"),
        ("Rendez-vous mardi", "Re : Rendez-vous mardi"),  # not already a reply
        ("Résultats", "Re : Résultats"),
        ("Relance", "Re : Relance"),
        ("Re : Bilan", "Re : Bilan"),
        ("RE: Bilan", "RE: Bilan"),
        ("re:Bilan", "re:Bilan"),
        ("Re[2]: Bilan", "Re[2]: Bilan"),
        ("AW: Bilan", "AW: Bilan"),
        ("Tr : Bilan", "Re : Tr : Bilan"),
        ("Fwd: Bilan", "Re : Fwd: Bilan"),
        ("", "Re : "),
    ],
)
def test_reply_subject(subject: str, reply: str) -> None:
    assert compose.reply_draft(parsed(subject=subject), OWN).subject == reply


@pytest.mark.parametrize(
    ("subject", "forward"),
    [
        ("Bilan", "Tr : Bilan"),
        ("Trajet", "Tr : Trajet"),
        ("Fwdx", "Tr : Fwdx"),
        ("Tr : Bilan", "Tr : Bilan"),
        ("TR: Bilan", "TR: Bilan"),
        ("Fwd: Bilan", "Fwd: Bilan"),
        ("Fw: Bilan", "Fw: Bilan"),
        ("Re : Bilan", "Tr : Re : Bilan"),
    ],
)
def test_forward_subject(subject: str, forward: str) -> None:
    assert compose.forward_draft(parsed(subject=subject), 7).subject == forward


def test_reply_goes_to_the_sender_and_quotes_the_original() -> None:
    draft = compose.reply_draft(parsed(date=datetime(2026, 3, 2, 9, 30, tzinfo=UTC)), OWN)
    assert draft.to == "paul.martin@ch-a.mssante.fr" and draft.cc == ""
    assert draft.in_reply_to == "<m1@ch-a.mssante.fr>"
    assert draft.references == "<m0@ch-a.mssante.fr>"
    assert draft.body == (
        "\n\nLe 02/03/2026 à 09:30, paul.martin@ch-a.mssante.fr a écrit :\n> Ligne 1\n> Ligne 2"
    )
    assert compose.reply_draft(parsed(), OWN).body.startswith(
        "\n\npaul.martin@ch-a.mssante.fr a écrit :\n"
    )
    assert draft.forward_of == "" and draft.bcc == ""


def test_reply_all_copies_the_others_but_not_oneself() -> None:
    draft = compose.reply_draft(parsed(), f"Martine <{OWN.upper()}>", reply_all=True)
    assert draft.cc == "autre@ch-a.mssante.fr, secretariat@ch-a.mssante.fr"


def test_forward_names_the_original_and_carries_its_attachments() -> None:
    draft = compose.forward_draft(parsed(), 42)
    assert draft.forward_of == "42" and draft.to == ""
    assert draft.body == (
        "\n\n-------- Message transféré --------\nDe : paul.martin@ch-a.mssante.fr\n"
        "Objet : Bilan\n\nLigne 1\nLigne 2"
    )
    assert draft.in_reply_to == ""


def test_a_draft_opens_again_as_written() -> None:
    draft = compose.draft_again(parsed(bcc="cache@ch-a.mssante.fr"))
    form = draft.as_form()
    assert form["bcc"] == "cache@ch-a.mssante.fr" and form["subject"] == "Bilan"
    assert set(form) == {
        "to",
        "cc",
        "bcc",
        "subject",
        "body",
        "in_reply_to",
        "references",
        "forward_of",
    }


# --- the webmail ----------------------------------------------------------------------


def _received(sender: Account, to: Account, subject: str) -> Message:
    draft = mime.Draft(sender="", to=[mime_address(to)], subject=subject, body="Texte")
    operations.send_message(ctx_for(user_of(sender), sender), sender, draft, space="pro")
    return Message.objects.get(mailbox=to, folder="inbox", subject=subject)


def mime_address(account: Account) -> str:
    from caducee.mail import addresses

    return addresses.sender_address(account)


def test_the_webmail_reply_to_rendez_vous_adds_re(martine: Account, paul: Account) -> None:
    """Before: `subject.lower().startswith("re")` took « Rendez-vous » for a reply."""
    received = _received(paul, martine, "Rendez-vous mardi")
    page = client_for(user_of(martine)).get(f"/messagerie/pro/nouveau/?reply={received.pk}")
    assert "Re : Rendez-vous mardi" in html.unescape(page.content.decode())


def test_the_compose_page_audits_a_shared_read_with_the_ip(
    martine: Account, paul: Account, secretariat: Account
) -> None:
    """Before: the compose page built its context without the IP."""
    received = _received(paul, secretariat, "Demande")
    web = client_for(user_of(martine))
    session = web.session
    session[SESSION_KEY] = secretariat.pk
    session.save()
    response = web.get(f"/messagerie/pro/nouveau/?reply={received.pk}", REMOTE_ADDR="10.1.2.3")
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="mail.read")
    assert event.ip == "10.1.2.3"
    assert event.actor == user_of(martine)


# --- the API --------------------------------------------------------------------------


def test_the_api_replies_with_the_original_quoted(martine: Account, paul: Account) -> None:
    received = _received(paul, martine, "Rendez-vous mardi")
    response = Client().post(
        f"/api/v1/mail/messages/{received.pk}/reply",
        {"mailbox": OWN, "body": "D'accord."},
        content_type="application/json",
        **api_headers(user_of(martine)),
    )
    assert response.status_code == 201, response.content
    answer = Message.objects.get(mailbox=paul, folder="inbox")
    assert answer.subject == "Re : Rendez-vous mardi"
    reply = mime.parse(store.read(answer.path))
    text = reply.text.replace("\r\n", "\n")
    assert text.startswith("D'accord.\n\n") and "> Texte" in text
    assert reply.in_reply_to == received.message_id


def test_the_api_forwards_with_the_attachments(
    martine: Account, paul: Account, secretariat: Account
) -> None:
    draft = mime.Draft(
        sender="",
        to=[OWN],
        subject="Radio",
        attachments=[mime.Attachment("radio.pdf", "application/pdf", b"%PDF radio")],
    )
    operations.send_message(ctx_for(user_of(paul), paul), paul, draft, space="pro")
    received = Message.objects.get(mailbox=martine, folder="inbox")
    response = Client().post(
        f"/api/v1/mail/messages/{received.pk}/forward",
        {"mailbox": OWN, "to": ["secretariat@ch-a.mssante.fr"], "body": "Pour avis"},
        content_type="application/json",
        **api_headers(user_of(martine)),
    )
    assert response.status_code == 201, response.content
    forwarded = Message.objects.get(mailbox=secretariat, folder="inbox")
    assert forwarded.subject == "Tr : Radio"
    attachments = mime.parse(store.read(forwarded.path)).attachments
    assert [(a.filename, a.data) for a in attachments] == [("radio.pdf", b"%PDF radio")]


def test_the_api_cannot_reply_to_another_persons_message(
    martine: Account, paul: Account, outsider: Account
) -> None:
    received = _received(paul, martine, "Privé")
    for route in ("reply", "forward"):
        response = Client().post(
            f"/api/v1/mail/messages/{received.pk}/{route}",
            {"mailbox": mime_address(paul), "to": [OWN]},
            content_type="application/json",
            **api_headers(user_of(paul)),
        )
        assert response.status_code == 404, route
    assert (
        not Message.objects.filter(mailbox=martine, folder="inbox").exclude(pk=received.pk).exists()
    )
