"""External partner accounts: identifier, automatic creation from a record's partner (with
its activation mail), invitation of an address already in use, manual creation."""

from __future__ import annotations

import re

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from stdnum import luhn

from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.coordination import access
from caducee.coordination.models import (
    Contact,
    ExternalAccount,
    ExternalGrant,
    ExternalStatus,
    Partner,
    Record,
    RightsProfile,
)
from caducee.coordination.operations._common import (
    Credentials,
    check_external_profile,
    external_detail,
    fail,
    login_url,
    send_activation,
    who,
)
from caducee.coordination.permissions import EXTERNAL_CREATE
from caducee.core.context import Context, system_context
from caducee.core.email import send_on_commit
from caducee.core.errors import Invalid, NotFound
from caducee.core.secrets import readable_password
from caducee.people.models import User
from caducee.referentials.text import first_free, strip_accents
from caducee.structures.models import Structure, StructureIdType
from caducee.structures.operations import (
    EXTERNAL_STRUCTURE_NAME,
    StructureInput,
    create_structure,
    external_structure,
)

# The dedicated structure's identifier: a synthetic SIRET that no real company holds,
# SIREN 99999999 + Luhn key, then establishment 0000 + Luhn key over the 14 digits.
_SIREN = luhn.calc_check_digit("99999999")
EXTERNAL_SIREN = "99999999" + _SIREN
EXTERNAL_SIRET = EXTERNAL_SIREN + "0000" + luhn.calc_check_digit(EXTERNAL_SIREN + "0000")

_IDENTIFIER = re.compile(r"^[a-z][a-z0-9._-]{1,49}$")


def external_home_structure() -> Structure:
    """The structure « Utilisateur externe » (no MSSanté domain), for POST operations only.

    A data migration creates it on installations that already have structures; a new
    installation gets it here, when its first external account is saved (a write, so
    never from a page that only reads: pages use `structures.operations.external_structure`).
    """
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
    return first_free(base, taken)


def _check_identifier(identifier: str, exclude: int | None = None) -> str:
    value = identifier.strip().lower()
    if not _IDENTIFIER.match(value):
        raise fail(
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
        raise fail(
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
        raise fail(
            f"{contact.display_name} n'a pas d'adresse mail dans l'annuaire : complétez sa fiche "
            "avant de lui créer un compte externe.",
            "email",
            "required",
        )
    linked = contact.external_account
    if linked is not None and _accepted_by(linked, contact.structure):
        raise fail(
            f"{contact.display_name} a déjà un compte externe (identifiant {linked.identifier}).",
            "contact",
            "exists",
        )
    if contact.invited_at is not None:
        raise fail(
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


def _new_external(
    ctx: Context,
    contact: Contact,
    identifier: str,
    profile: RightsProfile,
    home: Structure,
    status: str,
    origin: str,
    password: str | None,
    detail: dict[str, object],
) -> ExternalAccount:
    """Create the person and the external account, link the creating structure's contacts,
    accept it in a regular home structure; audit `coordination.external_create` (the
    caller runs it in a transaction)."""
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
        raise fail(
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
    record_event(
        ctx,
        AuditAction.COORDINATION_EXTERNAL_CREATE,
        structure=contact.structure,
        target=external,
        detail={
            "identifier": identifier,
            "email": contact.email,
            "profile": profile.name,
            "home_structure": home.name,
            **detail,
            "origin": origin,
        },
    )
    return external


def create_external_account(
    ctx: Context,
    partner: Partner,
    identifier: str,
    profile: RightsProfile | None,
) -> ExternalAccount | None:
    """Holders of `external.create` on the record; audit `coordination.external_create`
    (or, for an address in use, `coordination.external_invite` / `coordination.contact_update`).

    Automatic creation (seed 000 §3.1) from a record's partner; mails the activation link.

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
    chosen = check_external_profile(profile, contact.structure)
    value = _check_identifier(identifier)
    person = User.objects.filter(email=contact.email).first()
    if person is not None:
        _invite_existing(ctx, contact, person, chosen, record)
        return None
    home = external_home_structure()
    with transaction.atomic():
        external = _new_external(
            ctx,
            contact,
            value,
            chosen,
            home,
            ExternalStatus.PENDING,
            "auto",
            None,
            {"record": record.pk},
        )
        send_activation(ctx, external, record)
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
            record_event(
                ctx,
                AuditAction.COORDINATION_CONTACT_UPDATE,
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
                "inviter": who(ctx),
                "login_url": login_url(),
            },
        )
        record_event(
            ctx,
            AuditAction.COORDINATION_EXTERNAL_INVITE,
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
    """The invited external partner; audit `coordination.external_share_accept`.

    The partner, logged in with their external account, accepts a structure's invitation:
    from now on the structure's records where they are a partner open to them."""
    grant = pending_invitations(ctx.user).filter(pk=grant_id).first()
    if grant is None:
        raise NotFound("Invitation introuvable.")
    with transaction.atomic():
        grant.accepted_at = timezone.now()
        grant.save(update_fields=["accepted_at"])
        record_event(
            ctx,
            AuditAction.COORDINATION_EXTERNAL_SHARE_ACCEPT,
            structure=grant.structure,
            target=grant.external,
            detail={
                **external_detail(ctx),
                "profile": grant.profile.name if grant.profile else grant.external.profile.name,
            },
        )
    return grant


def create_external_account_manual(
    ctx: Context,
    contact: Contact,
    identifier: str,
    profile: RightsProfile | None,
    home_structure: Structure | None = None,
) -> Credentials:
    """The contact's structure's own administrators (and the home structure's); audit
    `coordination.external_create`.

    Manual creation by an administrator (seed 000 §4.1): active at once.

    Returns the password, to be shown once and handed over by the administrator.
    """
    access.require_structure_admin(ctx, contact.structure)
    _check_contact_for_account(contact)
    chosen = check_external_profile(profile, contact.structure)
    value = _check_identifier(identifier)
    if User.objects.filter(email=contact.email).exists():
        # One answer whatever the address is elsewhere (external account, internal login).
        raise fail(
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
    password = readable_password(4, 5)
    with transaction.atomic():
        external = _new_external(
            ctx,
            contact,
            value,
            chosen,
            home,
            ExternalStatus.ACTIVE,
            "manual",
            password,
            {"opens_structure_data": not home.is_external},
        )
    return Credentials(external, password, login_url())
