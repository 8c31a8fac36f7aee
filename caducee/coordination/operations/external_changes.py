"""An external account's later life: activation by its person, a fresh activation link,
suspension for one structure's records, modification by its structure."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.coordination import access
from caducee.coordination.models import (
    ExternalAccount,
    ExternalGrant,
    ExternalStatus,
    RightsProfile,
)
from caducee.coordination.operations._common import (
    ACTIVATION_PURPOSE,
    Credentials,
    check_external_profile,
    fail,
    known_to,
    login_url,
    send_activation,
)
from caducee.coordination.operations.externals import external_home_structure
from caducee.coordination.permissions import EXTERNAL_CREATE, EXTERNAL_MODIFY
from caducee.core.context import Context
from caducee.core.email import send_on_commit
from caducee.core.errors import Invalid, NotFound, Problem
from caducee.core.secrets import readable_password
from caducee.identity import links
from caducee.identity.revocation import revoke_access
from caducee.structures.models import Structure


def set_structure_suspension(
    ctx: Context, structure: Structure, external: ExternalAccount, suspended: bool
) -> ExternalGrant:
    """The structure's administrators or holders of `partner.manage` there; audit
    `coordination.external_suspend` or `coordination.external_restore`.

    « Suspendre l'accès » / « Rétablir l'accès »: close (or reopen) every record of this
    structure to this external account at once. The account and its access to other
    structures' records do not change."""
    access.require_partner_manager(ctx, structure)
    if not known_to(external, structure):
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
        record_event(
            ctx,
            AuditAction.COORDINATION_EXTERNAL_SUSPEND
            if suspended
            else AuditAction.COORDINATION_EXTERNAL_RESTORE,
            structure=structure,
            target=external,
            detail={"identifier": external.identifier},
        )
    return grant


def resend_activation(ctx: Context, external: ExternalAccount) -> None:
    """The owner structure's administrators or holders of `external.create`; audit
    `coordination.external_activation_resent`.

    A fresh activation link (the previous one stops working)."""
    access.require_external_right(ctx, external, EXTERNAL_CREATE)
    if external.status != ExternalStatus.PENDING:
        raise Invalid("Ce compte est déjà activé : il n'y a plus de lien d'activation à envoyer.")
    with transaction.atomic():
        send_activation(ctx, external, None)
        record_event(
            ctx,
            AuditAction.COORDINATION_EXTERNAL_ACTIVATION_RESENT,
            structure=external.owner_structure,
            target=external,
            detail={"identifier": external.identifier},
        )


def activation_target(token: str) -> ExternalAccount | None:
    link = links.find_valid(ACTIVATION_PURPOSE, token)
    if link is None or link.user is None:
        return None
    return ExternalAccount.objects.filter(user=link.user, status=ExternalStatus.PENDING).first()


def activate_external_account(
    ctx: Context, token: str, last_name: str, first_name: str
) -> Credentials:
    """Whoever holds a valid activation link; audit `coordination.external_activate`.

    The partner opens the emailed link, gives name and first name: the account is active.

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
    password = readable_password(4, 5)
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
        record_event(
            actor,
            AuditAction.COORDINATION_EXTERNAL_ACTIVATE,
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
    """Holders of `external.modify` in the owner structure; audit
    `coordination.external_modify`.

    Change an external account: needs `external.modify` (seed 000 §4.1)."""
    access.require_external_right(ctx, external, EXTERNAL_MODIFY)
    profile = check_external_profile(changes.profile, external.owner_structure)
    home = changes.home_structure or external_home_structure()
    if home.pk != external.home_structure_id and not home.is_external:
        access.require_structure_admin(ctx, home)
    last = " ".join(changes.last_name.split()).upper()
    first = " ".join(changes.first_name.split())
    if not last:
        raise fail("Indiquez le nom.", "last_name", "required")
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
        record_event(
            ctx,
            AuditAction.COORDINATION_EXTERNAL_MODIFY,
            structure=external.owner_structure,
            target=external,
            detail={
                "changes": {k: [before[k], after[k]] for k in before if before[k] != after[k]},
                "opens_structure_data": not home.is_external,
            },
        )
    return external
