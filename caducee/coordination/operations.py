"""Coordination business actions. Each checks permission, validates, writes and audits."""

from __future__ import annotations

import hashlib
import importlib
import logging
import os
import re
import secrets
import tempfile
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import IO

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from stdnum import luhn

from caducee.accounts.models import Account, AccountState
from caducee.audit.log import record as audit
from caducee.coordination import access
from caducee.coordination.models import (
    Contact,
    ContactType,
    ExternalAccount,
    ExternalGrant,
    ExternalStatus,
    LiaisonEntry,
    Membership,
    Partner,
    Record,
    RecordDocument,
    RightsProfile,
)
from caducee.coordination.permissions import (
    CONTACT_MANAGE,
    DEFAULT_PROFILES,
    DOCUMENT_ADD,
    EXTERNAL_ALLOWED,
    EXTERNAL_CREATE,
    EXTERNAL_MODIFY,
    LIAISON_READ,
    LIAISON_WRITE,
    PARTNER_MANAGE,
    PERMISSIONS,
    RECORD_CREATE,
    RECORD_READ,
    ProfileKind,
)
from caducee.core.context import Context, system_context
from caducee.core.email import send_on_commit
from caducee.core.errors import Forbidden, Invalid, NotFound, Problem
from caducee.directory.entries import is_listed
from caducee.identity import links
from caducee.identity.revocation import revoke_access
from caducee.people.models import User
from caducee.referentials.text import fold, strip_accents
from caducee.structures.models import Structure, StructureIdType
from caducee.structures.operations import (
    EXTERNAL_STRUCTURE_NAME,
    StructureInput,
    create_structure,
    external_structure,
)

log = logging.getLogger(__name__)
ACTIVATION_PURPOSE = "external_activation"
# The dedicated structure's identifier: a synthetic SIRET that no real company holds,
# SIREN 99999999 + Luhn key, then establishment 0000 + Luhn key over the 14 digits.
_SIREN = luhn.calc_check_digit("99999999")
EXTERNAL_SIREN = "99999999" + _SIREN
EXTERNAL_SIRET = EXTERNAL_SIREN + "0000" + luhn.calc_check_digit(EXTERNAL_SIREN + "0000")

