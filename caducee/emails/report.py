"""What the operator sees of the outbox: pending and failed counts, the last failures."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count

from caducee.emails.models import EmailStatus, OutgoingEmail


@dataclass(frozen=True)
class OutboxSummary:
    pending: int
    failed: int
    last_failures: list[OutgoingEmail]


def summary(failures: int = 10) -> OutboxSummary:
    counts = {
        row["status"]: row["n"]
        for row in OutgoingEmail.objects.filter(
            status__in=[EmailStatus.PENDING, EmailStatus.FAILED]
        )
        .values("status")
        .annotate(n=Count("pk"))
        .order_by()
    }
    last = list(
        OutgoingEmail.objects.filter(status=EmailStatus.FAILED)
        .only("recipient", "template", "last_error", "attempts", "created_at")
        .order_by("-pk")[:failures]
    )
    return OutboxSummary(
        pending=int(counts.get(EmailStatus.PENDING, 0)),
        failed=int(counts.get(EmailStatus.FAILED, 0)),
        last_failures=last,
    )
