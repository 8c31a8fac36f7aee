"""Who may act in a mailbox: a delegate, within the right of the delegation, in the webmail
only; every action of a delegate is audited with the delegate as the person."""

from __future__ import annotations

from email.parser import BytesHeaderParser
from typing import Any

import pytest

from caducee.accounts.models import Account
from caducee.accounts.operations import add_delegate, remove_delegate, set_delegate_right
from caducee.audit.models import AuditEvent
from caducee.core.context import Context, cli_context
from caducee.core.errors import Forbidden, NotFound
from caducee.mail import mime, operations, store
from caducee.mail.models import Message
from tests import helpers
from tests.mail.conftest import person, user_of


def as_delegate(delegate: Account, mailbox: Account, channel: str = "web") -> Context:
    return helpers.ctx_for(user_of(delegate), mailbox, channel=channel)


def received(owner: Account, writer: Account, subject: str = "Résultats") -> Message:
    """A message `writer` sends to `owner`, as stored in the owner's inbox."""
    draft = mime.Draft(sender="", to=[owner.email], subject=subject, body="Bonjour")
    operations.send_message(helpers.ctx_for(user_of(writer), writer), writer, draft, space="pro")
    return Message.objects.get(mailbox=owner, folder="inbox", subject=subject)


def reply_draft(message: Message, to: str) -> mime.Draft:
    return mime.Draft(
        sender="",
        to=[to],
        subject=f"RE: {message.subject}",
        body="Bien reçu",
        in_reply_to=message.message_id,
    )


@pytest.fixture
def outside(structure_a: Any) -> Account:
    return person(structure_a, "jean.labo")


def test_a_read_only_delegate_reads_but_cannot_send_delete_or_move(
    martine: Account, paul: Account, outside: Account
) -> None:
    add_delegate(cli_context(), martine, paul.email)  # « Lecture »
    message = received(martine, outside)
    ctx = as_delegate(paul, martine)
    operations.read_message(ctx, martine, message.pk)
    operations.mark_seen(ctx, martine, [message.pk], False)
    refusal = r"Votre délégation sur la boîte martine\.dubois@perso\.example\.org \(« Lecture »\)"
    with pytest.raises(Forbidden, match=refusal + " ne permet pas d'envoyer"):
        operations.send_message(ctx, martine, reply_draft(message, outside.email), space="pro")
    with pytest.raises(Forbidden, match=refusal + " ne permet pas de supprimer"):
        operations.trash_messages(ctx, martine, [message.pk])
    with pytest.raises(Forbidden, match="ne permet pas de supprimer"):
        operations.empty_trash(ctx, martine, "pro")
    with pytest.raises(Forbidden, match=refusal + " ne permet pas de déplacer"):
        operations.move_messages(ctx, martine, [message.pk], "archive")
    with pytest.raises(Forbidden, match="gérer les dossiers"):
        operations.create_folder(ctx, martine, "pro", "Labo")
    with pytest.raises(Forbidden, match="ne permet pas d'envoyer de message ni d'enregistrer"):
        operations.save_draft(ctx, martine, reply_draft(message, outside.email), space="pro")
    assert Message.objects.get(pk=message.pk).folder == "inbox"
    assert not Message.objects.filter(mailbox=outside, folder="inbox").exists()


