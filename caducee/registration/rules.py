"""What the registration pages, the API and the operations read: the open regions, who
is the service centre, the structure an identifier names, the suggested MSSanté address."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from caducee.accounts.models import Account, AccountType
from caducee.accounts.validation import clean_account
from caducee.core.errors import Invalid, NotFound, Problem
from caducee.core.secrets import digest
from caducee.people.models import User
from caducee.referentials import identifiers, lists
from caducee.referentials.rpps_check import check_professional
from caducee.referentials.text import fold
from caducee.registration.models import (
    RegistrationRequest,
    RequestKind,
    RequestState,
    ServiceCentreMember,
)
from caducee.structures.models import Structure, StructureIdType
from caducee.structures.operations import StructureInput

# The structure identifiers a requester may give, FINESS géographique first (seed 003).
ID_TYPES = (
    (StructureIdType.FINESS_EG.value, "FINESS géographique"),
    (StructureIdType.SIRET.value, "SIRET"),
    (StructureIdType.SIREN.value, "SIREN"),
)
_LOADUSER_ID_TYPE = {"FINESS_EG": "FINESS", "SIRET": "SIRET", "SIREN": "SIREN"}
FORM_KEYS = (
    "email",
    "description",
    "last_name",
    "first_name",
    "profession",
    "rpps",
    "structure_name",
    "id_type",
    "id_number",
    "address1",
    "postal_code",
    "city",
    "department",
    "region",
    "service",
    "phone1",
    "phone2",
    "resp_last_name",
    "resp_first_name",
    "resp_profession",
    "resp_identifier",
    "requester_last_name",
    "requester_first_name",
    "requester_profession",
)
# An account field's problem shown on the form field the requester typed it in.
_ORG_FIELD = {
    "last_name": "structure_name",
    "first_name": "structure_name",
    "company_name": "structure_name",
    "profession": "resp_profession",
    "resp_structure_id": "id_number",
    "resp_structure_id_type": "id_type",
    "connection_accounts": "",
}
_PER_FIELD = {"company_name": "structure_name", "resp_structure_id": "id_number"}


@dataclass
class Prepared:
    """A checked request: the account's values, the structure's, and what matched."""

    kind: str
    raw: dict[str, Any]
    structure_input: StructureInput
    data: dict[str, Any]


def text_of(data: Mapping[str, Any], key: str) -> str:
    return " ".join(str(data.get(key) or "").split())


def _yes(data: Mapping[str, Any], key: str) -> bool:
    value = data.get(key, True)
    return value if isinstance(value, bool) else str(value).lower() in {"on", "1", "true", "oui"}


def _account_raw(kind: str, data: Mapping[str, Any], connection: str) -> dict[str, Any]:
    structure_name = text_of(data, "structure_name")
    common = {
        "type": kind,
        "email": text_of(data, "email"),
        "company_name": structure_name,
        "address1": text_of(data, "address1"),
        "postal_code": text_of(data, "postal_code"),
        "city": text_of(data, "city"),
        "department": text_of(data, "department"),
        "region": text_of(data, "region"),
        "phone1": text_of(data, "phone1"),
        "phone2": text_of(data, "phone2"),
        "liberal": "OUI",
    }
    if kind == AccountType.PER:
        return common | {
            "last_name": text_of(data, "last_name").upper(),
            "first_name": text_of(data, "first_name"),
            "rpps": text_of(data, "rpps"),
            "profession": text_of(data, "profession"),
        }
    id_type = _LOADUSER_ID_TYPE.get(text_of(data, "id_type"), text_of(data, "id_type"))
    return common | {
        "last_name": (text_of(data, "service") or structure_name).upper(),
        "first_name": structure_name,
        "profession": text_of(data, "resp_profession"),
        "resp_structure_id_type": id_type,
        "resp_structure_id": text_of(data, "id_number"),
        "resp_last_name": text_of(data, "resp_last_name").upper(),
        "resp_first_name": text_of(data, "resp_first_name"),
        "resp_profession": text_of(data, "resp_profession"),
        "resp_identifier": text_of(data, "resp_identifier"),
        "description": text_of(data, "description"),
        "connection_accounts": connection,
    }


def _structure_problems(data: Mapping[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    if not text_of(data, "structure_name"):
        problems.append(
            Problem(
                "structure_name",
                "required",
                "Indiquez la raison sociale de la structure (ex. Pharmacie du Centre).",
            )
        )
    id_type = text_of(data, "id_type")
    if id_type not in _LOADUSER_ID_TYPE:
        problems.append(
            Problem(
                "id_type",
                "choice",
                "Choisissez le type d'identifiant : FINESS géographique de préférence, sinon "
                "SIRET ou SIREN.",
            )
        )
    elif not text_of(data, "id_number"):
        problems.append(
            Problem(
                "id_number",
                "required",
                "Indiquez l'identifiant de la structure (FINESS géographique, SIRET ou SIREN).",
            )
        )
    else:
        try:
            identifiers.validate_structure_identifier(id_type, text_of(data, "id_number"))
        except identifiers.InvalidIdentifier as exc:
            problems.append(Problem("id_number", "identifier", str(exc)))
    return problems


def _rpps_problem(kind: str, values: Mapping[str, Any]) -> list[Problem]:
    """The RPPS with its key and, when the extraction is loaded, against it."""
    if kind == AccountType.PER:
        keys = ("rpps", "last_name", "first_name", "profession")
    else:
        keys = ("resp_identifier", "resp_last_name", "resp_first_name", "resp_profession")
    number, last, first, profession = (str(values.get(k) or "") for k in keys)
    if not number:
        return []
    check = check_professional(number, last, first, profession)
    return [] if check.ok else [Problem(keys[0], str(check.status), check.message)]


def _email_problems(email: str, account: Account | None) -> list[Problem]:
    taken = Account.objects.filter(email=email)
    if account is not None:
        taken = taken.exclude(pk=account.pk)
    if taken.exists() or (account is None and User.objects.filter(email=email).exists()):
        return [
            Problem(
                "email",
                "unique",
                f"L'adresse {email} sert déjà à un compte de la plateforme : une adresse ne "
                "sert qu'à un compte. Choisissez une autre adresse.",
            )
        ]
    return []


def _on_form(kind: str, problem: Problem) -> Problem:
    mapping = _PER_FIELD if kind == AccountType.PER else _ORG_FIELD
    return replace(problem, field=mapping.get(problem.field, problem.field))


def prepare(
    kind: str, data: Mapping[str, Any], *, connection: str = "", account: Account | None = None
) -> Prepared:
    """Every check of the form, nothing written: the field spec's rules (the « générique »
    rule of an ORG address included), the structure's identifier with its key, the RPPS
    against the loaded extraction, a free address. Invalid names each field in French."""
    if kind not in RequestKind.values:
        raise Invalid("Type de demande inconnu : choisissez ORG ou PER.")
    clean_data = {k: data.get(k) for k in FORM_KEYS if k in data}
    clean_data["dematerialisation"] = _yes(data, "dematerialisation")
    clean_data["visible"] = _yes(data, "visible")
    raw = _account_raw(kind, clean_data, connection)
    cleaned = clean_account(raw)
    problems = [_on_form(kind, p) for p in cleaned.problems if p.is_error]
    problems += _structure_problems(clean_data)
    if cleaned.values.get("email") and not any(p.field == "email" for p in problems):
        problems += _email_problems(str(cleaned.values["email"]), account)
    if not any(p.field in ("rpps", "resp_identifier") for p in problems):
        problems += _rpps_problem(kind, cleaned.values)
    if problems:
        first: dict[str, Problem] = {}  # one message a field (the key is checked twice)
        for problem in problems:
            first.setdefault(problem.field, problem)
        raise Invalid(
            "La demande n'a pas été envoyée : corrigez les champs signalés.", list(first.values())
        )
    structure_input = StructureInput(
        name=text_of(clean_data, "structure_name"),
        id_type=text_of(clean_data, "id_type"),
        id_number=identifiers.validate_structure_identifier(
            text_of(clean_data, "id_type"), text_of(clean_data, "id_number")
        ),
        address1=str(cleaned.values.get("address1") or ""),
        postal_code=str(cleaned.values.get("postal_code") or ""),
        city=str(cleaned.values.get("city") or ""),
        department=str(cleaned.values.get("department") or ""),
        region=str(cleaned.values.get("region") or ""),
        phone=str(cleaned.values.get("phone1") or ""),
    )
    return Prepared(kind, raw, structure_input, clean_data)


def request_for_correction(token: str) -> RegistrationRequest:
    """The request a correction link opens (NotFound when unknown, used or expired)."""
    request = (
        RegistrationRequest.objects.select_related("account", "account__structure")
        .filter(
            correction_token_hash=digest(token),
            state=RequestState.TO_CORRECT,
            correction_expires_at__gt=timezone.now(),
        )
        .first()
        if token
        else None
    )
    if request is None:
        raise NotFound("Ce lien de correction n'est plus valable.")
    return request


def open_regions() -> list[tuple[str, str]]:
    """(INSEE code, name) of the regions where self-registration is open, in setting order."""
    referential = lists.regions()
    return [
        (code, referential.label(code))
        for code in settings.REGISTRATION_REGIONS
        if referential.lookup(code) is not None
    ]


def is_region_open(region: str) -> bool:
    return region in {code for code, _ in open_regions()}


def is_centre(user: User | None) -> bool:
    """The operator, or a member of the service centre (`caducee registration centre`)."""
    if user is None or not user.is_active:
        return False
    return user.is_operator or ServiceCentreMember.objects.filter(user=user).exists()


def matching_structure(id_type: str, number: str) -> Structure | None:
    """The structure of the platform with this identifier: a FINESS géographique may be
    registered as the structure's FINESS (EJ or EG), a SIRET as its SIREN."""
    structures = Structure.objects.filter(is_external=False)
    if id_type == StructureIdType.FINESS_EG:
        found = structures.filter(
            id_type__in=[StructureIdType.FINESS_EG, StructureIdType.FINESS_EJ], id_number=number
        ).first()
    elif id_type == StructureIdType.SIRET:
        found = structures.filter(
            Q(id_type=StructureIdType.SIRET, id_number=number)
            | Q(id_type=StructureIdType.SIREN, id_number=number[:9])
        ).first()
    else:
        found = structures.filter(
            Q(id_type=StructureIdType.SIREN, id_number=number)
            | Q(id_type=StructureIdType.SIRET, id_number__startswith=number)
        ).first()
    return found


def suggested_particle(request: RegistrationRequest) -> str:
    """The seed's form of an MSSanté address: name, postal code and city for a structure's
    mailbox (`pharmacie.du.centre.81000.albi`), first and last name for a professional."""
    account = request.account
    if request.kind == AccountType.PER:
        source = f"{account.first_name} {account.last_name}"
    else:
        data = request.data
        source = f"{data.get('structure_name', '')} {account.postal_code} {account.city}"
    words = re.sub(r"[^a-z0-9]+", ".", fold(source)).strip(".")
    return words[:64].strip(".")


def centre_members() -> list[User]:
    return list(User.objects.filter(service_centre__isnull=False).order_by("email"))