_IDENTIFIER = re.compile(r"^[a-z][a-z0-9._-]{1,49}$")
_PHONE = re.compile(r"^\+?[0-9]{6,15}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_SAFE_EXT = re.compile(r"^[a-z0-9]{1,8}$")


def _fail(message: str, field_name: str, code: str, text: str | None = None) -> Invalid:
    return Invalid(message, [Problem(field_name, code, text or message)])


def _who(ctx: Context) -> str:
    user = ctx.user
    if user is None:
        return ctx.actor_label
    name = f"{user.first_name} {user.last_name}".strip()
    return f"{name} <{user.email}>" if name else user.email


def _external_detail(ctx: Context) -> dict[str, str]:
    """Name the physical person behind an external account in its audit events."""
    external = access.external_of(ctx.user)
    if external is None or ctx.user is None:
        return {}
    return {
        "external_identifier": external.identifier,
        "person": f"{ctx.user.first_name} {ctx.user.last_name}".strip() or ctx.user.email,
    }


# --- The dedicated structure and the default rights profiles ------------------------------


def external_home_structure() -> Structure:
    """The structure "Utilisateur externe", created on first need (no MSSanté domain)."""
    existing = external_structure()
    if existing is not None:
        return existing
    try:
        return create_structure(
            system_context("coordination"),
            StructureInput(
                name=EXTERNAL_STRUCTURE_NAME,
                id_type=StructureIdType.SIRET,
                id_number=EXTERNAL_SIRET,
                domain="",
            ),
            is_external=True,
        )
    except Invalid:
        # Created meanwhile by another request: use it.
        again = external_structure()
        if again is None:
            raise
        return again


def ensure_default_profiles(structure: Structure) -> list[RightsProfile]:
    """Give a structure the four default profiles when it has none yet."""
    if structure.is_external:
        return []
    if not RightsProfile.objects.filter(structure=structure).exists():
        with transaction.atomic():
            for default in DEFAULT_PROFILES:
                RightsProfile.objects.get_or_create(
                    structure=structure,
                    name=default.name,
                    defaults={
                        "kind": default.kind,
                        "permissions": list(default.permissions),
                        "is_default": True,
                    },
                )
            audit(
                system_context("coordination"),
                "coordination.profiles_defaults",
                structure=structure,
                detail={"profiles": [d.name for d in DEFAULT_PROFILES]},
            )
    return list(RightsProfile.objects.filter(structure=structure))


# --- Rights profiles -------------------------------------------------------------------------


def _clean_profile(
    structure: Structure, name: str, kind: str, permissions: Iterable[str], exclude: int | None
) -> tuple[str, list[str]]:
    problems: list[Problem] = []
    clean_name = " ".join(name.split())
    if not clean_name:
        problems.append(Problem("name", "required", "Donnez un nom au profil de droits."))
    elif len(clean_name) > 100:
        problems.append(Problem("name", "length", "Le nom du profil dépasse 100 caractères."))
    others = RightsProfile.objects.filter(structure=structure, name__iexact=clean_name)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    if clean_name and others.exists():
        problems.append(
            Problem("name", "unique", f"Un profil « {clean_name} » existe déjà dans la structure.")
        )
    wanted = [p.strip() for p in permissions if p.strip()]
    unknown = [p for p in wanted if p not in PERMISSIONS]
    if unknown:
        problems.append(
            Problem(
                "permissions",
                "unknown",
                f"Droit(s) inconnu(s) : {', '.join(unknown)}. Droits possibles : "
                f"{', '.join(PERMISSIONS)}.",
            )
        )
    if kind not in {ProfileKind.INTERNAL, ProfileKind.EXTERNAL}:
        problems.append(
            Problem("kind", "choice", "Choisissez « interne » ou « externe » pour le profil.")
        )
    if kind == ProfileKind.EXTERNAL:
        beyond = [p for p in wanted if p in PERMISSIONS and p not in EXTERNAL_ALLOWED]
        if beyond:
            problems.append(
                Problem(
                    "permissions",
                    "external",
                    "Un profil de partenaire externe ne peut contenir que : "
                    + ", ".join(PERMISSIONS[p] for p in PERMISSIONS if p in EXTERNAL_ALLOWED)
                    + ". Retirez : "
                    + ", ".join(PERMISSIONS[p] for p in beyond)
                    + ".",
                )
            )
    if problems:
        raise Invalid("Le profil de droits n'a pas été enregistré.", problems)
    ordered = [p for p in PERMISSIONS if p in set(wanted)]
    return clean_name, ordered


def create_profile(
    ctx: Context, structure: Structure, name: str, kind: str, permissions: Iterable[str]
) -> RightsProfile:
    access.require_structure_admin(ctx, structure)
    if structure.is_external:
        raise Invalid("La structure « Utilisateur externe » n'a pas de profils propres.")
    ensure_default_profiles(structure)
    clean_name, perms = _clean_profile(structure, name, kind, permissions, None)
    with transaction.atomic():
        profile = RightsProfile.objects.create(
            structure=structure, name=clean_name, kind=kind, permissions=perms
        )
        audit(
            ctx,
            "coordination.profile_create",
            structure=structure,
            target=profile,
            detail={"kind": kind, "permissions": perms},
        )
    return profile


def update_profile(
    ctx: Context, profile: RightsProfile, name: str, permissions: Iterable[str]
) -> RightsProfile:
    access.require_structure_admin(ctx, profile.structure)
    clean_name, perms = _clean_profile(
        profile.structure, name, profile.kind, permissions, profile.pk
    )
    before = {"name": profile.name, "permissions": list(profile.permissions)}
    if before == {"name": clean_name, "permissions": perms}:
        return profile
    with transaction.atomic():
        profile.name = clean_name
        profile.permissions = perms
        profile.save(update_fields=["name", "permissions"])
        audit(
            ctx,
            "coordination.profile_update",
            structure=profile.structure,
            target=profile,
            detail={"before": before, "after": {"name": clean_name, "permissions": perms}},
        )
    return profile


def delete_profile(ctx: Context, profile: RightsProfile) -> None:
    access.require_structure_admin(ctx, profile.structure)
    used = (
        profile.members.count()
        + profile.external_accounts.count()
        + profile.external_grants.count()
    )
    if used:
        raise Invalid(
            f"Le profil « {profile.name} » est attribué à {used} personne(s) : attribuez-leur "
            "un autre profil avant de le supprimer."
        )
    with transaction.atomic():
        audit(
            ctx,
            "coordination.profile_delete",
            structure=profile.structure,
            target=profile,
            detail={"permissions": list(profile.permissions)},
        )
        profile.delete()


def find_profile(structure: Structure, reference: str, kind: str | None = None) -> RightsProfile:
    ensure_default_profiles(structure)
    candidates = RightsProfile.objects.filter(structure=structure)
    if kind is not None:
        candidates = candidates.filter(kind=kind)
    text = reference.strip()
    match = None
    if text.isdigit():
        match = candidates.filter(pk=int(text)).first()
    if match is None:
        folded = fold(text)
        match = next((p for p in candidates if fold(p.name) == folded), None)
    if match is None:
        names = ", ".join(f"« {p.name} »" for p in candidates)
        raise _fail(
            f"Profil de droits « {reference} » introuvable dans {structure.name} "
            f"(profils possibles : {names}).",
            "profile",
            "unknown",
        )
    return match


# --- Memberships -----------------------------------------------------------------------------


def set_membership(
    ctx: Context, structure: Structure, email: str, profile: RightsProfile
) -> Membership:
    """Give a person of the structure (own account or administrator) a rights profile."""
    access.require_structure_admin(ctx, structure)
    if profile.structure_id != structure.pk or profile.is_external:
        raise _fail("Choisissez un profil interne de cette structure.", "profile", "choice")
    address = email.strip().lower()
    user = User.objects.filter(email=address).first()
    belongs = user is not None and (
        Account.objects.filter(user=user, structure=structure).exists()
        or structure.admins.filter(user=user).exists()
    )
    if user is None or not belongs:
        raise _fail(
            f"Aucune personne {address} dans {structure.name} : seuls les titulaires d'un compte "
            "nominatif de la structure et ses administrateurs peuvent en être membres.",
            "email",
            "unknown",
        )
    assert user is not None
    if access.is_external(user):
        raise _fail("Un compte externe ne reçoit pas de profil interne.", "email", "external")
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(
            user=user, structure=structure, defaults={"profile": profile}
        )
        previous = None if created else membership.profile.name
        if not created and membership.profile_id != profile.pk:
            membership.profile = profile
            membership.save(update_fields=["profile"])
        if created or previous != profile.name:
            audit(
                ctx,
                "coordination.membership_set",
                structure=structure,
                target=user,
                detail={"profile": profile.name, "previous": previous},
            )
    return membership


def remove_membership(ctx: Context, membership: Membership) -> None:
    access.require_structure_admin(ctx, membership.structure)
    with transaction.atomic():
        audit(
            ctx,
            "coordination.membership_remove",
            structure=membership.structure,
            target=membership.user,
            detail={"profile": membership.profile.name},
        )
        membership.delete()


def team_candidates(structure: Structure) -> QuerySet[User]:
    """Who may be named in a record's follow-up team: the structure's members and admins."""
    return (
        User.objects.filter(
            Q(coordination_roles__structure=structure) | Q(admin_roles__structure=structure)
        )
        .filter(is_active=True)
        .distinct()
        .order_by("last_name", "first_name", "email")
    )


# --- Records ---------------------------------------------------------------------------------


@dataclass
class RecordInput:
    last_name: str
    first_name: str
    birth_date: str
    birth_name: str = ""
    address: str = ""
    postal_code: str = ""
    city: str = ""
    phone: str = ""
    notes: str = ""
    team: list[int] = field(default_factory=list)


def parse_date(value: str) -> date | None:
    text = value.strip()
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(text, fmt).date()  # noqa: DTZ007 - a calendar date
        except ValueError:
            continue
    return None


def _clean_phone(value: str, problems: list[Problem], key: str = "phone") -> str:
    phone = re.sub(r"[\s.\-()]", "", value)
    if phone and not _PHONE.match(phone):
        problems.append(
            Problem(
                key,
                "phone",
                f"Le téléphone « {value} » n'est pas valide : saisissez des chiffres, "
                "par exemple 0561000000 ou +33561000000.",
            )
        )
    return phone


def _clean_record(structure: Structure, data: RecordInput) -> dict[str, object]:
    problems: list[Problem] = []
    last_name = " ".join(data.last_name.split()).upper()
    first_name = " ".join(data.first_name.split())
    if not last_name:
        problems.append(Problem("last_name", "required", "Indiquez le nom de la personne."))
    if not first_name:
        problems.append(Problem("first_name", "required", "Indiquez le prénom de la personne."))
    birth = parse_date(data.birth_date) if data.birth_date.strip() else None
    if not data.birth_date.strip():
        problems.append(
            Problem("birth_date", "required", "Indiquez la date de naissance (JJ/MM/AAAA).")
        )
    elif birth is None:
        problems.append(
            Problem(
                "birth_date",
                "date",
                f"Date de naissance « {data.birth_date} » illisible : écrivez-la JJ/MM/AAAA.",
            )
        )
    elif birth > timezone.localdate() or birth.year < 1900:
        problems.append(
            Problem(
                "birth_date",
                "range",
                "La date de naissance doit être passée et postérieure à 1900.",
            )
        )
    postal = data.postal_code.replace(" ", "")
    if postal and not (postal.isdigit() and len(postal) == 5):
        problems.append(
            Problem("postal_code", "postal_code", "Le code postal doit comporter 5 chiffres.")
        )
    phone = _clean_phone(data.phone, problems)
    allowed = set(team_candidates(structure).values_list("pk", flat=True))
    wanted_team = list(dict.fromkeys(data.team))
    team = [pk for pk in wanted_team if pk in allowed]
    if len(team) != len(wanted_team):
        problems.append(
            Problem(
                "team",
                "unknown",
                "L'équipe de suivi ne peut comprendre que des membres de la structure.",
            )
        )
    if problems:
        raise Invalid("Le dossier n'a pas été enregistré : corrigez les champs signalés.", problems)
    return {
        "last_name": last_name,
        "first_name": first_name,
        "birth_name": " ".join(data.birth_name.split()).upper(),
        "birth_date": birth,
        "address": " ".join(data.address.split()),
        "postal_code": postal,
        "city": " ".join(data.city.split()).upper(),
        "phone": phone,
        "notes": data.notes.strip(),
        "team": team,
    }


def create_record(ctx: Context, structure: Structure, data: RecordInput) -> Record:
    access.require_structure_permission(ctx, structure, RECORD_CREATE)
    if structure.is_external:
        raise Invalid("Aucun dossier ne se crée dans la structure « Utilisateur externe ».")
    values = _clean_record(structure, data)
    team = values.pop("team")
    assert isinstance(team, list)
    with transaction.atomic():
        record = Record(structure=structure, created_by=ctx.user, **values)
        record.save()
        record.team.set(team)
        audit(
            ctx,
            "coordination.record_create",
            structure=structure,
            target=record,
            detail={"team": [str(pk) for pk in team]},
        )
    return record


def update_record(ctx: Context, record: Record, data: RecordInput) -> Record:
    access.require_record_permission(ctx, record, RECORD_CREATE)
    values = _clean_record(record.structure, data)
    team = values.pop("team")
    assert isinstance(team, list)
    changes = {
        key: [str(getattr(record, key) or ""), str(value or "")]
        for key, value in values.items()
        if getattr(record, key) != value
    }
    current_team = sorted(record.team.values_list("pk", flat=True))
    if sorted(team) != current_team:
        changes["team"] = [",".join(map(str, current_team)), ",".join(map(str, sorted(team)))]
    if not changes:
        return record
    with transaction.atomic():
        for key, value in values.items():
            setattr(record, key, value)
        record.save()
        record.team.set(team)
        audit(
            ctx,
            "coordination.record_update",
            structure=record.structure,
            target=record,
            detail={"changes": changes},
        )
    return record


def search_records(ctx: Context, text: str = "") -> QuerySet[Record]:
    """The records the actor may open, optionally filtered by name or birth date."""
    queryset = access.records_for(ctx.user).select_related("structure")
    query = text.strip()
    if query:
        birth = parse_date(query)
        if birth is not None:
            queryset = queryset.filter(birth_date=birth)
        else:
            for word in query.split():
                queryset = queryset.filter(
                    Q(last_name__icontains=word)
                    | Q(first_name__icontains=word)
                    | Q(birth_name__icontains=word)
                )
    return queryset.order_by("last_name", "first_name", "pk")


def read_record(ctx: Context, record: Record, what: str = "record") -> None:
    """Trace one read of a record (identity, liaison log, documents list…), by anyone."""
    with transaction.atomic():
        audit(
            ctx,
            "coordination.record_read",
            structure=record.structure,
            target=record,
            detail={**_external_detail(ctx), "page": what},
        )


def read_record_list(ctx: Context, records: Iterable[Record], where: str, query: str = "") -> None:
    """Trace one list of records shown or returned: one event per structure listed (its
    journal sees it), with the count and ids; never one event per row. Nothing shown,
    nothing read: no event."""
    by_structure: dict[int, list[Record]] = {}
    for record in records:
        by_structure.setdefault(record.structure_id, []).append(record)
    if not by_structure:
        return
    with transaction.atomic():
        for rows in by_structure.values():
            audit(
                ctx,
                "coordination.records_list",
                structure=rows[0].structure,
                detail={
                    **_external_detail(ctx),
                    "page": where,
                    "query": query,
                    "count": len(rows),
                    "records": [r.pk for r in rows],
                },
            )


# --- Liaison log -------------------------------------------------------------------------------


def add_liaison_entry(
    ctx: Context, record: Record, text: str, occurred_on: str = ""
) -> LiaisonEntry:
    access.require_record_permission(ctx, record, LIAISON_WRITE)
    body = text.strip()
    problems: list[Problem] = []
    if not body:
        problems.append(Problem("text", "required", "Écrivez le texte de l'entrée."))
    elif len(body) > 20_000:
        problems.append(Problem("text", "length", "L'entrée dépasse 20 000 caractères."))
    day = timezone.localdate()
    if occurred_on.strip():
        parsed = parse_date(occurred_on)
        if parsed is None:
            problems.append(
                Problem("occurred_on", "date", f"Date « {occurred_on} » illisible (JJ/MM/AAAA).")
            )
        elif parsed > day:
            problems.append(
                Problem("occurred_on", "future", "La date d'une entrée ne peut pas être future.")
            )
        else:
            day = parsed
    if problems:
        raise Invalid("L'entrée n'a pas été ajoutée.", problems)
    with transaction.atomic():
        entry = LiaisonEntry.objects.create(
            record=record,
            author=ctx.user,
            author_label=_who(ctx),
            occurred_on=day,
            text=body,
        )
        audit(
            ctx,
            "coordination.liaison_add",
            structure=record.structure,
            target=record,
            detail={"entry": entry.pk, "date": str(day), **_external_detail(ctx)},
        )
    return entry


def liaison_entries(ctx: Context, record: Record) -> QuerySet[LiaisonEntry]:
    access.require_record_permission(ctx, record, LIAISON_READ)
    return record.liaison_entries.all()


# --- Documents ---------------------------------------------------------------------------------


def max_upload_bytes() -> int:
    return int(settings.COORDINATION_MAX_UPLOAD_MB) * 1024 * 1024


DOCUMENTS_FOLDER = "coordination"


def document_storage_name(document: RecordDocument) -> str:
    """The document's name in the platform's file storage (Django's `default` storage)."""
    return f"{DOCUMENTS_FOLDER}/{document.stored_name}"


def _safe_original_name(name: str) -> str:
    base = os.path.basename(name.replace("\\", "/")).strip()
    cleaned = "".join(c for c in base if c.isprintable() and c not in '<>:"/\\|?*')
    return cleaned[:200] or "document"


def _spool_upload(stream: IO[bytes]) -> tuple[IO[bytes], int, str]:
    """Copy the upload aside (memory, then a temporary file), refusing it above the size
    limit or empty, so that nothing partial ever reaches the storage; return the copy,
    its size and its SHA-256."""
    limit = max_upload_bytes()
    digest = hashlib.sha256()
    size = 0
    spool = tempfile.SpooledTemporaryFile(max_size=1024 * 1024)
    try:
        while chunk := stream.read(64 * 1024):
            size += len(chunk)
            if size > limit:
                raise _fail(
                    f"Le fichier dépasse la taille maximale de "
                    f"{settings.COORDINATION_MAX_UPLOAD_MB} Mo.",
                    "file",
                    "too_large",
                )
            digest.update(chunk)
            spool.write(chunk)
        if size == 0:
            raise _fail("Le fichier est vide : choisissez un autre fichier.", "file", "empty")
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool, size, digest.hexdigest()


def attach_document(
    ctx: Context,
    record: Record,
    title: str,
    original_name: str,
    stream: IO[bytes],
    content_type: str = "application/octet-stream",
) -> RecordDocument:
    """Store a file in the platform's storage under a generated name, then its row.

    The storage is Django's `default` one (CADUCEE_HOME/files, or an object store, see
    docs/STORAGE.md); the file is complete there before the row is written, and removed
    again if the row cannot be.
    """
    access.require_record_permission(ctx, record, DOCUMENT_ADD)
    name = _safe_original_name(original_name)
    label = " ".join(title.split()) or name
    if len(label) > 200:
        raise _fail("Le titre dépasse 200 caractères.", "title", "length")
    ext = Path(name).suffix.lower().lstrip(".")
    suffix = f".{ext}" if _SAFE_EXT.match(ext) else ""
    wanted = f"{DOCUMENTS_FOLDER}/{record.structure_id}/{record.pk}/{uuid.uuid4().hex}{suffix}"
    spool, size, sha256 = _spool_upload(stream)
    try:
        with spool:
            saved = default_storage.save(wanted, File(spool, name=wanted))
    except Exception:  # disk full, object store unreachable…: the operator's problem
        log.exception("document storage failed for record %s", record.pk)
        raise _fail(
            "Le document n'a pas pu être enregistré : le stockage des fichiers ne répond pas. "
            "Réessayez dans quelques minutes.",
            "file",
            "storage",
        ) from None
    try:
        with transaction.atomic():
            document = RecordDocument.objects.create(
                record=record,
                title=label,
                original_name=name,
                stored_name=saved.removeprefix(f"{DOCUMENTS_FOLDER}/"),
                content_type=(content_type or "application/octet-stream")[:100],
                size=size,
                sha256=sha256,
                uploaded_by=ctx.user,
                uploaded_by_label=_who(ctx),
            )
            audit(
                ctx,
                "coordination.document_add",
                structure=record.structure,
                target=record,
                detail={
                    "document": document.pk,
                    "name": name,
                    "size": size,
                    "sha256": sha256,
                    **_external_detail(ctx),
                },
            )
    except BaseException:
        default_storage.delete(saved)
        raise
    return document


def open_document(ctx: Context, document: RecordDocument) -> File[bytes]:
    """The document's file, opened for reading (the caller closes it); the read is
    audited."""
    access.require_record_permission(ctx, document.record, RECORD_READ)
    try:
        handle = default_storage.open(document_storage_name(document), "rb")
    except FileNotFoundError:
        raise NotFound("Le fichier de ce document est introuvable sur le serveur.") from None
    try:
        with transaction.atomic():
            audit(
                ctx,
                "coordination.document_read",
                structure=document.record.structure,
                target=document.record,
                detail={**_external_detail(ctx), "document": document.pk},
            )
    except BaseException:
        handle.close()
        raise
    return handle


# --- Contacts (the coordination directory) ----------------------------------------------------


@dataclass
class ContactInput:
    last_name: str
    first_name: str = ""
    profession: str = ""
    organisation: str = ""
    phone: str = ""
    email: str = ""


def _clean_contact(data: ContactInput) -> dict[str, str]:
    problems: list[Problem] = []
    last_name = " ".join(data.last_name.split()).upper()
    if not last_name:
        problems.append(Problem("last_name", "required", "Indiquez le nom du contact."))
    email = data.email.strip().lower()
    if email and (not _EMAIL.match(email) or len(email) > 254):
        problems.append(
            Problem("email", "email", f"« {data.email} » n'est pas une adresse mail valide.")
        )
    phone = _clean_phone(data.phone, problems)
    if problems:
        raise Invalid("Le contact n'a pas été enregistré : corrigez les champs signalés.", problems)
    return {
        "last_name": last_name,
        "first_name": " ".join(data.first_name.split()),
        "profession": " ".join(data.profession.split()),
        "organisation": " ".join(data.organisation.split()),
        "phone": phone,
        "email": email,
    }


def create_contact(ctx: Context, structure: Structure, data: ContactInput) -> Contact:
    access.require_structure_permission(ctx, structure, CONTACT_MANAGE)
    values = _clean_contact(data)
    with transaction.atomic():
        contact = Contact.objects.create(structure=structure, **values)
        _link_existing_external(contact)
        audit(
            ctx,
            "coordination.contact_create",
            structure=structure,
            target=contact,
            detail={"email": contact.email, "profession": contact.profession},
        )
    return contact


def update_contact(ctx: Context, contact: Contact, data: ContactInput) -> Contact:
    access.require_structure_permission(ctx, contact.structure, CONTACT_MANAGE)
    values = _clean_contact(data)
    shared = contact.shared_external
    if shared is not None and values["email"] != contact.email:
        raise _fail(
            "Ce contact a un compte externe : son adresse mail ne se change pas ici.",
            "email",
            "external",
        )
    changes = {k: [getattr(contact, k), v] for k, v in values.items() if getattr(contact, k) != v}
    if not changes:
        return contact
    with transaction.atomic():
        for key, value in values.items():
            setattr(contact, key, value)
        if "email" in changes:
            # A pending invitation (or an old link by email) follows the old address.
            contact.invited_at = None
            contact.external_account = None
        contact.save()
        _link_existing_external(contact)
        audit(
            ctx,
            "coordination.contact_update",
            structure=contact.structure,
            target=contact,
            detail={"changes": changes},
        )
    return contact


def _known_to(external: ExternalAccount, structure: Structure) -> bool:
    """The structure created this external account, or invited or accepted it already."""
    return (
        external.owner_structure_id == structure.pk
        or ExternalGrant.objects.filter(external=external, structure=structure).exists()
    )


def _link_existing_external(contact: Contact) -> None:
    """A contact whose email is that of an external account the contact's structure created
    (or invited) is that account's contact. An account of another structure is never linked
    by email alone: the structure must invite it (`create_external_account`)."""
    if contact.external_account_id is None and contact.email:
        existing = ExternalAccount.objects.filter(user__email=contact.email).first()
        if existing is not None and _known_to(existing, contact.structure):
            contact.external_account = existing
            contact.save(update_fields=["external_account"])


def _directory_search() -> Callable[[str], Iterable[object]] | None:
    """The directory app's search function, when that app provides one."""
    try:
        module = importlib.import_module("caducee.directory.search")
    except ModuleNotFoundError as exc:
        if exc.name != "caducee.directory.search":
            raise
        return None
    finder = getattr(module, "search", None)
    return finder if callable(finder) else None


def directory_candidates(text: str, limit: int = 20) -> list[Account]:
    """Entries of the platform's regional directory matching the first letters typed.

    Uses the directory app's search when it exists, else the visible valid accounts that
    the directory lists (`is_listed`: never the liste rouge, never unlisted accounts).
    """
    term = text.strip()
    if len(term) < 2:
        return []
    finder = _directory_search()
    if finder is not None:
        found = [a for a in finder(term) if isinstance(a, Account)]
        if found:
            return found[:limit]
    candidates = (
        Account.objects.filter(visible=True, state=AccountState.VALID)
        .filter(
            Q(last_name__istartswith=term)
            | Q(first_name__istartswith=term)
            | Q(email__istartswith=term.lower())
        )
        .select_related("structure", "listing")
        .order_by("last_name", "first_name")
    )
    # The directory's own rule decides who is listed; bounded scan.
    return [a for a in candidates[: limit * 5] if is_listed(a)][:limit]


def import_directory_contact(ctx: Context, structure: Structure, account_id: int) -> Contact:
    """Copy an entry of the regional directory into the structure's contacts (or reuse it)."""
    access.require_structure_permission(ctx, structure, CONTACT_MANAGE)
    account = (
        Account.objects.filter(pk=account_id, visible=True, state=AccountState.VALID)
        .select_related("structure")
        .first()
    )
    if account is None or not is_listed(account):
        raise NotFound("Fiche de l'annuaire introuvable.")
    existing = Contact.objects.filter(structure=structure, directory_account=account).first()
    if existing is not None:
        return existing
    from caducee.referentials import lists

    profession = ""
    if account.profession:
        try:
            profession = lists.professions().label(account.profession)
        except (AttributeError, KeyError):
            profession = account.profession
    with transaction.atomic():
        contact = Contact.objects.create(
            structure=structure,
            last_name=account.last_name.upper(),
            first_name=account.first_name,
            profession=profession,
            organisation=account.company_name or account.structure.name,
            phone=account.phone1,
            email=account.email,
            directory_account=account,
        )
        _link_existing_external(contact)
        audit(
            ctx,
            "coordination.contact_import",
            structure=structure,
            target=contact,
            detail={"directory_account": account.email},
        )
    return contact


def search_contacts(structure: Structure, text: str, limit: int = 20) -> list[Contact]:
    """Contacts of the structure whose name starts with the letters typed."""
    term = text.strip()
    if not term:
        return []
    return list(
        Contact.objects.filter(structure=structure)
        .filter(
            Q(last_name__istartswith=term)
            | Q(first_name__istartswith=term)
            | Q(organisation__istartswith=term)
            | Q(email__istartswith=term.lower())
        )
        .select_related("external_account")[:limit]
    )


# --- Partners --------------------------------------------------------------------------------


def attach_partner(ctx: Context, record: Record, contact: Contact, contact_type: str) -> Partner:
    """Rattacher: add a directory contact to the record's partner list."""
    access.require_record_permission(ctx, record, PARTNER_MANAGE)
    if contact.structure_id != record.structure_id:
        raise NotFound("Contact introuvable.")
    if contact_type not in ContactType.values:
        raise _fail("Choisissez un type de contact.", "contact_type", "choice")
    if Partner.objects.filter(record=record, contact=contact).exists():
        raise _fail(
            f"{contact.display_name} est déjà dans la liste des partenaires de ce dossier.",
            "contact",
            "duplicate",
        )
    with transaction.atomic():
        partner = Partner.objects.create(record=record, contact=contact, contact_type=contact_type)
        audit(
            ctx,
            "coordination.partner_attach",
            structure=record.structure,
            target=record,
            detail={
                "partner": partner.pk,
                "contact": contact.display_name,
                "contact_type": contact_type,
                "external_account": contact.external_account.identifier
                if contact.external_account
                else "",
            },
        )
    return partner


def detach_partner(ctx: Context, partner: Partner) -> None:
    """Détacher: out of the list, and so out of the record at once."""
    record = partner.record
    access.require_record_permission(ctx, record, PARTNER_MANAGE)
    with transaction.atomic():
        audit(
            ctx,
            "coordination.partner_detach",
            structure=record.structure,
            target=record,
            detail={
                "contact": partner.contact.display_name,
                "external_account": partner.contact.external_account.identifier
                if partner.contact.external_account
                else "",
            },
        )
        partner.delete()


def set_partner_access(ctx: Context, partner: Partner, enabled: bool) -> Partner:
    """Gérer les accès au dossier: open or close the record, the partner stays listed."""
    record = partner.record
    access.require_record_permission(ctx, record, PARTNER_MANAGE)
    if partner.access_enabled == enabled:
        return partner
    with transaction.atomic():
        partner.access_enabled = enabled
        partner.save(update_fields=["access_enabled"])
        audit(
            ctx,
            "coordination.partner_access",
            structure=record.structure,
            target=record,
            detail={
                "contact": partner.contact.display_name,
                "enabled": enabled,
                "external_account": partner.contact.external_account.identifier
                if partner.contact.external_account
                else "",
            },
        )
    return partner


# --- External accounts -----------------------------------------------------------------------


def suggest_identifier(first_name: str, last_name: str) -> str:
    """First-name initial + name, lower case, no accents (François Corre → fcorre), unique."""
    first = re.sub(r"[^a-z]", "", strip_accents(first_name).lower())
    last = re.sub(r"[^a-z0-9]", "", strip_accents(last_name).lower())
    base = (first[:1] + last)[:45] or "partenaire"
    if not base[0].isalpha():
        base = "p" + base
    if len(base) < 2:
        base = base + "x"
    taken = set(
        ExternalAccount.objects.filter(identifier__startswith=base).values_list(
            "identifier", flat=True
        )
    )
    if base not in taken:
        return base
    n = 2
    while f"{base}{n}" in taken:
        n += 1
    return f"{base}{n}"


def _check_identifier(identifier: str, exclude: int | None = None) -> str:
    value = identifier.strip().lower()
    if not _IDENTIFIER.match(value):
        raise _fail(
            f"Identifiant « {identifier} » invalide : 2 à 50 caractères, lettres minuscules sans "
            "accent, chiffres, point, tiret ou souligné, en commençant par une lettre "
            "(exemple : fcorre).",
            "identifier",
            "format",
        )
    others = ExternalAccount.objects.filter(identifier=value)
    if exclude is not None:
        others = others.exclude(pk=exclude)
    if others.exists():
        raise _fail(
            f"L'identifiant « {value} » est déjà pris : proposez-en un autre "
            f"(par exemple {suggest_identifier('', value)}).",
            "identifier",
            "unique",
        )
    return value


def _check_contact_for_account(contact: Contact) -> None:
    """What the structure itself knows stops a creation; nothing about other structures.

    Whether the address is already someone's login elsewhere is never said here: see
    `create_external_account` (an invitation) and `create_external_account_manual`.
    """
    if not contact.email:
        raise _fail(
            f"{contact.display_name} n'a pas d'adresse mail dans l'annuaire : complétez sa fiche "
            "avant de lui créer un compte externe.",
            "email",
            "required",
        )
    linked = contact.external_account
    if linked is not None and _accepted_by(linked, contact.structure):
        raise _fail(
            f"{contact.display_name} a déjà un compte externe (identifiant {linked.identifier}).",
            "contact",
            "exists",
        )
    if contact.invited_at is not None:
        raise _fail(
            f"Une invitation a déjà été envoyée à {contact.email} : le partenaire aura accès "
            "au dossier dès qu'il l'aura acceptée.",
            "contact",
            "invited",
        )


def _accepted_by(external: ExternalAccount, structure: Structure) -> bool:
    """The structure created this external account, or accepted it (invitation taken)."""
    return (
        external.owner_structure_id == structure.pk
        or ExternalGrant.objects.filter(
            external=external, structure=structure, accepted_at__isnull=False
        ).exists()
    )


def _check_external_profile(profile: RightsProfile | None, owner: Structure) -> RightsProfile:
    if profile is None:
        raise _fail("Choisissez un profil de droits.", "profile", "required")
    if profile.structure_id != owner.pk or not profile.is_external:
        raise _fail(
            "Choisissez un profil de partenaire externe de la structure.", "profile", "choice"
        )
    return profile


def _new_external(
    ctx: Context,
    contact: Contact,
    identifier: str,
    profile: RightsProfile,
    home: Structure,
    status: str,
    origin: str,
    password: str | None,
) -> ExternalAccount:
    user = User.objects.create_user(
        contact.email,
        password=password,
        first_name=contact.first_name,
        last_name=contact.last_name,
    )
    try:
        with transaction.atomic():
            external = ExternalAccount.objects.create(
                user=user,
                identifier=identifier,
                home_structure=home,
                owner_structure=contact.structure,
                profile=profile,
                status=status,
                origin=origin,
                created_by=ctx.user,
                activated_at=timezone.now() if status == ExternalStatus.ACTIVE else None,
            )
    except IntegrityError:
        raise _fail(
            f"L'identifiant « {identifier} » vient d'être pris : proposez-en un autre.",
            "identifier",
            "unique",
        ) from None
    # Only the creating structure's contacts: another structure decides for itself.
    Contact.objects.filter(
        structure=contact.structure, email=contact.email, external_account__isnull=True
    ).update(external_account=external)
    contact.external_account = external
    if not home.is_external and home.pk != contact.structure_id:
        # Its administrator chose it as the home structure (checked by the caller).
        ExternalGrant.objects.update_or_create(
            structure=home,
            external=external,
            defaults={"accepted_at": timezone.now(), "invited_by": ctx.user},
        )
    return external


def generate_password() -> str:
    """A random password shown once: 4 groups of 5 characters, no look-alike characters."""
    alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
    return "-".join("".join(secrets.choice(alphabet) for _ in range(5)) for _ in range(4))


def login_url() -> str:
    return links.base_url() + reverse("identity:login")


def activation_days() -> int:
    return int(settings.COORDINATION_EXTERNAL_ACTIVATION_DAYS)


def create_external_account(
    ctx: Context,
    partner: Partner,
    identifier: str,
    profile: RightsProfile | None,
) -> ExternalAccount | None:
    """Automatic creation (seed 000 §3.1) from a record's partner; mails the activation link.

    When the address is already a login on the platform, no account is created: an
    invitation is mailed to that address instead and None is returned. The caller shows
    the same answer in both cases, so that a structure never learns whether the address
    has an account elsewhere. If it is an external account, it opens this structure's
    records only once its person accepts, with the profile chosen here.
    """
    record = partner.record
    access.require_record_permission(ctx, record, EXTERNAL_CREATE)
    contact = partner.contact
    _check_contact_for_account(contact)
    chosen = _check_external_profile(profile, contact.structure)
    value = _check_identifier(identifier)
    person = User.objects.filter(email=contact.email).first()
    if person is not None:
        _invite_existing(ctx, contact, person, chosen, record)
        return None
    home = external_home_structure()
    with transaction.atomic():
        external = _new_external(
            ctx, contact, value, chosen, home, ExternalStatus.PENDING, "auto", None
        )
        _send_activation(ctx, external, record)
        audit(
            ctx,
            "coordination.external_create",
            structure=contact.structure,
            target=external,
            detail={
                "identifier": value,
                "email": contact.email,
                "profile": chosen.name,
                "home_structure": home.name,
                "record": record.pk,
                "origin": "auto",
            },
        )
    return external


def _invite_existing(
    ctx: Context, contact: Contact, person: User, profile: RightsProfile, record: Record
) -> None:
    """The contact's address is already a login: invite it, never link it by email alone."""
    structure = contact.structure
    existing = ExternalAccount.objects.filter(user=person).first()
    if existing is not None and _accepted_by(existing, structure):
        # The structure's own (or accepted) account: the contact is simply its contact.
        with transaction.atomic():
            contact.external_account = existing
            contact.save(update_fields=["external_account"])
            audit(
                ctx,
                "coordination.contact_update",
                structure=structure,
                target=contact,
                detail={"external_account": existing.identifier, "record": record.pk},
            )
        return
    with transaction.atomic():
        if existing is not None:
            grant, created = ExternalGrant.objects.get_or_create(
                structure=structure,
                external=existing,
                defaults={"profile": profile, "invited_by": ctx.user},
            )
            if not created and grant.accepted_at is None:
                grant.profile = profile
                grant.invited_by = ctx.user
                grant.save(update_fields=["profile", "invited_by"])
            contact.external_account = existing
            template = "external_share"
        else:
            # An internal person's login cannot become an external account.
            template = "external_address_taken"
        contact.invited_at = timezone.now()
        contact.save(update_fields=["external_account", "invited_at"])
        send_on_commit(
            person.email,
            template,
            {
                "person": person,
                "structure": structure,
                "inviter": _who(ctx),
                "login_url": login_url(),
            },
        )
        audit(
            ctx,
            "coordination.external_invite",
            structure=structure,
            target=contact,
            detail={"email": contact.email, "profile": profile.name, "record": record.pk},
        )


def pending_invitations(user: User | None) -> QuerySet[ExternalGrant]:
    """The structures waiting for this external partner to accept sharing their records."""
    external = access.external_of(user)
    if external is None:
        return ExternalGrant.objects.none()
    return (
        ExternalGrant.objects.filter(
            external=external, accepted_at__isnull=True, suspended_at__isnull=True
        )
        .exclude(structure_id=external.owner_structure_id)
        .select_related("structure", "invited_by")
        .order_by("invited_at")
    )


def accept_invitation(ctx: Context, grant_id: int) -> ExternalGrant:
    """The partner, logged in with their external account, accepts a structure's invitation:
    from now on the structure's records where they are a partner open to them."""
    grant = pending_invitations(ctx.user).filter(pk=grant_id).first()
    if grant is None:
        raise NotFound("Invitation introuvable.")
    with transaction.atomic():
        grant.accepted_at = timezone.now()
        grant.save(update_fields=["accepted_at"])
        audit(
            ctx,
            "coordination.external_share_accept",
            structure=grant.structure,
            target=grant.external,
            detail={
                **_external_detail(ctx),
                "profile": grant.profile.name if grant.profile else grant.external.profile.name,
            },
        )
    return grant


def _require_partner_manager(ctx: Context, structure: Structure) -> None:
    """An administrator of the structure, or a holder of `partner.manage` there."""
    if access.is_server(ctx):
        return
    if ctx.user is not None and structure.admins.filter(user=ctx.user).exists():
        return
    access.require_structure_permission(ctx, structure, PARTNER_MANAGE)


def set_structure_suspension(
    ctx: Context, structure: Structure, external: ExternalAccount, suspended: bool
) -> ExternalGrant:
    """« Suspendre l'accès » / « Rétablir l'accès »: close (or reopen) every record of this
    structure to this external account at once. The account and its access to other
    structures' records do not change."""
    _require_partner_manager(ctx, structure)
    known = (
        external.owner_structure_id == structure.pk
        or ExternalGrant.objects.filter(external=external, structure=structure).exists()
    )
    if not known:
        raise NotFound("Compte externe introuvable.")
    with transaction.atomic():
        grant, _ = ExternalGrant.objects.select_for_update().get_or_create(
            structure=structure,
            external=external,
            defaults={"invited_by": ctx.user},
        )
        if grant.is_suspended == suspended:
            return grant
        grant.suspended_at = timezone.now() if suspended else None
        grant.suspended_by = ctx.user if suspended else None
        grant.save(update_fields=["suspended_at", "suspended_by"])
        audit(
            ctx,
            "coordination.external_suspend" if suspended else "coordination.external_restore",
            structure=structure,
            target=external,
            detail={"identifier": external.identifier},
        )
    return grant


def _send_activation(ctx: Context, external: ExternalAccount, record: Record | None) -> None:
    token = links.issue(ACTIVATION_PURPOSE, external.user, days=activation_days())
    url = links.base_url() + reverse("coordination:activate", args=[token])
    send_on_commit(
        external.user.email,
        "external_activation",
        {
            "external": external,
            "person": external.user,
            "structure": external.owner_structure,
            "inviter": _who(ctx),
            "url": url,
            "days": activation_days(),
        },
    )


def resend_activation(ctx: Context, external: ExternalAccount) -> None:
    """A fresh activation link (the previous one stops working)."""
    _require_external_right(ctx, external, EXTERNAL_CREATE)
    if external.status != ExternalStatus.PENDING:
        raise Invalid("Ce compte est déjà activé : il n'y a plus de lien d'activation à envoyer.")
    with transaction.atomic():
        _send_activation(ctx, external, None)
        audit(
            ctx,
            "coordination.external_activation_resent",
            structure=external.owner_structure,
            target=external,
            detail={"identifier": external.identifier},
        )


@dataclass
class Credentials:
    external: ExternalAccount
    password: str
    login_url: str


def create_external_account_manual(
    ctx: Context,
    contact: Contact,
    identifier: str,
    profile: RightsProfile | None,
    home_structure: Structure | None = None,
) -> Credentials:
    """Manual creation by an administrator (seed 000 §4.1): active at once.

    Returns the password, to be shown once and handed over by the administrator.
    """
    access.require_structure_admin(ctx, contact.structure)
    _check_contact_for_account(contact)
    chosen = _check_external_profile(profile, contact.structure)
    value = _check_identifier(identifier)
    if User.objects.filter(email=contact.email).exists():
        # One answer whatever the address is elsewhere (external account, internal login).
        raise _fail(
            f"Aucun compte avec mot de passe ne peut être créé pour {contact.email}. "
            "Rattachez le contact à un dossier puis, dans l'onglet « Partenaires », "
            "choisissez « Créer un compte externe » : une invitation partira à cette adresse.",
            "email",
            "unavailable",
        )
    home = home_structure or external_home_structure()
    if not home.is_external:
        # Attaching to a regular structure opens its data: only its administrator may.
        access.require_structure_admin(ctx, home)
    password = generate_password()
    with transaction.atomic():
        external = _new_external(
            ctx, contact, value, chosen, home, ExternalStatus.ACTIVE, "manual", password
        )
        audit(
            ctx,
            "coordination.external_create",
            structure=contact.structure,
            target=external,
            detail={
                "identifier": value,
                "email": contact.email,
                "profile": chosen.name,
                "home_structure": home.name,
                "opens_structure_data": not home.is_external,
                "origin": "manual",
            },
        )
    return Credentials(external, password, login_url())


def activation_target(token: str) -> ExternalAccount | None:
    link = links.find_valid(ACTIVATION_PURPOSE, token)
    if link is None or link.user is None:
        return None
    return ExternalAccount.objects.filter(user=link.user, status=ExternalStatus.PENDING).first()


def activate_external_account(
    ctx: Context, token: str, last_name: str, first_name: str
) -> Credentials:
    """The partner opens the emailed link, gives name and first name: the account is active.

    The generated password is returned to be shown once; it is never emailed.
    """
    link = links.find_valid(ACTIVATION_PURPOSE, token)
    external = activation_target(token)
    if link is None or external is None:
        raise NotFound("Ce lien d'activation n'est plus valable.")
    problems: list[Problem] = []
    last = " ".join(last_name.split()).upper()
    first = " ".join(first_name.split())
    if not last:
        problems.append(Problem("last_name", "required", "Indiquez votre nom."))
    if not first:
        problems.append(Problem("first_name", "required", "Indiquez votre prénom."))
    if problems:
        raise Invalid("Le compte n'a pas été activé.", problems)
    password = generate_password()
    person = external.user
    with transaction.atomic():
        if not links.consume(link):
            raise NotFound("Ce lien d'activation a déjà servi.")
        person.first_name = first
        person.last_name = last
        person.set_password(password)
        person.is_active = True
        person.save(update_fields=["first_name", "last_name", "password", "is_active"])
        external.status = ExternalStatus.ACTIVE
        external.activated_at = timezone.now()
        external.save(update_fields=["status", "activated_at"])
        actor = Context(user=person, ip=ctx.ip, channel=ctx.channel)
        audit(
            actor,
            "coordination.external_activate",
            structure=external.owner_structure,
            target=external,
            detail={
                "identifier": external.identifier,
                "person": f"{first} {last}",
            },
        )
        send_on_commit(
            person.email,
            "external_recap",
            {"external": external, "person": person, "login_url": login_url()},
        )
    return Credentials(external, password, login_url())


def _require_external_right(ctx: Context, external: ExternalAccount, permission: str) -> None:
    """The actor sees this account and holds the right in the structure that created it
    (its administrators may also resend the activation link)."""
    if access.is_server(ctx):
        return
    if not access.external_accounts_for(ctx.user).filter(pk=external.pk).exists():
        raise NotFound("Compte externe introuvable.")
    if (
        permission == EXTERNAL_CREATE
        and external.owner_structure.admins.filter(user=ctx.user).exists()
    ):
        return
    if permission not in access.structure_permissions(ctx.user, external.owner_structure):
        if permission == EXTERNAL_MODIFY:
            raise Forbidden(
                "Modifier un compte externe demande le droit « Modifier un compte externe » "
                "dans votre profil de droits."
            )
        raise Forbidden("Votre profil de droits ne permet pas cette action.")


@dataclass
class ExternalChanges:
    first_name: str
    last_name: str
    profile: RightsProfile | None
    home_structure: Structure | None
    suspended: bool


def modify_external_account(
    ctx: Context, external: ExternalAccount, changes: ExternalChanges
) -> ExternalAccount:
    """Change an external account: needs `external.modify` (seed 000 §4.1)."""
    _require_external_right(ctx, external, EXTERNAL_MODIFY)
    profile = _check_external_profile(changes.profile, external.owner_structure)
    home = changes.home_structure or external_home_structure()
    if home.pk != external.home_structure_id and not home.is_external:
        access.require_structure_admin(ctx, home)
    last = " ".join(changes.last_name.split()).upper()
    first = " ".join(changes.first_name.split())
    if not last:
        raise _fail("Indiquez le nom.", "last_name", "required")
    person = external.user
    before = {
        "first_name": person.first_name,
        "last_name": person.last_name,
        "profile": external.profile.name,
        "home_structure": external.home_structure.name,
        "suspended": external.status == ExternalStatus.SUSPENDED,
    }
    after = {
        "first_name": first,
        "last_name": last,
        "profile": profile.name,
        "home_structure": home.name,
        "suspended": changes.suspended,
    }
    if before == after:
        return external
    with transaction.atomic():
        person.first_name = first
        person.last_name = last
        person.is_active = not changes.suspended
        person.save(update_fields=["first_name", "last_name", "is_active"])
        if changes.suspended and not before["suspended"]:
            revoke_access(ctx, person, "external_suspended", structure=external.owner_structure)
        external.profile = profile
        if (
            home.pk != external.home_structure_id
            and not home.is_external
            and home.pk != external.owner_structure_id
        ):
            # Choosing a regular home structure is its administrator's acceptance.
            ExternalGrant.objects.update_or_create(
                structure=home,
                external=external,
                defaults={"accepted_at": timezone.now(), "invited_by": ctx.user},
            )
        external.home_structure = home
        if changes.suspended:
            external.status = ExternalStatus.SUSPENDED
        elif external.status == ExternalStatus.SUSPENDED:
            external.status = (
                ExternalStatus.ACTIVE if external.activated_at else ExternalStatus.PENDING
            )
        external.save(update_fields=["profile", "home_structure", "status"])
        audit(
            ctx,
            "coordination.external_modify",
            structure=external.owner_structure,
            target=external,
            detail={
                "changes": {k: [before[k], after[k]] for k in before if before[k] != after[k]},
                "opens_structure_data": not home.is_external,
            },
        )
    return external
