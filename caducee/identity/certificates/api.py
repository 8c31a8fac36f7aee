"""Client certificates in the REST API (issue #17): a partner's own certificates
(`/me/certificates`: list, ask, download the PKCS#12 once, withdraw; the external seal lets
partners reach this prefix) and an admin's view and revocation of an external account's
certificates (`/coordination/external-accounts/{id}/certificates`).

Statuses: 403 for a write with a read-only token or a person who is not an external
partner, 404 for a certificate or external account out of reach, 422 when the file was
already downloaded or the certificate is revoked; 401 and 429 come with authentication.
"""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema, Status

from caducee.api.auth import api_context
from caducee.api.errors import responses
from caducee.core.errors import NotFound
from caducee.core.web import api_user, attachment
from caducee.identity.certificates import operations as cert_ops
from caducee.identity.certificates import rules
from caducee.identity.models import ClientCertificate

router = Router(tags=["identité"])

P12_CONTENT: dict[str, Any] = {
    "responses": {
        200: {
            "description": "Le certificat et sa clé (PKCS#12 protégé par le mot de passe remis "
            "à la demande)",
            "content": {"application/x-pkcs12": {"schema": {"type": "string", "format": "binary"}}},
        }
    }
}


class CertificateOut(Schema):
    id: int
    serial: str
    subject: str
    not_before: datetime
    not_after: datetime
    created_at: datetime
    downloadable: bool
    last_used_at: datetime | None
    revoked_at: datetime | None
    reason: str


class NewCertificateOut(Schema):
    certificate: CertificateOut
    password: str
    download_url: str


class RevokeIn(Schema):
    reason: str = ""


def certificate_out(row: ClientCertificate) -> dict[str, Any]:
    return {
        "id": row.pk,
        "serial": row.serial,
        "subject": row.subject,
        "not_before": row.not_before,
        "not_after": row.not_after,
        "created_at": row.created_at,
        "downloadable": row.bundle is not None and row.revoked_at is None,
        "last_used_at": row.last_used_at,
        "revoked_at": row.revoked_at,
        "reason": row.reason,
    }


@router.get(
    "/me/certificates",
    response=responses({200: list[CertificateOut]}),
    summary="Mes certificats de connexion (partenaire externe)",
)
def my_certificates(request: HttpRequest) -> list[dict[str, Any]]:
    return [certificate_out(row) for row in rules.certificates_of(api_user(request))]


@router.post(
    "/me/certificates",
    response=responses({201: NewCertificateOut}, 403),
    summary="Demander un certificat de connexion (son mot de passe n'est remis qu'ici)",
)
def ask_certificate(request: HttpRequest) -> Status[dict[str, Any]]:
    new = cert_ops.issue_certificate(api_context(request), api_user(request))
    return Status(
        201,
        {
            "certificate": certificate_out(new.row),
            "password": new.password,
            "download_url": f"/api/v1/me/certificates/{new.row.pk}/file",
        },
    )


@router.get(
    "/me/certificates/{certificate_id}/file",
    response=responses({200: None}, 403, 404, 422),
    summary="Télécharger mon certificat (PKCS#12), une seule fois",
    openapi_extra=P12_CONTENT,
)
def download_certificate(request: HttpRequest, certificate_id: int) -> Any:
    row, bundle = cert_ops.take_certificate_file(
        api_context(request), api_user(request), certificate_id
    )
    return attachment(io.BytesIO(bundle), f"caducee-{row.serial[:16]}.p12", "application/x-pkcs12")


@router.post(
    "/me/certificates/{certificate_id}/revoke",
    response=responses({200: CertificateOut}, 403, 404),
    summary="Retirer un de mes certificats de connexion",
)
def withdraw_certificate(
    request: HttpRequest, certificate_id: int, payload: RevokeIn
) -> dict[str, Any]:
    mine = rules.certificates_of(api_user(request)).filter(pk=certificate_id)
    if not mine.exists():
        raise NotFound("Certificat introuvable.")
    row = cert_ops.revoke_certificate(api_context(request), certificate_id, payload.reason)
    return certificate_out(row)


@router.get(
    "/coordination/external-accounts/{external_id}/certificates",
    response=responses({200: list[CertificateOut]}, 404),
    summary="Certificats de connexion d'un compte externe (administrateur)",
)
def external_certificates(request: HttpRequest, external_id: int) -> list[dict[str, Any]]:
    return [
        certificate_out(row)
        for row in rules.external_certificates(api_context(request), external_id)
    ]


@router.post(
    "/coordination/external-accounts/{external_id}/certificates/{certificate_id}/revoke",
    response=responses({200: CertificateOut}, 403, 404),
    summary="Révoquer un certificat de connexion d'un compte externe (administrateur)",
)
def revoke_certificate(
    request: HttpRequest, external_id: int, certificate_id: int, payload: RevokeIn
) -> dict[str, Any]:
    ctx = api_context(request)
    if not rules.external_certificates(ctx, external_id).filter(pk=certificate_id).exists():
        raise NotFound("Certificat introuvable.")
    return certificate_out(cert_ops.revoke_certificate(ctx, certificate_id, payload.reason))
