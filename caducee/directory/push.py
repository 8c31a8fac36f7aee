"""The push to the national directory: what changed since the last successful push (the
plan), the `batch` Bundle of FHIR PATCH requests that sends it, and the HTTP call."""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import transaction

from caducee.accounts.models import Account
from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.core.context import Context
from caducee.core.errors import OperationError
from caducee.directory.feed import publishable
from caducee.directory.fhir import contact_point
from caducee.directory.models import MailboxListing
from caducee.directory.publication_rows import PublicationRow
from caducee.structures.access import require_admin
from caducee.structures.models import Structure


@dataclass
class PushPlan:
    inserts: list[PublicationRow] = field(default_factory=list)
    replaces: list[PublicationRow] = field(default_factory=list)
    deletes: list[tuple[Account, MailboxListing]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.inserts or self.replaces or self.deletes)


def record_hash(rec: PublicationRow) -> str:
    payload = json.dumps([rec.carrier, contact_point(rec)], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(payload.encode()).hexdigest()


def plan(structure: Structure) -> PushPlan:
    """What changed since the last successful push."""
    result = PushPlan()
    wanted = {rec.account.pk: rec for rec in publishable(structure)}
    listings = MailboxListing.objects.filter(account__structure=structure).select_related(
        "account__structure"
    )
    published = {lst.account_id: lst for lst in listings if lst.published_address}
    for pk, rec in wanted.items():
        current = published.get(pk)
        if current is None:
            result.inserts.append(rec)
        elif current.published_carrier != rec.carrier:
            result.deletes.append((current.account, current))  # moved: withdraw, then add
            result.inserts.append(rec)
        elif current.published_hash != record_hash(rec):
            result.replaces.append(rec)
    for pk, lst in published.items():
        if pk not in wanted:
            result.deletes.append((lst.account, lst))
    return result


def _patch(url: str, operations: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "request": {"method": "PATCH", "url": url},
        "resource": {"resourceType": "Parameters", "parameter": operations},
    }


def _resource_type(carrier: str) -> str:
    return carrier.partition("?")[0]


def _add(rec: PublicationRow) -> dict[str, Any]:
    return {
        "name": "operation",
        "part": [
            {"name": "type", "valueCode": "add"},
            {"name": "path", "valueString": _resource_type(rec.carrier)},
            {"name": "name", "valueString": "telecom"},
            {"name": "value", "valueContactPoint": contact_point(rec)},
        ],
    }


def _delete(carrier: str, address: str) -> dict[str, Any]:
    safe = address.replace("'", "")
    return {
        "name": "operation",
        "part": [
            {"name": "type", "valueCode": "delete"},
            {
                "name": "path",
                "valueString": f"{_resource_type(carrier)}.telecom.where(value='{safe}')",
            },
        ],
    }


def push_bundle(push: PushPlan) -> dict[str, Any]:
    """A `batch` Bundle of FHIR PATCH requests (insert, replace = delete + add, delete)."""
    entries = [
        _patch(lst.published_carrier, [_delete(lst.published_carrier, lst.published_address)])
        for _account, lst in push.deletes
    ]
    entries += [
        _patch(rec.carrier, [_delete(rec.carrier, rec.address), _add(rec)]) for rec in push.replaces
    ]
    entries += [_patch(rec.carrier, [_add(rec)]) for rec in push.inserts]
    return {"resourceType": "Bundle", "type": "batch", "entry": entries}


class PushUnreachable(OperationError):
    """A transient failure (no answer, timeout, HTTP 408/429/5xx): nothing was marked as
    published, so the same push can be tried again later (the push task retries it)."""


TRANSIENT_HTTP = frozenset({408, 425, 429, 500, 502, 503, 504})


@dataclass(frozen=True)
class PushResult:
    inserted: int
    replaced: int
    deleted: int
    status: int


def push(ctx: Context, structure: Structure) -> PushResult:
    """Send the changes to CADUCEE_DIRECTORY_PUSH_URL; remember what was published."""
    require_admin(ctx, structure)
    url = getattr(settings, "DIRECTORY_PUSH_URL", "")
    if not url:
        raise OperationError(
            "Aucune adresse de publication configurée : renseignez CADUCEE_DIRECTORY_PUSH_URL."
        )
    todo = plan(structure)
    status = 0
    if not todo.empty:
        status = _send(url, getattr(settings, "DIRECTORY_PUSH_TOKEN", ""), push_bundle(todo))
    now = datetime.now(UTC)
    withdrawn = [lst.published_address for _account, lst in todo.deletes]
    with transaction.atomic():
        for _account, lst in todo.deletes:
            lst.published_address = lst.published_type = lst.published_hash = ""
            lst.published_carrier = ""
            lst.published_at = now
            lst.save()
        for rec in todo.inserts + todo.replaces:
            lst, _ = MailboxListing.objects.get_or_create(account=rec.account)
            lst.published_address = rec.address
            lst.published_type = rec.bal_type
            lst.published_carrier = rec.carrier
            lst.published_hash = record_hash(rec)
            lst.published_at = now
            lst.save()
        record_event(
            ctx,
            AuditAction.DIRECTORY_PUSH,
            structure=structure,
            target=structure,
            detail={
                "url": url,
                "status": status,
                "inserted": [r.address for r in todo.inserts],
                "replaced": [r.address for r in todo.replaces],
                "deleted": withdrawn,
            },
        )
    return PushResult(len(todo.inserts), len(todo.replaces), len(todo.deletes), status)


def _send(url: str, token: str, bundle: dict[str, Any]) -> int:
    if not url.startswith(("https://", "http://")):
        raise OperationError("CADUCEE_DIRECTORY_PUSH_URL doit commencer par https:// ou http://.")
    body = json.dumps(bundle, ensure_ascii=False).encode()
    headers = {"Content-Type": "application/fhir+json; charset=utf-8"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    timeout = getattr(settings, "DIRECTORY_PUSH_TIMEOUT", 30)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            return int(response.status)
    except urllib.error.HTTPError as exc:
        if exc.code in TRANSIENT_HTTP:
            raise PushUnreachable(
                f"L'annuaire national est indisponible (HTTP {exc.code}) : rien n'a été "
                "marqué comme publié ; relancez plus tard."
            ) from None
        raise OperationError(
            f"L'annuaire national a refusé la publication (HTTP {exc.code}) : rien n'a été "
            "marqué comme publié ; corrigez puis relancez."
        ) from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        raise PushUnreachable(
            f"Publication impossible, l'annuaire national ne répond pas ({reason}) : "
            "rien n'a été marqué comme publié ; relancez plus tard."
        ) from None
