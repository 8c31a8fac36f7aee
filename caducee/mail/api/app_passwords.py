"""The person's application passwords over the API (the page « Mots de passe
d'application »): list, create (shown once), revoke.

Same rules as the page: the token's person, for themself only; a read-only token is refused
(403, as for every write). A full token may create one: it already lets its holder send as
every mailbox of the person (POST /mail/messages), which is all an application password
allows (SMTP submission). What it adds is lifetime: the password outlives the token, so its
creation is audited (`mail.app_password_create`, channel « api ») and revoking a token does
not revoke the passwords it created — list and revoke them here or on the page.
"""

from __future__ import annotations

from datetime import datetime

from django.http import HttpRequest
from ninja import Schema, Status

from caducee.api.auth import api_context
from caducee.api.errors import responses
from caducee.core.secrets import digest
from caducee.core.web import api_user
from caducee.identity.mailboxes import openable
from caducee.mail import addresses, operations
from caducee.mail.api.common import router
from caducee.mail.client_settings import submission_server
from caducee.mail.models import AppPassword


class AppPasswordOut(Schema):
    id: int
    label: str
    prefix: str  # the first characters, to recognise it
    created_at: datetime
    last_used_at: datetime | None


class AppPasswordIn(Schema):
    label: str = ""


class AppPasswordCreated(Schema):
    id: int
    label: str
    password: str  # shown this once; stored as a digest
    login: str  # the SMTP login (the person's email)
    server: str  # host:port of the submission service (STARTTLS)
    senders: list[str]  # the addresses this login may send as


def _out(row: AppPassword) -> dict[str, object]:
    return {
        "id": row.pk,
        "label": row.label,
        "prefix": row.prefix,
        "created_at": row.created_at,
        "last_used_at": row.last_used_at,
    }


@router.get(
    "/mail/app-passwords",
    response=responses({200: list[AppPasswordOut]}),
    summary="Mes mots de passe d'application",
)
def app_passwords(request: HttpRequest) -> list[dict[str, object]]:
    rows = AppPassword.objects.filter(user=api_user(request), revoked_at__isnull=True)
    return [_out(row) for row in rows]


@router.post(
    "/mail/app-passwords",
    response=responses({201: AppPasswordCreated}, 403, 422),
    summary="Créer un mot de passe d'application",
)
def create_app_password(request: HttpRequest, payload: AppPasswordIn) -> Status[dict[str, object]]:
    ctx = api_context(request)
    user = api_user(request)
    secret = operations.create_app_password(ctx, user, payload.label)
    row = AppPassword.objects.get(user=user, password_hash=digest(secret))
    server = submission_server()
    return Status(
        201,
        {
            "id": row.pk,
            "label": row.label,
            "password": secret,
            "login": user.email,
            "server": f"{server.host}:{server.port}",
            "senders": [addresses.sender_address(a) for a in openable(user)],
        },
    )


@router.delete(
    "/mail/app-passwords/{password_id}",
    response=responses({204: None}, 403, 404),
    summary="Révoquer un mot de passe d'application",
)
def revoke_app_password(request: HttpRequest, password_id: int) -> Status[None]:
    operations.revoke_app_password(api_context(request), api_user(request), password_id)
    return Status(204, None)
