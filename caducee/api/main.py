"""The REST API. Each app adds its router here; errors are answered in French JSON."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import ValidationError

from caducee.api import (
    account_moves_api,
    accounts_api,
    audit_api,
    colleagues_api,
    connections_api,
    domains_api,
    email_changes_api,
    scheduler_api,
    structures_api,
)
from caducee.api.auth import BearerToken, ConsoleSession, Throttled
from caducee.api.errors import schema_problems
from caducee.coordination import api as coordination_api
from caducee.core.errors import Forbidden, Invalid, NotFound
from caducee.directory import api as directory_api
from caducee.exports import api as exports_api
from caducee.identity import api as identity_api
from caducee.identity.certificates import api as certificates_api  # issue #17
from caducee.lifecycle import api as lifecycle_api
from caducee.loadusers import api as loadusers_api
from caducee.mail import api as mail_api
from caducee.onboarding import api as onboarding_api  # Issue #16: onboarding
from caducee.registration import api as registration_api
from caducee.stats import api as stats_api

api = NinjaAPI(
    title="Caducée API",
    version="1",
    description="API REST de Caducée. Authentification : en-tête "
    "`Authorization: Bearer <jeton>` (jeton créé par `caducee token create`).",
    auth=[BearerToken(), ConsoleSession()],
    urls_namespace="api",
)


@api.exception_handler(NotFound)
def not_found(request: HttpRequest, exc: NotFound) -> HttpResponse:
    return api.create_response(request, {"detail": exc.message}, status=404)


@api.exception_handler(Forbidden)
def forbidden(request: HttpRequest, exc: Forbidden) -> HttpResponse:
    return api.create_response(request, {"detail": exc.message}, status=403)


@api.exception_handler(Throttled)
def throttled(request: HttpRequest, exc: Throttled) -> HttpResponse:
    response = api.create_response(request, {"detail": exc.message}, status=429)
    response["Retry-After"] = str(exc.seconds)
    return response


@api.exception_handler(ValidationError)
def schema_refused(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """A request the schema refuses gets the same typed 422 body as a rule an operation
    refuses (InvalidOut), in French, instead of django-ninja's own shape."""
    return api.create_response(request, schema_problems(exc.errors), status=422)


@api.exception_handler(Invalid)
def invalid(request: HttpRequest, exc: Invalid) -> HttpResponse:
    problems = [
        {"field": p.field, "code": p.code, "message": p.message, "severity": p.severity}
        for p in exc.problems
    ]
    return api.create_response(request, {"detail": exc.message, "problems": problems}, status=422)


@api.exception_handler(RequestDataTooBig)
def too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    limit = f"{settings.DATA_UPLOAD_MAX_MEMORY_SIZE / (1024 * 1024):.1f}".replace(".", ",")
    detail = (
        f"La requête dépasse la taille maximale acceptée ({limit} Mo) : un message, pièces "
        "jointes comprises, ne peut pas dépasser la taille maximale d'un message de la "
        "plateforme."
    )
    return api.create_response(request, {"detail": detail}, status=413)


# Routers of the apps, each in its own module `caducee.<app>.api` (imported here, after
# `api` exists: none of them imports this module).
for module in (
    structures_api,
    accounts_api,
    connections_api,
    email_changes_api,
    audit_api,
    scheduler_api,
    account_moves_api,
    colleagues_api,
):
    api.add_router("/", module.router)
api.add_router("/", loadusers_api.router)
api.add_router("/", exports_api.router)
api.add_router("/", directory_api.router)
api.add_router("/", coordination_api.router)
api.add_router("/", mail_api.router)
api.add_router("/", identity_api.router)
api.add_router("/", certificates_api.router)  # issue #17
api.add_router("/", stats_api.router)
api.add_router("/", lifecycle_api.router)
api.add_router("/", domains_api.router)
api.add_router("/", onboarding_api.router)  # Issue #16: onboarding
api.add_router("/", registration_api.router)  # Issue #16: the service centre's queue
