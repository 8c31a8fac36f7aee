"""FHIR R4 resources of the national publication: the `collection` Bundle of a structure
(Organization, Practitioner, PractitionerRole) and the MSSanté ContactPoint they carry."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from django.conf import settings

from caducee.directory.publication_rows import (
    PERSON_SYSTEM,
    STRUCTURE_SYSTEM,
    PublicationRow,
    profession_label,
)
from caducee.structures.models import Structure

METADATA_URL = "https://interop.esante.gouv.fr/ig/fhir/annuaire/StructureDefinition/as-ext-mailbox-mss-metadata"
EMAIL_TYPE_URL = "https://hl7.fr/ig/fhir/core/StructureDefinition/fr-core-contact-point-email-type"
EMAIL_TYPE_SYSTEM = (
    "https://mos.esante.gouv.fr/NOS/TRE_R256-TypeMessagerie/FHIR/TRE-R256-TypeMessagerie"
)
BAL_TYPE_SYSTEM = "https://mos.esante.gouv.fr/NOS/TRE_R257-TypeBAL/FHIR/TRE-R257-TypeBAL"


def contact_point(rec: PublicationRow) -> dict[str, Any]:
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


def fhir_bundle(structure: Structure, records: Iterable[PublicationRow]) -> dict[str, Any]:
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
