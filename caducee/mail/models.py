"""Message metadata (bodies live in the store), user folders, the delivery queue (with the
bytes of the messages it holds, so that any worker can send them), application passwords
and the MSSanté whitelist."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models


class Space(models.TextChoices):
    PRO = "pro", "Prof. Santé"
    PATIENT = "patient", "Patient"


class SystemFolder(models.TextChoices):
    INBOX = "inbox", "Boîte de réception"
    SENT = "sent", "Messages envoyés"
    DRAFTS = "drafts", "Brouillons"
    TRASH = "trash", "Messages supprimés"


class Folder(models.Model):
    """A folder created by the person in one space of a mailbox ("+ Nouveau dossier")."""

    mailbox = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    space = models.CharField(max_length=8, choices=Space.choices)
    name = models.CharField("nom", max_length=80)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["mailbox", "space", "name"], name="one_folder_name")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def key(self) -> str:
        return f"f{self.pk}"


class Message(models.Model):
    """One message in one mailbox. `folder` is a system folder key or `f<Folder id>`."""

    mailbox = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    space = models.CharField(max_length=8, choices=Space.choices, default=Space.PRO)
    folder = models.CharField(max_length=16, default=SystemFolder.INBOX)
    previous_folder = models.CharField(max_length=16, blank=True)
    message_id = models.CharField(max_length=255, blank=True)
    sender = models.CharField("de", max_length=320, blank=True)
    recipients = models.TextField("à", blank=True)
    cc = models.TextField("copie", blank=True)
    subject = models.CharField("objet", max_length=500, blank=True)
    date = models.DateTimeField("date", null=True, blank=True)
    received_at = models.DateTimeField(db_index=True)
    size = models.PositiveIntegerField(default=0)
    seen = models.BooleanField("lu", default=False)
    has_attachments = models.BooleanField(default=False)
    path = models.CharField(max_length=300)
    # The start of the plain text, folded for the search index (mime.search_text).
    body_text = models.TextField(blank=True)
    sender_person = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Issue #18: the states a mail client shares with the webmail (IMAP \Flagged, \Answered,
    # \Deleted awaiting EXPUNGE), and the message's IMAP UID in its folder: given by
    # caducee.mail.uids when IMAP first sees the message there (`imap_folder` says which
    # folder the UID belongs to; moving the message clears it).
    flagged = models.BooleanField("suivi", default=False, db_default=False)
    answered = models.BooleanField("répondu", default=False, db_default=False)
    deleted_mark = models.BooleanField(default=False, db_default=False)
    imap_uid = models.PositiveBigIntegerField(default=0, db_default=0)
    imap_folder = models.CharField(max_length=26, blank=True, default="", db_default="")

    class Meta:
        ordering: ClassVar[list[str]] = ["-received_at", "-id"]
        indexes: ClassVar[list[models.Index]] = [
            models.Index(
                fields=["mailbox", "space", "folder", "-received_at", "-id"], name="mail_list"
            ),
            models.Index(fields=["mailbox", "message_id"], name="mail_msgid"),
            models.Index(fields=["mailbox", "space", "folder", "imap_uid"], name="mail_imap_uid"),
            models.Index(
                fields=["mailbox", "space", "folder"],
                condition=models.Q(seen=False),
                name="mail_unread",
            ),
        ]

    def __str__(self) -> str:
        return self.subject or "(sans objet)"


class ImapFolderState(models.Model):
    """The IMAP identity of one folder of one mailbox (issue #18): its UIDVALIDITY (this
    row's id, never reused) and the next UID to give (caducee.mail.uids)."""

    mailbox = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    space = models.CharField(max_length=8, choices=Space.choices)
    folder = models.CharField(max_length=16)
    uid_next = models.PositiveBigIntegerField(default=1)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["mailbox", "space", "folder"], name="one_imap_folder_state"
            )
        ]

    def __str__(self) -> str:
        return f"{self.space}/{self.folder}"


class QueueState(models.TextChoices):
    PENDING = "pending", "En attente"
    SENDING = "sending", "En cours d'envoi"
    SENT = "sent", "Remis"
    BOUNCED = "bounced", "Non distribuable"


class OutboundBody(models.Model):
    """The bytes of one outgoing message, shared by its queue rows (one per recipient).

    In the database so that every delivery worker, on any machine, can send any row;
    deleted once no row of the message is waiting any more."""

    data = models.BinaryField()
    size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.size} octets"


class Outbound(models.Model):
    """One recipient of one outgoing message, waiting for (or done with) SMTP delivery."""

    sender = models.CharField(max_length=320, blank=True)  # envelope sender; "" = a bounce
    recipient = models.CharField(max_length=320)
    domain = models.CharField(max_length=253)
    # The message bytes; null once delivered/bounced, or for a row queued before 0004.
    body = models.ForeignKey(
        OutboundBody, null=True, blank=True, on_delete=models.SET_NULL, related_name="rows"
    )
    path = models.CharField(max_length=300, blank=True)  # legacy: a file in the mail store
    mailbox = models.ForeignKey(
        "accounts.Account", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=8, choices=QueueState.choices, default=QueueState.PENDING)
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField()
    done_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)

    class Meta:
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["state", "next_attempt_at"], name="mail_queue_due")
        ]

    def __str__(self) -> str:
        return f"{self.sender} → {self.recipient}"


class AppPassword(models.Model):
    """A password for a mail client (SMTP submission); the login password never works there."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="app_passwords"
    )
    label = models.CharField("nom", max_length=80)
    prefix = models.CharField(max_length=8)
    password_hash = models.CharField(max_length=128)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["-created_at"]

    def __str__(self) -> str:
        return self.label


class WhitelistDomain(models.Model):
    """A domain of the national MSSanté trust space (listeblanchemssante.xml)."""

    name = models.CharField(max_length=253, unique=True)
    description = models.CharField(max_length=500, blank=True)
    # DNCertificatOperateur, one per line (a domain may be served by several certificates).
    operator_dn = models.TextField(blank=True)
    loaded_at = models.DateTimeField()

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]

    def __str__(self) -> str:
        return self.name


class AutoReply(models.Model):
    """A mailbox's out-of-office reply (« Réponse automatique », docs/MESSAGING.md): on
    from `starts_on` to `ends_on` (both included, local dates) while `enabled`."""

    mailbox = models.OneToOneField(
        "accounts.Account", on_delete=models.CASCADE, related_name="autoreply"
    )
    enabled = models.BooleanField("activée", default=False)
    starts_on = models.DateField("du")
    ends_on = models.DateField("au")
    subject = models.CharField("objet", max_length=200, blank=True)
    text = models.TextField("texte")
    updated_at = models.DateTimeField()
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.starts_on} → {self.ends_on}"


class AutoReplySent(models.Model):
    """A sender already answered in one period of a mailbox's automatic reply (RFC 3834
    §2: at most one reply per sender and period)."""

    mailbox = models.ForeignKey("accounts.Account", on_delete=models.CASCADE, related_name="+")
    recipient = models.CharField(max_length=320)
    period_start = models.DateField()
    sent_at = models.DateTimeField()

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["mailbox", "recipient", "period_start"], name="one_autoreply_per_period"
            )
        ]

    def __str__(self) -> str:
        return self.recipient
