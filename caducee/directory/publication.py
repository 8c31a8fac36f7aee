"""National publication: FHIR R4 Bundle, pipe-separated extraction and the HTTP push."""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.conf import settings
from django.db import transaction

from caducee.accounts.models import Account
from caducee.audit.log import record as audit
from caducee.core.context import Context
from caducee.core.errors import Invalid, OperationError
from caducee.directory import feed
from caducee.directory.models import MailboxListing
from caducee.directory.records import (
    PERSON_SYSTEM,
    STRUCTURE_SYSTEM,
    Record,
    profession_label,
    specialty_label,
)
from caducee.structures.access import require_admin
from caducee.structures.models import Structure

METADATA_URL = "https://interop.esante.gouv.fr/ig/fhir/annuaire/StructureDefinition/as-ext-mailbox-mss-metadata"
EMAIL_TYPE_URL = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-contact-point-email-type"
EMAIL_TYPE_SYSTEM = (
    "https://mos.esante.gouv.fr/NOS/TRE_R256-TypeMessagerie/FHIR/TRE-R256-TypeMessagerie"
)
BAL_TYPE_SYSTEM = "https://mos.esante.gouv.fr/NOS/TRE_R257-TypeBAL/FHIR/TRE-R257-TypeBAL"
PIPE_COLUMNS: tuple[str, ...] = (
    "Type de BAL",
    "Adresse BAL",
    "Type Identifiant PP",
    "Identifiant PP",
    "Identification nationale PP",
    "Type identifiant structure",
    "Identification Structure",
    "Service de rattachement",
    "Civilité d'exercice",
    "Nom d'exercice",
    "Prénom d'exercice",
    "Catégorie profession",
    "Libellé de catégorie profession",
    "Code Profession",
    "Libellé Profession",
    "Code savoir-faire",
    "Libellé savoir-faire",
    "Dématérialisation",
    "Raison Sociale structure BAL",
    "Enseigne commerciale structure BAL",
    "L2COMPLEMENTLOCALISATION structure BAL",
    "L3COMPLEMENTDISTRIBUTION structure BAL",
    "L4NUMEROVOIE structure BAL",
    "L4COMPLEMENTNUMEROVOIE structure BAL",
    "NL4TYPEVOIE structure BAL",
    "L4LIBELLEVOIE structure BAL",
    "L5LIEUDITMENTION structure BAL",
    "L6LIGNEACHEMINEMENT structure BAL",
    "Code postal structure BAL",
    "Département structure BAL",
    "Pays structure BAL",
)
PIPE_TYPES = ("PER", "ORG")  # APP mailboxes are not in the public extraction


def publishable(structure: Structure) -> list[Record]:
    """Records without a blocking finding in the feed report."""
    return [row.record for row in feed.report(structure) if not row.blocked]


# --- FHIR ---------------------------------------------------------------------------------


def contact_point(rec: Record) -> dict[str, Any]:
    metadata: list[dict[str, Any]] = [
        {
            "url": "type",
            "valueCodeableConcept": {"coding": [{"system": BAL_TYPE_SYSTEM, "code": rec.bal_type}]},
        }
    ]
    for key, value in (
        ("description", rec.description),
        ("responsible", rec.responsible),
        ("service", rec.service),
    ):
        if value:
            metadata.append({"url": key, "valueString": value})
    metadata.append({"url": "digitization", "valueBoolean": rec.dematerialisation})
    metadata.append({"url": "listeRouge", "valueBoolean": False})
    return {
        "extension": [
            {
                "url": EMAIL_TYPE_URL,
                "valueCoding": {"system": EMAIL_TYPE_SYSTEM, "code": "MSSANTE"},
            },
            {"url": METADATA_URL, "extension": metadata},
        ],
        "system": "email",
        "value": rec.address,
        "use": "work",
    }


def _organization(rid: str, name: str, value: str, structure: Structure) -> dict[str, Any]:
    address: dict[str, Any] = {"country": "FRA"}
    if structure.address1:
        address["line"] = [structure.address1]
    if structure.postal_code:
        address["postalCode"] = structure.postal_code
    if structure.city:
        address["city"] = structure.city
    if structure.department:
        address["district"] = structure.department
    return {
        "resourceType": "Organization",
        "id": rid,
        "identifier": [{"use": "official", "system": STRUCTURE_SYSTEM, "value": value}],
        "name": name,
        "address": [address],
        "telecom": [],
    }


