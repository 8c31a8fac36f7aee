"""Reads and checks around client certificates (no writes, no audit): who may ask for a
partner certificate, which certificates a person or an admin sees, and whether the
certificate a trusted proxy verified is a partner's usable second factor right now."""

from __future__ import annotations

from cryptography import x509
from django.db.models import QuerySet
from django.utils import timezone

from caducee.coordination.access import external_accounts_for, external_of
from caducee.core.client_address import ClientCertificate
from caducee.core.context import Context
from caducee.core.errors import NotFound
from caducee.identity.certificates import authority
from caducee.identity.models import ClientCertificate as Issued
from caducee.people.models import User


def parsed(presented: ClientCertificate | None) -> x509.Certificate | None:
    """The certificate the proxy passed (X-Client-Cert), or None when absent or unreadable."""
    if presented is None or not presented.pem:
        return None
    try:
        return x509.load_pem_x509_certificate(presented.pem.encode())
    except ValueError:
        return None


def may_ask(user: User) -> bool:
    """An active external partner, on a platform whose partner CA exists."""
    external = external_of(user)
    return external is not None and external.is_active and authority.configured()


def certificates_of(user: User) -> QuerySet[Issued]:
    """The person's own certificates, newest first (revoked ones included, for the record)."""
    return Issued.objects.filter(user=user).order_by("-created_at")


def external_certificates(ctx: Context, external_id: int) -> QuerySet[Issued]:
    """The certificates of an external account the actor sees (404 otherwise)."""
    external = external_accounts_for(ctx.user).filter(pk=external_id).first()
    if external is None:
        raise NotFound("Compte externe introuvable.")
    return certificates_of(external.user)


def usable_row(user: User, presented: ClientCertificate | None) -> Issued | None:
    """The partner certificate of this person that the proxy verified, if it may serve as
    their second factor now: issued by the platform's CA, its serial in the database for
    this person, neither revoked nor expired, and the person still an active partner.
    Read afresh at each login, so a revocation takes effect at once."""
    certificate = parsed(presented)
    if certificate is None or not authority.is_ours(certificate):
        return None
    external = external_of(user)
    if external is None or not external.is_active:
        return None
    return Issued.objects.filter(
        user=user,
        serial=authority.serial_text(certificate),
        revoked_at__isnull=True,
        not_after__gt=timezone.now(),
    ).first()
