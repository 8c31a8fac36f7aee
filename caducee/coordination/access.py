"""The one place deciding who sees which dossier usager, and with which permissions.

Checked from the database on every request (never cached in the session), so that a
detachment or an access removal takes effect at once, even for an open session.

- An internal person holds, in each structure, the permissions of their membership profile
  (administrators too: their role alone opens no record).
- An external partner account sees only the records where it is a partner with access
  enabled (plus, when an administrator attached it to a regular structure, that structure's
  records), with its profile's permissions capped to what an outsider may ever hold. It
  sees nothing else: unknown and forbidden both answer 404.
- A structure's records open to an external account only when that structure created the
  account or accepted it (an `ExternalGrant`, with the structure's own profile), and has not
  suspended it for its records (`external_structures`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet

from caducee.coordination.models import (
    Contact,
    ExternalAccount,
    ExternalGrant,
    ExternalStatus,
    Membership,
    Partner,
    Record,
    RecordDocument,
    RightsProfile,
)
from caducee.coordination.permissions import (
    EXTERNAL_ALLOWED,
    EXTERNAL_CREATE,
    EXTERNAL_MODIFY,
    PARTNER_MANAGE,
    RECORD_READ,
)
from caducee.core.context import Context
from caducee.core.errors import Forbidden, NotFound
from caducee.people.models import User
from caducee.structures.access import require_admin
from caducee.structures.models import Structure

_IS_EXTERNAL = "_caducee_is_external"


def is_external(user: User | None) -> bool:
    """True for an external partner: other apps use it to answer 404 to such accounts.

    Whether a person is an external partner never changes (an external account is created
    with its own person), so the answer is remembered on this user object, which lives for
    one request. Rights and partnerships are never remembered: they are read each time.
    """
    if user is None or user.pk is None:
        return False
    known = user.__dict__.get(_IS_EXTERNAL)
    if known is None:
        known = ExternalAccount.objects.filter(user_id=user.pk).exists()
        user.__dict__[_IS_EXTERNAL] = known
    return bool(known)


def external_of(user: User | None) -> ExternalAccount | None:
    """The external partner account of this person (read afresh), if they are one."""
    if user is None or not is_external(user):
        return None
    return (
        ExternalAccount.objects.select_related("profile", "home_structure", "user")
        .filter(user=user)
        .first()
    )


def _usable(user: User | None) -> bool:
    return user is not None and user.pk is not None and user.is_active


def structure_permissions(user: User | None, structure: Structure) -> frozenset[str]:
    """Permissions of an internal person in one structure (nothing for external accounts)."""
    if not _usable(user) or is_external(user):
        return frozenset()
    assert user is not None
    perms: set[str] = set()
    membership = (
        Membership.objects.select_related("profile").filter(user=user, structure=structure).first()
    )
    if membership is not None:
        perms |= membership.profile.permission_set
    return frozenset(perms)


def structures_with(user: User | None, permission: str) -> list[Structure]:
    """The structures where an internal person holds this permission."""
    if not _usable(user) or is_external(user):
        return []
    assert user is not None
    memberships = Membership.objects.select_related("profile", "structure").filter(user=user)
    found = {
        m.structure_id: m.structure for m in memberships if permission in m.profile.permission_set
    }
    return sorted(found.values(), key=lambda structure: (structure.name, structure.pk))


def _capped(profile: RightsProfile) -> frozenset[str]:
    return profile.permission_set & EXTERNAL_ALLOWED


def external_structures(external: ExternalAccount) -> dict[int, frozenset[str]]:
    """Structure id → permissions, for every structure whose records may open to this
    external account (read afresh from the database).

    - The structure that created the account, unless it suspended the account for its
      records: the account's own profile.
    - Any other structure only through an accepted `ExternalGrant` that it has not
      suspended: the profile that structure chose (the account's own when none).

    A contact linked to the account by some other path (an email match, old data) opens
    nothing by itself.
    """
    if external.status != ExternalStatus.ACTIVE or not external.user.is_active:
        return {}
    grants = {
        g.structure_id: g
        for g in ExternalGrant.objects.select_related("profile").filter(external=external)
    }
    result: dict[int, frozenset[str]] = {}
    owner = external.owner_structure_id
    own = grants.get(owner)
    if own is None or not own.is_suspended:
        result[owner] = _capped(external.profile)
    for structure_id, grant in grants.items():
        if structure_id == owner or grant.accepted_at is None or grant.is_suspended:
            continue
        result[structure_id] = _capped(grant.profile or external.profile)
    return result


def _home_opens(external: ExternalAccount, allowed: dict[int, frozenset[str]]) -> bool:
    home = external.home_structure
    return not home.is_external and home.pk in allowed


def _external_sees(
    external: ExternalAccount, record: Record, allowed: dict[int, frozenset[str]]
) -> bool:
    if record.structure_id not in allowed:
        return False
    if _home_opens(external, allowed) and record.structure_id == external.home_structure_id:
        return True
    return Partner.objects.filter(
        record=record,
        contact__external_account=external,
        contact__structure_id=record.structure_id,
        access_enabled=True,
    ).exists()


def records_for(user: User | None, permission: str = RECORD_READ) -> QuerySet[Record]:
    """Every record this person may open with this permission."""
    if not _usable(user):
        return Record.objects.none()
    external = external_of(user)
    if external is not None:
        allowed = external_structures(external)
        ids = [
            sid for sid, perms in allowed.items() if RECORD_READ in perms and permission in perms
        ]
        if not ids:
            return Record.objects.none()
        # Start from the account's contacts (indexed), not from every record.
        partner_of = Partner.objects.filter(
            contact__external_account=external,
            contact__structure_id__in=ids,
            access_enabled=True,
        ).values("record_id")
        condition = Q(pk__in=partner_of)
        if _home_opens(external, allowed) and external.home_structure_id in ids:
            condition |= Q(structure_id=external.home_structure_id)
        return Record.objects.filter(condition, structure_id__in=ids)
    structures = structures_with(user, RECORD_READ)
    if permission != RECORD_READ:
        allowed_ids = {s.pk for s in structures_with(user, permission)}
        structures = [s for s in structures if s.pk in allowed_ids]
    return Record.objects.filter(structure__in=structures)


def permissions_on(user: User | None, record: Record) -> frozenset[str]:
    """What this person may do on this record (empty: the record does not exist for them)."""
    if not _usable(user):
        return frozenset()
    external = external_of(user)
    if external is not None:
        allowed = external_structures(external)
        perms = allowed.get(record.structure_id, frozenset())
        if RECORD_READ not in perms:
            return frozenset()
        return perms if _external_sees(external, record, allowed) else frozenset()
    perms = structure_permissions(user, record.structure)
    return perms if RECORD_READ in perms else frozenset()


@dataclass(frozen=True)
class RecordAccess:
    record: Record
    permissions: frozenset[str]
    external: ExternalAccount | None

    def can(self, permission: str) -> bool:
        return permission in self.permissions


def access_record(user: User | None, record_id: int, permission: str = RECORD_READ) -> RecordAccess:
    """The record if this person may use it for `permission`; else NotFound (or Forbidden
    for an internal person who sees the record but lacks the right)."""
    record = Record.objects.select_related("structure").filter(pk=record_id).first()
    if record is None:
        raise NotFound("Dossier introuvable.")
    perms = permissions_on(user, record)
    if RECORD_READ not in perms:
        raise NotFound("Dossier introuvable.")
    external = external_of(user)
    if permission not in perms:
        if external is not None:
            raise NotFound("Page introuvable.")
        raise Forbidden("Votre profil de droits ne permet pas cette action sur ce dossier.")
    return RecordAccess(record, perms, external)


def access_document(user: User | None, record_id: int, document_id: int) -> RecordDocument:
    access_record(user, record_id)
    document = RecordDocument.objects.filter(pk=document_id, record_id=record_id).first()
    if document is None:
        raise NotFound("Document introuvable.")
    return document


def access_partner(user: User | None, record_id: int, partner_id: int, permission: str) -> Partner:
    access = access_record(user, record_id, permission)
    partner = (
        Partner.objects.select_related("contact", "contact__external_account", "record")
        .filter(pk=partner_id, record=access.record)
        .first()
    )
    if partner is None:
        raise NotFound("Partenaire introuvable.")
    return partner


def contacts_for(user: User | None) -> QuerySet[Contact]:
    """The directory contacts this person may read: those of structures they work in."""
    structures = structures_with(user, RECORD_READ)
    return Contact.objects.filter(structure__in=structures)


def access_contact(user: User | None, contact_id: int, permission: str) -> Contact:
    structures = structures_with(user, permission)
    contact = (
        Contact.objects.select_related("structure", "external_account")
        .filter(pk=contact_id, structure__in=structures)
        .first()
    )
    if contact is None:
        raise NotFound("Contact introuvable.")
    return contact


def profiles_managed_by(user: User | None) -> QuerySet[RightsProfile]:
    """Profiles of the structures this person administers."""
    if not _usable(user) or is_external(user):
        return RightsProfile.objects.none()
    assert user is not None
    return RightsProfile.objects.filter(structure__admins__user=user)


def external_accounts_for(user: User | None) -> QuerySet[ExternalAccount]:
    """External accounts created by, or attached to, a structure this person administers
    or where they hold `external.modify`."""
    if not _usable(user) or is_external(user):
        return ExternalAccount.objects.none()
    assert user is not None
    admin_ids = set(user.admin_roles.values_list("structure_id", flat=True))
    modify_ids = {s.pk for s in structures_with(user, EXTERNAL_MODIFY)}
    ids = admin_ids | modify_ids
    return ExternalAccount.objects.filter(
        Q(owner_structure_id__in=ids) | Q(home_structure_id__in=ids)
    ).select_related("user", "profile", "home_structure", "owner_structure")


# --- Context-level checks used by the operations layer -----------------------------------


def require_structure_permission(ctx: Context, structure: Structure, permission: str) -> None:
    if ctx.is_server:
        return
    perms = structure_permissions(ctx.user, structure)
    if RECORD_READ not in perms and permission not in perms:
        raise NotFound("Structure introuvable.")
    if permission not in perms:
        raise Forbidden("Votre profil de droits ne permet pas cette action.")


def require_record_permission(ctx: Context, record: Record, permission: str) -> None:
    if ctx.is_server:
        return
    perms = permissions_on(ctx.user, record)
    if RECORD_READ not in perms:
        raise NotFound("Dossier introuvable.")
    if permission not in perms:
        if is_external(ctx.user):
            raise NotFound("Page introuvable.")
        raise Forbidden("Votre profil de droits ne permet pas cette action sur ce dossier.")


def require_structure_admin(ctx: Context, structure: Structure) -> None:
    """The actor is one of the structure's own administrators (or the server itself).

    The platform operator is not one here (`require_admin(…, include_operator=False)`): a
    structure opens its records to partners itself (docs/COORDINATION.md). Someone who
    works in the structure learns why they are refused (403); anyone else, that it does
    not exist for them (404).
    """
    user = ctx.user
    if not ctx.is_server and (not _usable(user) or is_external(user)):
        raise NotFound("Structure introuvable.")
    try:
        require_admin(ctx, structure, include_operator=False)
    except NotFound:
        if structure_permissions(user, structure):
            raise Forbidden(
                "Seul un administrateur de la structure peut faire cette action."
            ) from None
        raise


def administered(user: User | None) -> list[Structure]:
    """The regular structures this person administers (by name): where they manage rights
    profiles, memberships and external accounts."""
    if not _usable(user) or is_external(user):
        return []
    return list(Structure.objects.filter(admins__user=user, is_external=False).order_by("name"))


def require_partner_manager(ctx: Context, structure: Structure) -> None:
    """An administrator of the structure, or a holder of `partner.manage` there."""
    if ctx.is_server:
        return
    if ctx.user is not None and structure.admins.filter(user=ctx.user).exists():
        return
    require_structure_permission(ctx, structure, PARTNER_MANAGE)


def require_external_right(ctx: Context, external: ExternalAccount, permission: str) -> None:
    """The actor sees this account and holds the right in the structure that created it
    (its administrators may also resend the activation link)."""
    if ctx.is_server:
        return
    if not external_accounts_for(ctx.user).filter(pk=external.pk).exists():
        raise NotFound("Compte externe introuvable.")
    if (
        permission == EXTERNAL_CREATE
        and external.owner_structure.admins.filter(user=ctx.user).exists()
    ):
        return
    if permission not in structure_permissions(ctx.user, external.owner_structure):
        if permission == EXTERNAL_MODIFY:
            raise Forbidden(
                "Modifier un compte externe demande le droit « Modifier un compte externe » "
                "dans votre profil de droits."
            )
        raise Forbidden("Votre profil de droits ne permet pas cette action.")
