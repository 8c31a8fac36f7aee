"""Business actions of the account lifecycle: the daily run, the inactivity exemption and the
export of inactive mailboxes (docs/ACCOUNTS.md, « Expiry, inactivity and deletion »)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.db import transaction

from caducee.accounts.models import Account
from caducee.accounts.operations import deactivate_account
from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.core.context import Context
from caducee.core.errors import Invalid, NotFound, Problem
from caducee.lifecycle.deletion import delete_for_inactivity
from caducee.lifecycle.export import ExportFile, build_export, export_rows
from caducee.lifecycle.models import WarningKind
from caducee.lifecycle.planning import first_warnings, planned_deletion
from caducee.lifecycle.rules import (
    MIN_NOTICE_DAYS,
    WARNING_DAYS,
    deletion_date,
    expiring,
    inactivity_candidates,
    today,
)
from caducee.lifecycle.warnings import warn
from caducee.structures.access import require_admin
from caducee.structures.models import Structure

__all__ = [
    "RunSummary",
    "exempt_from_inactivity",
    "export_inactive",
    "remove_inactivity_exemption",
    "run_lifecycle",
]

MAX_REASON = 250


@dataclass
class RunSummary:
    day: date
    expired: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)
    expiry_warnings: int = 0
    inactivity_warnings: int = 0
    failures: list[str] = field(default_factory=list)  # "email : why", one per account

    @property
    def text(self) -> str:
        """The French one-line summary (scheduler page, CLI)."""
        return (
            f"{self.day:%d/%m/%Y} : {len(self.expired)} compte(s) désactivé(s) à leur date de "
            f"péremption, {len(self.deleted)} BAL supprimée(s) pour inactivité, "
            f"{self.expiry_warnings} avertissement(s) de péremption et "
            f"{self.inactivity_warnings} avertissement(s) d'inactivité envoyé(s)."
        )


def _expire(ctx: Context, summary: RunSummary, account: Account, on: date) -> None:
    due = account.expiry_date
    assert due is not None  # filtered on
    if due <= on:
        with transaction.atomic():
            deactivate_account(ctx, account)  # audits account.deactivate, revokes access
            record_event(
                ctx,
                AuditAction.ACCOUNT_EXPIRE,
                structure=account.structure,
                target=account,
                detail={"expiry_date": due.isoformat(), "run_day": on.isoformat()},
            )
        summary.expired.append(account.email)
    elif warn(ctx, account, WarningKind.EXPIRY, due, on):
        summary.expiry_warnings += 1


def _expiry(ctx: Context, summary: RunSummary, on: date) -> None:
    horizon = max(WARNING_DAYS)
    accounts = expiring(Account.objects.all(), horizon, on).select_related("structure", "user")
    for account in list(accounts.order_by("expiry_date", "pk")):
        try:
            _expire(ctx, summary, account, on)
        except Exception as exc:  # one account's failure does not stop the others
            summary.failures.append(f"{account.email} : {exc}")


def _inactive(
    ctx: Context,
    summary: RunSummary,
    account: Account,
    on: date,
    warned: dict[tuple[int, date], date],
) -> None:
    due = deletion_date(account)
    if due is None:
        return
    first = warned.get((account.pk, due))
    if due <= on and first is not None and first + timedelta(days=MIN_NOTICE_DAYS) <= on:
        delete_for_inactivity(ctx, account, on)
        summary.deleted.append(account.email)
        return
    shown = planned_deletion(account, on, warned)
    if warn(ctx, account, WarningKind.INACTIVITY, due, on, shown=shown):
        summary.inactivity_warnings += 1


def _inactivity(ctx: Context, summary: RunSummary, on: date) -> None:
    candidates = list(
        inactivity_candidates(Account.objects.all(), max(WARNING_DAYS), on)
        .select_related("structure", "user")
        .order_by("pk")
    )
    warned = first_warnings(candidates)
    for account in candidates:
        try:
            _inactive(ctx, summary, account, on, warned)
        except Exception as exc:  # one account's failure does not stop the others
            summary.failures.append(f"{account.email} : {exc}")


def run_lifecycle(ctx: Context, on: date | None = None) -> RunSummary:
    """The operator or the server (scheduler, CLI); audits `lifecycle.run` when it did anything.

    One pass of the rules for day `on` (default today): accounts whose « Date de
    péremption » has come are deactivated; warnings of expiry and of inactivity are sent 30
    and 7 days before; mailboxes inactive for `CADUCEE_INACTIVITY_DAYS` are deleted. Every
    warning is sent once (a second run of the same day sends nothing). Each account is
    done in its own transaction; one that fails does not stop the others, and the run
    then raises Invalid naming them (the scheduler records it as the job's error).
    """
    if not (ctx.is_server or ctx.is_operator):
        raise NotFound("Page introuvable.")
    day = on or today()
    summary = RunSummary(day)
    _expiry(ctx, summary, day)
    _inactivity(ctx, summary, day)
    if summary.expired or summary.deleted or summary.expiry_warnings or summary.inactivity_warnings:
        with transaction.atomic():
            record_event(
                ctx,
                AuditAction.LIFECYCLE_RUN,
                detail={
                    "day": day.isoformat(),
                    "expired": len(summary.expired),
                    "deleted": len(summary.deleted),
                    "expiry_warnings": summary.expiry_warnings,
                    "inactivity_warnings": summary.inactivity_warnings,
                },
            )
    if summary.failures:
        raise Invalid(
            f"{summary.text} Échec pour {len(summary.failures)} compte(s) : "
            + " ; ".join(summary.failures)
        )
    return summary


def exempt_from_inactivity(ctx: Context, account: Account, reason: str) -> Account:
    """Admin of the account's structure; audits `account.inactivity_exempt`.

    The mailbox is never deleted for inactivity while the exemption lasts; the reason is
    required and kept on the account and in the journal.
    """
    require_admin(ctx, account.structure)
    text = " ".join(reason.split())
    if not text:
        message = "Indiquez le motif de l'exemption (par exemple : BAL de garde, archive légale)."
        raise Invalid(message, [Problem("reason", "required", message)])
    if len(text) > MAX_REASON:
        message = f"Le motif dépasse {MAX_REASON} caractères : raccourcissez-le."
        raise Invalid(message, [Problem("reason", "too_long", message)])
    if account.is_deleted:
        message = "Ce compte est supprimé : il ne peut plus être exempté."
        raise Invalid(message, [Problem("reason", "deleted", message)])
    with transaction.atomic():
        before = account.inactivity_exempt_reason
        account.inactivity_exempt_reason = text
        account.save(update_fields=["inactivity_exempt_reason", "updated_at"])
        record_event(
            ctx,
            AuditAction.ACCOUNT_INACTIVITY_EXEMPT,
            structure=account.structure,
            target=account,
            detail={"reason": text, "before": before},
        )
    return account


def remove_inactivity_exemption(ctx: Context, account: Account) -> Account:
    """Admin of the account's structure; audits `account.inactivity_exempt_remove`."""
    require_admin(ctx, account.structure)
    if not account.inactivity_exempt_reason:
        return account
    with transaction.atomic():
        before = account.inactivity_exempt_reason
        account.inactivity_exempt_reason = ""
        account.save(update_fields=["inactivity_exempt_reason", "updated_at"])
        record_event(
            ctx,
            AuditAction.ACCOUNT_INACTIVITY_EXEMPT_REMOVE,
            structure=account.structure,
            target=account,
            detail={"reason": before},
        )
    return account


def export_inactive(
    ctx: Context, structure: Structure, fmt: str, on: date | None = None
) -> ExportFile:
    """Admin of the structure; audits `account.inactive_export`.

    « Exporter la liste des comptes inactifs supprimés depuis 6 mois (et prochainement
    supprimés) », in CSV or XLSX.
    """
    require_admin(ctx, structure)
    if fmt not in ("csv", "xlsx"):
        message = f"Format « {fmt} » inconnu : choisissez csv ou xlsx."
        raise Invalid(message, [Problem("format", "unknown", message)])
    day = on or today()
    rows = list(export_rows(structure, day))
    with transaction.atomic():
        record_event(
            ctx,
            AuditAction.ACCOUNT_INACTIVE_EXPORT,
            structure=structure,
            target=structure,
            detail={"format": fmt, "rows": len(rows), "day": day.isoformat()},
        )
    return build_export(structure, fmt, day, rows)
