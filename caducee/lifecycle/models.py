"""The warnings already sent, so that a second run of the same day sends none again."""

from __future__ import annotations

from typing import ClassVar

from django.db import models


class WarningKind(models.TextChoices):
    EXPIRY = "expiry", "Péremption"
    INACTIVITY = "inactivity", "Inactivité"


class LifecycleWarning(models.Model):
    """One warning (30 or 7 days before) about one due date of one account.

    `due_date` is the expiry date, or the deletion date computed from the last activity:
    when the mailbox is used again, or the expiry date changes, the due date changes and
    the warnings of the new date are sent in their turn.
    """

    account = models.ForeignKey(
        "accounts.Account", on_delete=models.CASCADE, related_name="lifecycle_warnings"
    )
    kind = models.CharField(max_length=10, choices=WarningKind.choices)
    days = models.PositiveSmallIntegerField()  # 30 or 7: the warning's threshold
    due_date = models.DateField()
    sent_on = models.DateField()  # the day of the run that sent it (`--today`)
    recipients = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["account", "kind", "days", "due_date"], name="one_lifecycle_warning"
            )
        ]
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["account", "kind"])]

    def __str__(self) -> str:
        return f"{self.kind} J-{self.days} {self.due_date} ({self.account_id})"


class Deletion(models.Model):
    """What the export of deleted mailboxes needs and the tombstone row no longer holds:
    the MSSanté address withdrawn, and the last activity that led to the deletion."""

    account = models.OneToOneField(
        "accounts.Account", on_delete=models.CASCADE, related_name="lifecycle_deletion"
    )
    mssante_address = models.CharField(max_length=320, blank=True)
    last_activity_at = models.DateTimeField()
    deleted_on = models.DateField()  # the day of the run (`--today`)

    def __str__(self) -> str:
        return f"{self.account_id} supprimé le {self.deleted_on}"
