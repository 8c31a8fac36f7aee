"""Weekly counts of accounts by state and type, per structure: the history behind
« Activité structure »'s "accounts over time" (an account keeps only its current state)."""

from __future__ import annotations

from typing import ClassVar

from django.db import models


class AccountCount(models.Model):
    """How many accounts of `structure` had `state` and `type` at the last snapshot of the
    week starting on `week` (a Monday). Rewritten by each day's snapshot of that week."""

    structure = models.ForeignKey(
        "structures.Structure", on_delete=models.CASCADE, related_name="+"
    )
    week = models.DateField("semaine du")
    state = models.CharField("état", max_length=12)
    type = models.CharField("type de BAL", max_length=3)
    count = models.PositiveIntegerField("comptes")
    taken_at = models.DateTimeField("relevé le")

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(
                fields=["structure", "week", "state", "type"], name="one_account_count"
            )
        ]
        indexes: ClassVar[list[models.Index]] = [models.Index(fields=["week"])]

    def __str__(self) -> str:
        return f"{self.week} {self.state} {self.type}: {self.count}"