def test_a_reply_delegate_replies_on_behalf_with_a_sender_header(
    martine: Account, paul: Account, outside: Account
) -> None:
    add_delegate(cli_context(), martine, paul.email, "reponse")
    message = received(martine, outside)
    ctx = as_delegate(paul, martine)
    result = operations.send_message(ctx, martine, reply_draft(message, outside.email), space="pro")
    headers = BytesHeaderParser().parsebytes(store.read(result.sent.path))
    assert headers["From"] == f"{martine.display_name} <martine.dubois@ch-a.mssante.fr>"
    assert headers["Sender"] == f"{paul.display_name} <paul.martin@ch-a.mssante.fr>"
    assert headers["In-Reply-To"] == message.message_id
    delivered = Message.objects.get(mailbox=outside, folder="inbox", subject="RE: Résultats")
    assert BytesHeaderParser().parsebytes(store.read(delivered.path))["Sender"] == headers["Sender"]
    assert result.sent.mailbox_id == martine.pk and result.sent.sender_person == user_of(paul)
    event = AuditEvent.objects.filter(action="mail.send").order_by("-seq").first()
    assert event is not None and event.actor_id == user_of(paul).pk
    assert event.acting_as == martine.email and event.target_label == martine.email
    # A new message, or a forward (no In-Reply-To), is beyond « réponse ».
    new = mime.Draft(sender="", to=[outside.email], subject="Nouveau", body="x")
    with pytest.raises(Forbidden, match="permet seulement de répondre aux messages reçus"):
        operations.send_message(ctx, martine, new, space="pro")
    forged = reply_draft(message, outside.email)
    forged.in_reply_to = "<inconnu@ailleurs>"
    with pytest.raises(Forbidden, match="permet seulement de répondre"):
        operations.send_message(ctx, martine, forged, space="pro")
    with pytest.raises(Forbidden, match="ne permet pas de supprimer"):
        operations.trash_messages(ctx, martine, [message.pk])


def test_the_owner_s_own_sends_carry_no_sender_header(martine: Account, outside: Account) -> None:
    draft = mime.Draft(sender="", to=[outside.email], subject="Moi", body="x")
    result = operations.send_message(
        helpers.ctx_for(user_of(martine), martine), martine, draft, space="pro"
    )
    assert b"\r\nSender:" not in store.read(result.sent.path)


def test_every_action_of_a_delegate_is_audited_naming_the_delegate(
    martine: Account, paul: Account, outside: Account
) -> None:
    add_delegate(cli_context(), martine, paul.email, "reponse")
    message = received(martine, outside)
    before = AuditEvent.objects.count()
    operations.read_message(helpers.ctx_for(user_of(martine), martine), martine, message.pk)
    assert AuditEvent.objects.count() == before  # the owner's own reads are not audited
    ctx = as_delegate(paul, martine)
    operations.read_message(ctx, martine, message.pk)
    operations.mark_seen(ctx, martine, [message.pk], True)
    operations.save_draft(ctx, martine, reply_draft(message, outside.email), space="pro")
    events = list(AuditEvent.objects.filter(seq__gt=0).order_by("-seq")[:3])
    assert [e.action for e in reversed(events)] == ["mail.read", "mail.mark", "mail.draft_save"]
    for event in events:
        assert event.actor_id == user_of(paul).pk and event.acting_as == martine.email
        assert event.target_label == martine.email and event.detail["mailbox"] == martine.email
        assert event.structure_id == martine.structure_id


def test_a_delegation_reaches_neither_the_api_nor_smtp_submission(
    martine: Account, paul: Account, outside: Account
) -> None:
    add_delegate(cli_context(), martine, paul.email, "reponse")
    message = received(martine, outside)
    for channel in ("api", "smtp"):
        with pytest.raises(NotFound):
            operations.read_message(as_delegate(paul, martine, channel), martine, message.pk)
    data = f"From: {martine.email}\r\nTo: {outside.email}\r\nSubject: x\r\n\r\nx\r\n".encode()
    with pytest.raises(NotFound):
        operations.submit_raw(as_delegate(paul, martine, "smtp"), martine, [outside.email], data)


def test_a_right_changed_or_removed_applies_to_the_next_action(
    martine: Account, paul: Account, outside: Account
) -> None:
    add_delegate(cli_context(), martine, paul.email, "reponse")
    message = received(martine, outside)
    ctx = as_delegate(paul, martine)
    set_delegate_right(cli_context(), martine, paul, "lecture")
    with pytest.raises(Forbidden, match="« Lecture »"):
        operations.send_message(ctx, martine, reply_draft(message, outside.email), space="pro")
    remove_delegate(cli_context(), martine, paul)
    with pytest.raises(NotFound):
        operations.read_message(ctx, martine, message.pk)
