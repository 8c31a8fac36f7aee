"""Business actions on structures: create, update, appoint and remove admins.

Who may edit which field of a structure is `structures/ownership.py`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace

from django.db import IntegrityError, transaction

from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.core.context import Context
from caducee.core.errors import Forbidden, Invalid, NotFound, Problem
from caducee.people.models import User
from caducee.referentials import cleaning, identifiers, lists
from caducee.structures.access import require_admin
from caducee.structures.domains import declare_domain, domain_problems
from caducee.structures.models import Structure, StructureAdmin, StructureIdType
from caducee.structures.ownership import OPERATOR_FIELDS, operator_fields_refusal

_DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
EXTERNAL_STRUCTURE_NAME = "Utilisateur externe"

# The platform's shared domains (structures/domains.py), re-exported as an operation.
__all__ = ["declare_domain"]


def _require_operator(ctx: Context) -> None:
    """The operator, or the server itself (CLI, system; a person on the CLI is not)."""
    if not (ctx.is_operator or ctx.is_server):
        raise Forbidden("Seul l'opérateur de la plateforme peut gérer les structures.")


@dataclass
class StructureInput:
    name: str
    id_type: str
    id_number: str
    domain: str = ""
    address1: str = ""
    address2: str = ""
    postal_code: str = ""
    city: str = ""
    department: str = ""
    region: str = ""
    phone: str = ""
    contact_name: str = ""
    contact_email: str = ""


def _clean_contact(data: StructureInput, cleaned: dict[str, str], problems: list[Problem]) -> None:
    cleaned["contact_name"] = " ".join(data.contact_name.split())
    for key, rule in (("phone", cleaning.phone), ("contact_email", cleaning.email)):
        value = getattr(data, key).strip()
        if value:
            try:
                value = rule(value).value
            except cleaning.Rejected as exc:
                problems.append(exc.problem(key))
        cleaned[key] = value


def clean_structure(data: StructureInput) -> tuple[dict[str, str], list[Problem]]:
    problems: list[Problem] = []
    cleaned: dict[str, str] = {}
    name = " ".join(data.name.split())
    if not name:
        problems.append(Problem("name", "required", "Indiquez la raison sociale de la structure."))
    cleaned["name"] = name

    id_type = data.id_type.strip().upper().replace(" ", "_")
    if id_type == "FINESS":
        id_type = StructureIdType.FINESS_EJ
    if id_type not in StructureIdType.values:
        problems.append(
            Problem("id_type", "choice", "Choisissez FINESS (EJ ou EG), SIREN ou SIRET.")
        )
    else:
        try:
            cleaned["id_number"] = identifiers.validate_structure_identifier(
                id_type, data.id_number
            )
        except identifiers.InvalidIdentifier as exc:
            problems.append(Problem("id_number", "identifier", str(exc)))
    cleaned["id_type"] = id_type

    domain = data.domain.strip().lower().rstrip(".")
    if domain and not _DOMAIN.match(domain):
        problems.append(
            Problem(
                "domain",
                "domain",
                f"« {data.domain} » n'est pas un nom de domaine valide "
                "(exemple : ch-albi.mssante.fr).",
            )
        )
    cleaned["domain"] = domain

    for key in ("address1", "address2", "city"):
        cleaned[key] = " ".join(getattr(data, key).split())
    cleaned["city"] = cleaned["city"].upper()
    postal = data.postal_code.replace(" ", "")
    if postal:
        try:
            postal = cleaning.postal_code(postal).value  # 4 digits get their leading zero
        except cleaning.Rejected as exc:
            problems.append(exc.problem("postal_code"))
    cleaned["postal_code"] = postal

    department = ""
    if data.department.strip():
        entry = lists.departments().lookup(data.department)
        if entry is None:
            problems.append(
                Problem(
                    "department",
                    "choice",
                    f"Département « {data.department} » inconnu : indiquez son code (ex. 13) "
                    "ou son nom (ex. Bouches-du-Rhône).",
                )
            )
        else:
            department = entry.code
    cleaned["department"] = department
    region = ""
    if data.region.strip():
        region_entry = lists.regions().lookup(data.region)
        if region_entry is None:
            problems.append(Problem("region", "choice", f"Région « {data.region} » inconnue."))
        else:
            region = region_entry.code
    if department:
        expected = lists.region_of_department(department) or ""
        if region and region != expected:
            problems.append(
                Problem(
                    "region",
                    "mismatch",
                    f"Le département {department} est en région "
                    f"{lists.regions().label(expected)}, pas {lists.regions().label(region)}.",
                )
            )
        region = region or expected
    cleaned["region"] = region
    _clean_contact(data, cleaned, problems)
    return cleaned, problems


def create_structure(ctx: Context, data: StructureInput, *, is_external: bool = False) -> Structure:
    """The platform operator or the server; audits `structure.create`.

    Validates the identifier, the domain and the address, creates the structure and its
    default rights profiles (coordination), in one transaction."""
    _require_operator(ctx)
    cleaned, problems = clean_structure(data)
    _check_unique(cleaned, problems, exclude=None)
    if any(p.is_error for p in problems):
        raise Invalid("La structure n'a pas été créée.", problems)
    with transaction.atomic():
        structure = Structure(is_external=is_external, **cleaned)
        structure.domain = cleaned["domain"] or None
        try:
            structure.save()
        except IntegrityError:
            raise Invalid(
                "Une structure porte déjà ce nom, cet identifiant ou ce domaine."
            ) from None
        record_event(
            ctx,
            AuditAction.STRUCTURE_CREATE,
            structure=structure,
            target=structure,
            detail={"identifier": structure.identifier_label, "domain": structure.domain},
        )
        # Coordination's rights profiles exist from the start, so that its pages only read
        # them. Imported here: coordination's operations import this module.
        from caducee.coordination.operations.profiles import ensure_default_profiles

        ensure_default_profiles(structure)
    return structure


def update_structure(ctx: Context, structure: Structure, data: StructureInput) -> Structure:
    """Admin of the structure (its own fields) or the operator; audits `structure.update`.

    « Paramétrage de la structure »: the operator (or the server) edits every field; the
    structure's admins edit the fields `ownership.ADMIN_FIELDS` gives them, and changing
    one of `ownership.OPERATOR_FIELDS` is refused (Forbidden, naming the fields). The
    region follows a changed department: when the department changes and the region is
    sent unchanged, it is derived again from the new department (console, API, CLI)."""
    require_admin(ctx, structure)
    if data.department != structure.department and data.region == structure.region:
        data = replace(data, region="")
    cleaned, problems = clean_structure(data)
    if not (ctx.is_operator or ctx.is_server):
        kept = [
            key
            for key in OPERATOR_FIELDS
            if cleaned.get(key, getattr(data, key)) != (getattr(structure, key) or "")
        ]
        if kept:
            raise Forbidden(operator_fields_refusal(kept))
    _check_unique(cleaned, problems, exclude=structure.pk)
    if any(p.is_error for p in problems):
        raise Invalid("La structure n'a pas été modifiée.", problems)
    changes = {
        k: [getattr(structure, k) or "", v]
        for k, v in cleaned.items()
        if (getattr(structure, k) or "") != v
    }
    if not changes:
        return structure
    with transaction.atomic():
        for key, value in cleaned.items():
            setattr(structure, key, value)
        structure.domain = cleaned["domain"] or None
        structure.save()
        record_event(
            ctx,
            AuditAction.STRUCTURE_UPDATE,
            structure=structure,
            target=structure,
            detail={"fields": sorted(changes), "changes": changes},
        )
    return structure


def _check_unique(cleaned: Mapping[str, str], problems: list[Problem], exclude: int | None) -> None:
    others = Structure.objects.exclude(pk=exclude) if exclude else Structure.objects.all()
    if cleaned.get("name") and others.filter(name__iexact=cleaned["name"]).exists():
        problems.append(Problem("name", "unique", "Une structure porte déjà ce nom."))
    if (
        cleaned.get("id_number")
        and others.filter(id_type=cleaned["id_type"], id_number=cleaned["id_number"]).exists()
    ):
        problems.append(Problem("id_number", "unique", "Une structure a déjà cet identifiant."))
    if cleaned.get("domain"):
        problems.extend(domain_problems(cleaned["domain"], exclude))


def appoint_admin(ctx: Context, structure: Structure, email: str) -> tuple[User, bool]:
    """The platform operator or the server; audits `structure.admin_add`.

    Makes the person with this email an admin of the structure, creating the person when
    unknown. Returns (user, created).
    """
    _require_operator(ctx)
    try:
        address = cleaning.email(email).value
    except cleaning.Rejected:
        raise Invalid(
            f"« {email} » n'est pas une adresse mail valide.",
            [Problem("email", "email", "Saisissez une adresse mail valide.")],
        ) from None
    from caducee.accounts.models import Account, AccountType

    shared = Account.objects.filter(email=address, type__in=AccountType.shared()).first()
    if shared is not None:
        raise Invalid(
            f"{address} est une boîte {shared.type} partagée : une boîte organisationnelle ou "
            "applicative ne peut pas se connecter. Nommez administrateur un compte nominatif."
        )
    with transaction.atomic():
        user = User.objects.filter(email=address).first()
        created = user is None
        if user is None:
            user = User.objects.create_user(address)
        _, role_created = StructureAdmin.objects.get_or_create(user=user, structure=structure)
        if role_created:
            record_event(
                ctx,
                AuditAction.STRUCTURE_ADMIN_ADD,
                structure=structure,
                target=user,
                detail={"created_person": created},
            )
    return user, created


def remove_admin(ctx: Context, structure: Structure, user: User) -> None:
    """The platform operator or the server; audits `structure.admin_remove`."""
    _require_operator(ctx)
    with transaction.atomic():
        deleted, _ = StructureAdmin.objects.filter(user=user, structure=structure).delete()
        if not deleted:
            raise NotFound("Cette personne n'administre pas cette structure.")
        record_event(ctx, AuditAction.STRUCTURE_ADMIN_REMOVE, structure=structure, target=user)


def external_structure() -> Structure | None:
    return Structure.objects.filter(is_external=True).first()
