"""REST API of the account lifecycle: status, inactivity exemption, export of inactive
mailboxes, and one run of the rules (operator)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Router, Schema

from caducee.accounts.access import access_account
from caducee.api.auth import api_context
from caducee.api.errors import responses
from caducee.core.web import api_user
from caducee.lifecycle import operations
from caducee.lifecycle.status import lifecycle_status
from caducee.structures.access import access_structure

router = Router(tags=["cycle de vie"])


class LifecycleOut(Schema):
    """An account's expiry and inactivity: dates, days left, exemption."""

    account_id: int
    email: str
    state: str
    expiry_date: date | None
    expiry_days_left: int | None
    last_activity_at: datetime
    deletion_date: date | None
    deletion_days_left: int | None
    inactivity_days: int
    inactivity_exempt_reason: str
    deleted_at: datetime | None


class ExemptionIn(Schema):
    reason: str


class RunIn(Schema):
    today: date | None = None


class RunOut(Schema):
    day: date
    expired: list[str]
    deleted: list[str]
    expiry_warnings: int
    inactivity_warnings: int
    summary: str


def lifecycle_out(account: Any) -> dict[str, Any]:
    status = lifecycle_status(account)
    return {"account_id": account.pk, "email": account.email, **status.__dict__}


@router.get(
    "/accounts/{account_id}/lifecycle",
    response=responses({200: LifecycleOut}, 404),
    summary="Péremption et inactivité d'un compte (jours restants, exemption)",
)
def get_lifecycle(request: HttpRequest, account_id: int) -> Any:
    return lifecycle_out(access_account(api_user(request), account_id))


@router.put(
    "/accounts/{account_id}/inactivity-exemption",
    response=responses({200: LifecycleOut}, 403, 404, 422),
    summary="Exempter un compte de la suppression pour inactivité (motif obligatoire)",
)
def exempt(request: HttpRequest, account_id: int, payload: ExemptionIn) -> Any:
    account = access_account(api_user(request), account_id)
    return lifecycle_out(
        operations.exempt_from_inactivity(api_context(request), account, payload.reason)
    )


@router.delete(
    "/accounts/{account_id}/inactivity-exemption",
    response=responses({200: LifecycleOut}, 403, 404),
    summary="Retirer l'exemption de suppression pour inactivité",
)
def unexempt(request: HttpRequest, account_id: int) -> Any:
    account = access_account(api_user(request), account_id)
    return lifecycle_out(operations.remove_inactivity_exemption(api_context(request), account))


@router.get(
    "/structures/{structure_id}/inactive-accounts.{fmt}",
    response=responses({200: None}, 404, 422),
    summary="Comptes inactifs supprimés depuis 6 mois et prochainement supprimés (csv ou xlsx)",
)
def export_inactive(request: HttpRequest, structure_id: int, fmt: str) -> Any:
    structure = access_structure(api_user(request), structure_id)
    export = operations.export_inactive(api_context(request), structure, fmt)
    response = HttpResponse(export.data, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.name}"'
    response["X-Content-Type-Options"] = "nosniff"
    return response


@router.post(
    "/lifecycle/run",
    response=responses({200: RunOut}, 403, 404, 422),
    summary="Passer les règles de cycle de vie (opérateur) : péremption, inactivité",
)
def run(request: HttpRequest, payload: RunIn) -> Any:
    summary = operations.run_lifecycle(api_context(request), payload.today)
    return {
        "day": summary.day,
        "expired": summary.expired,
        "deleted": summary.deleted,
        "expiry_warnings": summary.expiry_warnings,
        "inactivity_warnings": summary.inactivity_warnings,
        "summary": summary.text,
    }
