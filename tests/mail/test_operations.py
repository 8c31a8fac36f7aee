"""Messaging actions: send, file, folders, shared mailboxes and their audit trail."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from caducee.accounts.models import Account
from caducee.audit.models import AuditEvent
from caducee.core.context import Context
from caducee.core.errors import Invalid, NotFound
from caducee.mail import mime, operations, store
from caducee.mail.models import Message, Outbound, OutboundBody, QueueState
from tests import helpers
from tests.mail.conftest import user_of


def ctx_for(account: Account, mailbox: Account | None = None) -> Context:
    return helpers.ctx_for(user_of(account), mailbox or account)


def send(sender: Account, to: list[str], mailbox: Account | None = None, **kw: Any) -> Message:
    box = mailbox or sender
    draft = mime.Draft(
        sender="", to=to, subject=kw.pop("subject", "Objet"), body=kw.pop("body", "Texte"), **kw
    )
    return operations.send_message(ctx_for(sender, box), box, draft, space="pro").sent


def test_it_sends_inside_by_mssante_address_and_by_account_email(
    martine: Account, paul: Account, django_capture_on_commit_callbacks: Any
) -> None:
    send(martine, ["paul.martin@ch-a.mssante.fr"], subject="Un")
    send(martine, [paul.email], subject="Deux")
    inbox = Message.objects.filter(mailbox=paul, folder="inbox").order_by("id")
    assert [m.subject for m in inbox] == ["Un", "Deux"]
    sent = Message.objects.filter(mailbox=martine, folder="sent")
    assert sent.count() == 2 and all(m.sender_person == user_of(martine) for m in sent)
    event = AuditEvent.objects.filter(action="mail.send").last()
    assert event is not None and event.actor == user_of(martine)
    assert event.detail["recipients"] == [paul.email]  # who wrote to whom, never the content


def test_it_refuses_outside_recipients_and_nothing_is_stored(martine: Account) -> None:
    with pytest.raises(Invalid, match="espace de confiance MSSanté"):
        send(martine, ["someone@gmail.com"])
    assert Message.objects.count() == 0


def test_bcc_is_kept_in_the_sent_copy_only(martine: Account, paul: Account) -> None:
    sent = send(martine, ["paul.martin@ch-a.mssante.fr"], bcc=[martine.email])
    assert b"Bcc:" in store.read(sent.path)
    for received in Message.objects.filter(folder="inbox"):
        assert b"Bcc:" not in store.read(received.path)


def test_patient_space_rules(martine: Account, paul: Account) -> None:
    draft = mime.Draft(sender="", to=["paul.martin@ch-a.mssante.fr"], subject="x")
    with pytest.raises(Invalid, match="espace Patient"):
        operations.send_message(ctx_for(martine), martine, draft, space="patient")
    with pytest.raises(Invalid, match="Nouveau message Patient"):
        send(martine, ["279035121518989@patient.mssante.fr"])


def test_shared_mailbox_send_read_move_delete_are_audited_with_the_person(
    martine: Account,
    paul: Account,
    secretariat: Account,
    django_capture_on_commit_callbacks: Any,
    smtp_sink: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        send(paul, ["secretariat@ch-a.mssante.fr"], subject="Pour le secrétariat")
    # the connection account asked for a notification: it names the box, not the content
    [notice] = smtp_sink.to(martine.email)
    assert "secretariat@ch-a.mssante.fr" in notice.subject
    assert "Pour le secrétariat" not in notice.text and "Texte" not in notice.text
    assert "Pour le secrétariat" not in notice.html
    received = Message.objects.get(mailbox=secretariat, folder="inbox")
    ctx = ctx_for(martine, secretariat)
    operations.read_message(ctx, secretariat, received.pk)
    folder = operations.create_folder(ctx, secretariat, "pro", "Urgent")
    operations.move_messages(ctx, secretariat, [received.pk], folder.key)
    operations.trash_messages(ctx, secretariat, [received.pk])
    reply = send(martine, ["paul.martin@ch-a.mssante.fr"], mailbox=secretariat)
    assert reply.sender_person == user_of(martine)
    assert b"secretariat@ch-a.mssante.fr" in store.read(reply.path)
    actions = list(
        AuditEvent.objects.filter(acting_as=secretariat.email).values_list("action", "actor")
    )
    for action in ["mail.read", "mail.move", "mail.delete", "mail.send"]:
        assert (action, user_of(martine).pk) in actions


def test_it_validates_ownership(martine: Account, paul: Account, outsider: Account) -> None:
    sent = send(martine, ["paul.martin@ch-a.mssante.fr"])
    with pytest.raises(NotFound):
        operations.read_message(ctx_for(paul), martine, sent.pk)
    with pytest.raises(NotFound):
        operations.read_message(ctx_for(paul), paul, sent.pk)  # not in Paul's mailbox
    with pytest.raises(NotFound):
        operations.trash_messages(ctx_for(outsider), outsider, [sent.pk])


def test_folders_bin_and_export(
    martine: Account, paul: Account, django_capture_on_commit_callbacks: Any
) -> None:
    send(martine, ["paul.martin@ch-a.mssante.fr"], subject="Alpha")
    send(martine, ["paul.martin@ch-a.mssante.fr"], subject="Bravo")
    ctx = ctx_for(paul)
    ids = list(Message.objects.filter(mailbox=paul).values_list("pk", flat=True))
    folder = operations.create_folder(ctx, paul, "pro", "Dossiers patients")
    with pytest.raises(Invalid, match="existe déjà"):
        operations.create_folder(ctx, paul, "pro", "dossiers patients")
    with pytest.raises(Invalid, match="dossier du système"):
        operations.create_folder(ctx, paul, "pro", "Brouillons")
    operations.rename_folder(ctx, paul, folder.pk, "Patients")
    operations.move_messages(ctx, paul, ids, folder.key)
    assert operations.messages_in(paul, "pro", folder.key).count() == 2
    assert operations.messages_in(paul, "pro", folder.key, "bravo").count() == 1
    name, ctype, data = operations.export_messages(ctx, paul, ids)
    assert ctype == "application/zip" and len(zipfile.ZipFile(io.BytesIO(data)).namelist()) == 2
    name, ctype, data = operations.export_messages(ctx, paul, ids[:1])
    assert name.endswith(".eml") and b"Subject: " in data
    operations.delete_folder(ctx, paul, folder.pk)
    assert operations.messages_in(paul, "pro", "trash").count() == 2
    path = Message.objects.filter(mailbox=paul).first().path  # type: ignore[union-attr]
    with django_capture_on_commit_callbacks(execute=True):
        assert operations.empty_trash(ctx, paul, "pro") == 2
    assert not store.full_path(path).exists()


def test_drafts_are_saved_and_replaced_on_send(martine: Account, paul: Account) -> None:
    ctx = ctx_for(martine)
    draft = mime.Draft(sender="", to=["paul.martin@ch-a.mssante.fr"], subject="Brouillon")
    saved = operations.save_draft(ctx, martine, draft, space="pro")
    assert saved.folder == "drafts"
    operations.send_message(ctx, martine, draft, space="pro", draft_id=saved.pk)
    assert not Message.objects.filter(mailbox=martine, folder="drafts").exists()


def test_submission_checks_every_from_header_and_the_sender_header(
    martine: Account, paul: Account, secretariat: Account
) -> None:
    """Review L4: a second From: or a Sender: could show another address in mail clients."""

    def submit(head: str, mailbox: Account = martine) -> None:
        data = f"{head}To: paul.martin@ch-a.mssante.fr\r\nSubject: x\r\n\r\nx\r\n".encode()
        operations.submit_raw(ctx_for(martine, mailbox), mailbox, [paul.email], data)

    own, org = "martine.dubois@ch-a.mssante.fr", "secretariat@ch-a.mssante.fr"
    probe = f"From: {martine.email}\r\nFrom: Direction <direction@ch-a.mssante.fr>\r\n"
    with pytest.raises(Invalid, match="plusieurs en-têtes From"):
        submit(probe + "Sender: direction@ch-a.mssante.fr\r\n")
    with pytest.raises(Invalid, match="plusieurs en-têtes From"):
        submit(f"From: {own}\r\nFrom: {own}\r\n")
    with pytest.raises(Invalid, match=r"L'en-tête Sender \(direction@ch-a.mssante.fr\)"):
        submit(f"From: {own}\r\nSender: direction@ch-a.mssante.fr\r\n")
    with pytest.raises(Invalid, match="L'en-tête Sender"):
        submit(f"From: {own}\r\nSender: paul.martin@ch-a.mssante.fr\r\n")
    with pytest.raises(Invalid, match="une fois au plus"):
        submit(f"From: {own}\r\nSender: {own}\r\nSender: {own}\r\n")
    assert Message.objects.count() == 0
    submit(f"From: {own}\r\nSender: {own}\r\n")
    # The usual delegation: From the shared mailbox, Sender the person writing for it.
    submit(f"From: Secrétariat <{org}>\r\nSender: Martine <{own}>\r\n", secretariat)
    assert Message.objects.filter(mailbox=paul, folder="inbox").count() == 2


def test_only_remote_recipients_put_the_bytes_in_the_queue(
    settings: Any, martine: Account, paul: Account
) -> None:
    """Local delivery writes the mailbox file only; a remote recipient gets the bytes in
    the database, shared by every queue row of the message."""
    settings.SMTP_ROUTES = "autre.mssante.fr=127.0.0.1:2"  # a known peer (never contacted)
    send(martine, ["paul.martin@ch-a.mssante.fr"])
    assert OutboundBody.objects.count() == 0 and Outbound.objects.count() == 0
    send(martine, [paul.email, "dr.x@autre.mssante.fr", "dr.y@autre.mssante.fr"], subject="Mix")
    [body] = OutboundBody.objects.all()
    rows = Outbound.objects.all()
    assert {r.body_id for r in rows} == {body.pk} and {r.path for r in rows} == {""}
    assert b"Subject: Mix" in bytes(body.data) and body.size == len(bytes(body.data))


def _queued(state: str, done_days_ago: int | None, body: OutboundBody | None) -> Outbound:
    now = timezone.now()
    done = None if done_days_ago is None else now - timedelta(days=done_days_ago)
    return Outbound.objects.create(
        sender="martine.dubois@ch-a.mssante.fr",
        recipient="dr.x@autre.mssante.fr",
        domain="autre.mssante.fr",
        body=body,
        state=state,
        next_attempt_at=now,
        created_at=now - timedelta(days=60),
        done_at=done,
    )


def test_purge_delivered_forgets_old_rows_and_bodies_no_row_waits_for(db: None) -> None:
    def body() -> OutboundBody:
        return OutboundBody.objects.create(data=b"x", size=1, created_at=timezone.now())

    old_sent = _queued(QueueState.SENT, 40, None)
    old_bounced = _queued(QueueState.BOUNCED, 31, None)
    recent = _queued(QueueState.SENT, 2, None)
    shared = body()  # one recipient done long ago, another still waiting
    done_with_shared = _queued(QueueState.SENT, 40, shared)
    waiting = _queued(QueueState.PENDING, None, shared)
    sending = _queued(QueueState.SENDING, None, body())
    leftover = body()  # two workers finished the last rows at once and both kept it
    _queued(QueueState.SENT, 1, leftover)
    assert operations.purge_delivered(timedelta(days=30)) == 3
    remaining = set(Outbound.objects.values_list("pk", flat=True))
    assert old_sent.pk not in remaining and old_bounced.pk not in remaining
    assert done_with_shared.pk not in remaining
    assert {recent.pk, waiting.pk, sending.pk} <= remaining
    assert set(OutboundBody.objects.values_list("pk", flat=True)) == {
        shared.pk,
        Outbound.objects.get(pk=sending.pk).body_id,
    }
    assert operations.purge_delivered(timedelta(days=30)) == 0
