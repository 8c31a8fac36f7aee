"""Audited actions on client certificates: a partner's certificate (issue, one download,
revocation) and the logins a verified certificate completes (CPS card; partner's second
factor). Views, API routes and the CLI only parse, call and render."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from cryptography import x509
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.coordination.access import external_accounts_for, external_of
from caducee.core.context import Context
from caducee.core.email import send_on_commit
from caducee.core.errors import Forbidden, Invalid, NotFound
from caducee.identity import operations as ops
from caducee.identity.certificates import authority, rules
from caducee.identity.models import ClientCertificate
from caducee.people.models import User

NOT_PARTNER = (
    "Les certificats de connexion sont réservés aux partenaires externes, sur une plateforme "
    "dont l'autorité de certification est installée. Adressez-vous à l'administrateur de "
    "la structure qui vous a créé votre compte."
)
ALREADY_DOWNLOADED = (
    "Ce certificat a déjà été téléchargé : il n'est remis qu'une fois. S'il est perdu, "
    "retirez-le et demandez-en un nouveau depuis votre page « Sécurité »."
)


@dataclass(frozen=True)
class NewCertificate:
    row: ClientCertificate
    password: str  # shown once, never stored


def _aware(moment: datetime.datetime) -> datetime.datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.UTC)


def issue_certificate(ctx: Context, user: User) -> NewCertificate:
    """The external partner themself; audits `identity.certificate.issue`.

    Issues a browser certificate from the platform's CA, valid CERTIFICATE_YEARS; its
    PKCS#12 file waits for one download, its password is returned once and never stored;
    the partner gets the installation procedure by email.
    """
    if ctx.user is None or ctx.user.pk != user.pk:
        raise NotFound("Compte introuvable.")
    if not rules.may_ask(user):
        raise Forbidden(NOT_PARTNER)
    external = external_of(user)
    assert external is not None
    name = f"{user.first_name} {user.last_name}".strip() or user.email
    issued = authority.issue(name, user.email, external.identifier)
    certificate = issued.certificate
    with transaction.atomic():
        row = ClientCertificate.objects.create(
            user=user,
            serial=authority.serial_text(certificate),
            subject=certificate.subject.rfc4514_string()[:500],
            not_before=_aware(certificate.not_valid_before_utc),
            not_after=_aware(certificate.not_valid_after_utc),
            created_at=timezone.now(),
            bundle=issued.pkcs12,
        )
        record_event(
            ctx,
            AuditAction.IDENTITY_CERTIFICATE_ISSUE,
            target=user,
            detail={"serial": row.serial, "not_after": row.not_after.date().isoformat()},
        )
        send_on_commit(
            user.email,
            "certificate_issued",
            {
                "user": user,
                "serial": row.serial,
                "not_after": row.not_after,
                "years": settings.CERTIFICATE_YEARS,
                "base_url": settings.BASE_URL,
            },
        )
    return NewCertificate(row, issued.password)


def take_certificate_file(
    ctx: Context, user: User, certificate_id: int
) -> tuple[ClientCertificate, bytes]:
    """The certificate's owner, once; audits `identity.certificate.download`.

    Hands over the PKCS#12 file and drops it from the database (Invalid afterwards).
    """
    if ctx.user is None or ctx.user.pk != user.pk:
        raise NotFound("Certificat introuvable.")
    with transaction.atomic():
        row = (
            ClientCertificate.objects.select_for_update()
            .filter(pk=certificate_id, user=user)
            .first()
        )
        if row is None:
            raise NotFound("Certificat introuvable.")
        if row.revoked_at is not None:
            raise Invalid("Ce certificat est retiré : demandez-en un nouveau.")
        if row.bundle is None:
            raise Invalid(ALREADY_DOWNLOADED)
        bundle = bytes(row.bundle)
        row.bundle = None
        row.downloaded_at = timezone.now()
        row.save(update_fields=["bundle", "downloaded_at"])
        record_event(
            ctx,
            AuditAction.IDENTITY_CERTIFICATE_DOWNLOAD,
            target=user,
            detail={"serial": row.serial},
        )
    return row, bundle


def _may_revoke(ctx: Context, row: ClientCertificate) -> bool:
    if ctx.is_server or ctx.user is None:
        return ctx.is_server
    if ctx.user.pk == row.user_id or ctx.is_operator:
        return True
    return external_accounts_for(ctx.user).filter(user_id=row.user_id).exists()


def revoke_certificate(ctx: Context, certificate_id: int, reason: str = "") -> ClientCertificate:
    """The certificate's owner (« retirer »), the operator, or an admin of a structure that
    manages the partner's external account; audits `identity.certificate.revoke`.

    Takes effect at the next login: each use checks the serial in the database.
    """
    with transaction.atomic():
        row = (
            ClientCertificate.objects.select_for_update()
            .select_related("user")
            .filter(pk=certificate_id)
            .first()
        )
        if row is None or not _may_revoke(ctx, row):
            raise NotFound("Certificat introuvable.")
        if row.revoked_at is not None:
            return row
        by_owner = ctx.user is not None and ctx.user.pk == row.user_id
        row.revoked_at = timezone.now()
        row.revoked_by = ctx.user
        row.reason = (reason.strip() or ("retiré par son titulaire" if by_owner else "révoqué"))[
            :200
        ]
        row.bundle = None
        row.save(update_fields=["revoked_at", "revoked_by", "reason", "bundle"])
        record_event(
            ctx,
            AuditAction.IDENTITY_CERTIFICATE_REVOKE,
            target=row.user,
            detail={"serial": row.serial, "reason": row.reason},
        )
    return row


def certificate_login(ctx: Context, user: User, row: ClientCertificate, subject: str) -> None:
    """The login step after the right password, when the browser presented the partner's
    certificate (rules.usable_row); writes `identity.login` (method `certificate`, serial).

    The certificate is the second factor: no emailed code.
    """
    with transaction.atomic():
        ClientCertificate.objects.filter(pk=row.pk).update(last_used_at=timezone.now())
        ops.complete_login(ctx, user, "certificate", certificate=subject, serial=row.serial)


def cps_login(ctx: Context, user: User, certificate: x509.Certificate) -> None:
    """The login step after nginx verified a CPS card's certificate carrying the person's
    national identifier; writes `identity.login` (method `cps`, certificate serial).

    The card (something held, its PIN known) is two factors: no emailed code.
    """
    ops.complete_login(
        ctx,
        user,
        "cps",
        certificate=certificate.subject.rfc4514_string()[:500],
        serial=authority.serial_text(certificate),
    )


def cps_refused(ctx: Context, reason: str, *, serial: str = "", id_nat: str = "") -> None:
    """A CPS card login that logs no one in (anonymous); writes `identity.cps_refused`
    with the reason (no certificate, not a CPS one, unknown or closed identifier)."""
    detail = {"reason": reason[:500]} | ({"serial": serial} if serial else {})
    detail |= {"id_nat": id_nat} if id_nat else {}
    with transaction.atomic():
        record_event(ctx, AuditAction.IDENTITY_CPS_REFUSED, target_label=id_nat, detail=detail)