def fhir_bundle(structure: Structure, records: Iterable[Record]) -> dict[str, Any]:
    """A `collection` Bundle: Organization(s), Practitioner(s) and PractitionerRole(s)."""
    base = settings.BASE_URL.rstrip("/")
    organizations: dict[str, dict[str, Any]] = {}
    entries: list[dict[str, Any]] = []

    def organization(value: str, name: str) -> dict[str, Any]:
        if value not in organizations:
            res = _organization(f"org-{value}", name or structure.name, value, structure)
            organizations[value] = res
        return organizations[value]

    for rec in records:
        account = rec.account
        if rec.person_id is not None:
            pid = rec.person_id.value
            practitioner = {
                "resourceType": "Practitioner",
                "id": f"pp-{pid}",
                "identifier": [{"use": "official", "system": PERSON_SYSTEM, "value": pid}],
                "name": [{"family": account.last_name, "given": [account.first_name]}],
            }
            role: dict[str, Any] = {
                "resourceType": "PractitionerRole",
                "id": f"role-{pid}-{account.pk}",
                "practitioner": {"reference": f"Practitioner/pp-{pid}"},
                "telecom": [contact_point(rec)],
            }
            if account.profession:
                role["code"] = [
                    {
                        "coding": [
                            {
                                "system": "https://mos.esante.gouv.fr/NOS/TRE_G15-ProfessionSante/"
                                "FHIR/TRE-G15-ProfessionSante",
                                "code": account.profession,
                                "display": profession_label(account.profession),
                            }
                        ]
                    }
                ]
            if rec.structure_id is not None:
                org = organization(rec.structure_id.value, account.company_name)
                role["organization"] = {"reference": f"Organization/{org['id']}"}
            entries.append(practitioner)
            entries.append(role)
        elif rec.structure_id is not None:
            organization(rec.structure_id.value, account.company_name)["telecom"].append(
                contact_point(rec)
            )
    resources = list(organizations.values()) + entries
    seen: set[str] = set()
    unique: list[dict[str, Any]] = []
    for res in resources:
        key = f"{res['resourceType']}/{res['id']}"
        if key not in seen:
            seen.add(key)
            unique.append(res)
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "total": len(unique),
        "entry": [
            ({"fullUrl": f"{base}/fhir/{r['resourceType']}/{r['id']}"} if base else {})
            | {"resource": r}
            for r in unique
        ],
    }


# --- Pipe-separated public extraction -------------------------------------------------------


def _pipe_cell(value: str) -> str:
    return " ".join(value.replace("|", " ").split())


def pipe_row(rec: Record) -> list[str]:
    account = rec.account
    structure = account.structure
    person = rec.person_id
    struct = rec.structure_id
    is_person = rec.bal_type == "PER"
    row = {
        "Type de BAL": rec.bal_type,
        "Adresse BAL": rec.address,
        "Type Identifiant PP": ("8" if person.kind == "RPPS" else "0") if person else "",
        "Identifiant PP": person.number if person else "",
        "Identification nationale PP": person.value if person else "",
        "Type identifiant structure": struct.prefix if struct else "",
        "Identification Structure": struct.value if struct else "",
        "Service de rattachement": rec.service,
        "Civilité d'exercice": account.civility,
        "Nom d'exercice": account.last_name if is_person else "",
        "Prénom d'exercice": account.first_name if is_person else "",
        "Code Profession": account.profession if is_person else "",
        "Libellé Profession": profession_label(account.profession) if is_person else "",
        "Code savoir-faire": account.specialty if is_person else "",
        "Libellé savoir-faire": specialty_label(account.specialty) if is_person else "",
        "Dématérialisation": "O" if rec.dematerialisation else "N",
        "Raison Sociale structure BAL": account.company_name or structure.name,
        "L2COMPLEMENTLOCALISATION structure BAL": account.address2,
        "L4LIBELLEVOIE structure BAL": account.address1,
        "L6LIGNEACHEMINEMENT structure BAL": f"{account.postal_code} {account.city}".strip(),
        "Code postal structure BAL": account.postal_code,
        "Département structure BAL": account.department,
        "Pays structure BAL": "France",
    }
    return [_pipe_cell(row.get(column, "")) for column in PIPE_COLUMNS]


def pipe_text(records: Iterable[Record]) -> str:
    lines = ["|".join(PIPE_COLUMNS)]
    for rec in records:
        if rec.bal_type in PIPE_TYPES:
            lines.append("|".join(pipe_row(rec)))
    return "\n".join(lines) + "\n"


def _export_text(structure: Structure, fmt: str) -> tuple[str, int]:
    """(text, number of records) of the publication export."""
    records = publishable(structure)
    if fmt == "fhir":
        text = json.dumps(fhir_bundle(structure, records), ensure_ascii=False, indent=2)
    elif fmt == "pipe":
        text = pipe_text(records)
    else:
        raise Invalid(f"Format « {fmt} » inconnu : choisissez fhir ou pipe.")
    return text, len(records)


def publication_text(structure: Structure, fmt: str) -> str:
    """The export's text, without check nor audit (a background export, caducee/exports,
    whose request is checked and audited there)."""
    return _export_text(structure, fmt)[0]


def export(ctx: Context, structure: Structure, fmt: str) -> str:
    """The structure's publishable records as FHIR JSON or pipe text (UTF-8)."""
    require_admin(ctx, structure)
    text, count = _export_text(structure, fmt)
    with transaction.atomic():
        audit(
            ctx,
            "directory.export",
            structure=structure,
            target=structure,
            detail={"format": fmt, "records": count},
        )
    return text


# --- Push ---------------------------------------------------------------------------------


@dataclass
class PushPlan:
    inserts: list[Record] = field(default_factory=list)
    replaces: list[Record] = field(default_factory=list)
    deletes: list[tuple[Account, MailboxListing]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.inserts or self.replaces or self.deletes)


def record_hash(rec: Record) -> str:
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


def _add(rec: Record) -> dict[str, Any]:
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
        audit(
            ctx,
            "directory.push",
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
