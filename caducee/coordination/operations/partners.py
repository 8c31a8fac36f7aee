"""A record's partners: attach a contact, detach it, open or close the record to it."""

from __future__ import annotations

from django.db import transaction

from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.coordination import access
from caducee.coordination.models import Contact, ContactType, Partner, Record
from caducee.coordination.operations._common import fail
from caducee.coordination.permissions import PARTNER_MANAGE
from caducee.core.context import Context
from caducee.core.errors import NotFound


def _partner_detail(contact: Contact) -> dict[str, str]:
    """Who the partner is, in the audit events of the partner list."""
    external = contact.external_account
    return {
        "contact": contact.display_name,
        "external_account": external.identifier if external else "",
    }


def attach_partner(ctx: Context, record: Record, contact: Contact, contact_type: str) -> Partner:
    """Holders of `partner.manage` on the record; audit `coordination.partner_attach`.

    Rattacher: add a directory contact to the record's partner list."""
    access.require_record_permission(ctx, record, PARTNER_MANAGE)
    if contact.structure_id != record.structure_id:
        raise NotFound("Contact introuvable.")
    if contact_type not in ContactType.values:
        raise fail("Choisissez un type de contact.", "contact_type", "choice")
    if Partner.objects.filter(record=record, contact=contact).exists():
        raise fail(
            f"{contact.display_name} est déjà dans la liste des partenaires de ce dossier.",
            "contact",
            "duplicate",
        )
    with transaction.atomic():
        partner = Partner.objects.create(record=record, contact=contact, contact_type=contact_type)
        record_event(
            ctx,
            AuditAction.COORDINATION_PARTNER_ATTACH,
            structure=record.structure,
            target=record,
            detail={
                "partner": partner.pk,
                **_partner_detail(contact),
                "contact_type": contact_type,
            },
        )
    return partner


def detach_partner(ctx: Context, partner: Partner) -> None:
    """Holders of `partner.manage` on the record; audit `coordination.partner_detach`.

    Détacher: out of the list, and so out of the record at once."""
    record = partner.record
    access.require_record_permission(ctx, record, PARTNER_MANAGE)
    with transaction.atomic():
        record_event(
            ctx,
            AuditAction.COORDINATION_PARTNER_DETACH,
            structure=record.structure,
            target=record,
            detail={
                **_partner_detail(partner.contact),
            },
        )
        partner.delete()


def set_partner_access(ctx: Context, partner: Partner, enabled: bool) -> Partner:
    """Holders of `partner.manage` on the record; audit `coordination.partner_access`.

    Gérer les accès au dossier: open or close the record, the partner stays listed."""
    record = partner.record
    access.require_record_permission(ctx, record, PARTNER_MANAGE)
    if partner.access_enabled == enabled:
        return partner
    with transaction.atomic():
        partner.access_enabled = enabled
        partner.save(update_fields=["access_enabled"])
        record_event(
            ctx,
            AuditAction.COORDINATION_PARTNER_ACCESS,
            structure=record.structure,
            target=record,
            detail={
                **_partner_detail(partner.contact),
                "enabled": enabled,
            },
        )
    return partner
