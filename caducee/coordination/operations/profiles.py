"""Rights profiles of a structure, and the profile each of its people holds (membership)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction
from django.db.models import Q, QuerySet

from caducee.accounts.models import Account
from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.coordination import access
from caducee.coordination.models import Membership, RightsProfile
from caducee.coordination.operations._common import fail
from caducee.coordination.permissions import (
    DEFAULT_PROFILES,
    EXTERNAL_ALLOWED,
    PERMISSIONS,
    ProfileKind,
)
from caducee.core.context import Context, system_context
from caducee.core.errors import Invalid, Problem
from caducee.people.models import User
from caducee.referentials.text import fold
from caducee.structures.models import Structure


def ensure_default_profiles(structure: Structure) -> list[RightsProfile]:
    """The server (structure creation, CLI) or an operation behind a POST; audit
    `coordination.profiles_defaults` when it creates them.

    Give a structure the four default profiles when it has none yet; return its profiles.
    `structures.operations.create_structure` calls it, so that pages only read profiles
    (structures older than that got them from the data migration coordination/0003).
    """
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
            record_event(
                system_context("coordination"),
                AuditAction.COORDINATION_PROFILES_DEFAULTS,
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
    """The structure's own administrators; audit `coordination.profile_create`."""
    access.require_structure_admin(ctx, structure)
    if structure.is_external:
        raise Invalid("La structure « Utilisateur externe » n'a pas de profils propres.")
    ensure_default_profiles(structure)
    clean_name, perms = _clean_profile(structure, name, kind, permissions, None)
    with transaction.atomic():
        profile = RightsProfile.objects.create(
            structure=structure, name=clean_name, kind=kind, permissions=perms
        )
        record_event(
            ctx,
            AuditAction.COORDINATION_PROFILE_CREATE,
            structure=structure,
            target=profile,
            detail={"kind": kind, "permissions": perms},
        )
    return profile


def update_profile(
    ctx: Context, profile: RightsProfile, name: str, permissions: Iterable[str]
) -> RightsProfile:
    """The structure's own administrators; audit `coordination.profile_update`."""
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
        record_event(
            ctx,
            AuditAction.COORDINATION_PROFILE_UPDATE,
            structure=profile.structure,
            target=profile,
            detail={"before": before, "after": {"name": clean_name, "permissions": perms}},
        )
    return profile


def delete_profile(ctx: Context, profile: RightsProfile) -> None:
    """The structure's own administrators; audit `coordination.profile_delete`."""
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
        record_event(
            ctx,
            AuditAction.COORDINATION_PROFILE_DELETE,
            structure=profile.structure,
            target=profile,
            detail={"permissions": list(profile.permissions)},
        )
        profile.delete()


def find_profile(structure: Structure, reference: str, kind: str | None = None) -> RightsProfile:
    """Anyone (a read): the structure's profile named or numbered `reference`."""
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
        raise fail(
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
    """The structure's own administrators; audit `coordination.membership_set`.

    Give a person of the structure (own account or administrator) a rights profile."""
    access.require_structure_admin(ctx, structure)
    if profile.structure_id != structure.pk or profile.is_external:
        raise fail("Choisissez un profil interne de cette structure.", "profile", "choice")
    address = email.strip().lower()
    user = User.objects.filter(email=address).first()
    belongs = user is not None and (
        Account.objects.filter(user=user, structure=structure).exists()
        or structure.admins.filter(user=user).exists()
    )
    if user is None or not belongs:
        raise fail(
            f"Aucune personne {address} dans {structure.name} : seuls les titulaires d'un compte "
            "nominatif de la structure et ses administrateurs peuvent en être membres.",
            "email",
            "unknown",
        )
    assert user is not None
    if access.is_external(user):
        raise fail("Un compte externe ne reçoit pas de profil interne.", "email", "external")
    with transaction.atomic():
        membership, created = Membership.objects.get_or_create(
            user=user, structure=structure, defaults={"profile": profile}
        )
        previous = None if created else membership.profile.name
        if not created and membership.profile_id != profile.pk:
            membership.profile = profile
            membership.save(update_fields=["profile"])
        if created or previous != profile.name:
            record_event(
                ctx,
                AuditAction.COORDINATION_MEMBERSHIP_SET,
                structure=structure,
                target=user,
                detail={"profile": profile.name, "previous": previous},
            )
    return membership


def remove_membership(ctx: Context, membership: Membership) -> None:
    """The structure's own administrators; audit `coordination.membership_remove`."""
    access.require_structure_admin(ctx, membership.structure)
    with transaction.atomic():
        record_event(
            ctx,
            AuditAction.COORDINATION_MEMBERSHIP_REMOVE,
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
