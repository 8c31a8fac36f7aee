"""Business actions of the « Demande de raccordement » (issue #16, point 6).

A structure not yet on the platform sends a request from the public form; the service
centre (the platform operator) takes it, answers it by email (accepted with a message,
refused with a reason) and may create the structure from it. Every action here is the
only way to change a request: the public form, the console, the API and the CLI call it.

The structure's fields are cleaned by `structures.operations.clean_structure` (identifier
with its check key, postal code, department and region, phone, email), the contact's name
by the lengths of the account field table (`accounts.fields`): the same rules as anywhere
else on the platform.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from caducee.accounts.fields import BY_KEY
from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.core.context import Context
from caducee.core.email import send_on_commit
from caducee.core.errors import Invalid, OperationError, Problem
from caducee.identity import throttle
from caducee.onboarding.access import require_operator
from caducee.onboarding.models import ConnectionRequest, RequestState
from caducee.onboarding.queue import OPEN, STATE_FILTERS
from caducee.structures.models import Structure
from caducee.structures.operations import StructureInput, clean_structure, create_structure

MAX_USERS = 100_000
MAX_MESSAGE = 2000
MAX_ANSWER = 5000
# One acknowledgement email per contact address in this period, however many requests.
ACKNOWLEDGEMENT_EVERY = timedelta(hours=24)


class TooManyRequests(OperationError):
    """Too many requests from this IP address or for this email in the throttle window."""


@dataclass
class RequestInput:
    """What the requester types, as text (the form, or a test)."""

    structure_name: str = ""
    id_type: str = ""
    id_number: str = ""
    address: str = ""
    postal_code: str = ""
    city: str = ""
    department: str = ""
    region: str = ""
    last_name: str = ""
    first_name: str = ""
    function: str = ""
    email: str = ""
    phone: str = ""
    expected_users: str = ""
    message: str = ""


# French label of each field, in the form's order (the form, the detail page, the errors).
LABELS: dict[str, str] = {
    "structure_name": "Raison sociale de la structure",
    "id_type": "Type d'identifiant",
    "id_number": "Numéro d'identifiant",
    "address": "Adresse",
    "postal_code": "Code postal",
    "city": "Ville",
    "department": "Département",
    "region": "Région",
    "last_name": "Nom du contact",
    "first_name": "Prénom du contact",
    "function": "Fonction du contact",
    "email": "Adresse mail du contact",
    "phone": "Téléphone du contact",
    "expected_users": "Nombre d'utilisateurs prévus",
    "message": "Message au centre de services",
}
REQUIRED = (
    "structure_name",
    "id_type",
    "id_number",
    "postal_code",
    "city",
    "last_name",
    "first_name",
    "function",
    "email",
    "phone",
    "expected_users",
)
MAX_LENGTHS: dict[str, int] = {
    "structure_name": 200,
    "address": 200,
    "city": 100,
    "last_name": BY_KEY["last_name"].max_length,
    "first_name": BY_KEY["first_name"].max_length,
    "function": 100,
    "email": BY_KEY["email"].max_length,
    "message": MAX_MESSAGE,
}
# clean_structure's field names → this form's.
_FROM_STRUCTURE = {"name": "structure_name", "address1": "address", "contact_email": "email"}


def _required_and_lengths(data: RequestInput) -> list[Problem]:
    problems: list[Problem] = []
    for spec in fields(RequestInput):
        value = getattr(data, spec.name)
        label = LABELS[spec.name]
        if "\x00" in value:
            problems.append(
                Problem(spec.name, "null", f"« {label} » contient un caractère nul : retapez-le.")
            )
        elif spec.name in REQUIRED and not value.strip():
            problems.append(Problem(spec.name, "required", f"Indiquez « {label} »."))
        elif len(value.strip()) > MAX_LENGTHS.get(spec.name, 1000):
            problems.append(
                Problem(
                    spec.name,
                    "too_long",
                    f"« {label} » est trop long : {MAX_LENGTHS[spec.name]} caractères au plus "
                    f"({len(value.strip())} saisis).",
                )
            )
    if not (data.department.strip() or data.region.strip()):
        problems.append(
            Problem(
                "department",
                "required",
                "Indiquez le département de la structure (la région en est déduite).",
            )
        )
    return problems


def _expected_users(text: str) -> tuple[int, list[Problem]]:
    value = text.strip().replace(" ", "").replace("\u202f", "")
    if value.isascii() and value.isdigit() and 1 <= int(value) <= MAX_USERS:
        return int(value), []
    most = f"{MAX_USERS:,}".replace(",", "\u202f")
    message = (
        f"« {text.strip()} » n'est pas un nombre d'utilisateurs valide : indiquez un nombre "
        f"entier entre 1 et {most} (ex. 12)."
    )
    return 0, [Problem("expected_users", "number", message)]


def _clean_request(data: RequestInput) -> tuple[dict[str, Any], list[Problem]]:
    """The values to store and the problems found, one per field at most, in French."""
    problems = _required_and_lengths(data)
    flagged = {p.field for p in problems}
    structure, structure_problems = clean_structure(
        StructureInput(
            name=data.structure_name,
            id_type=data.id_type,
            id_number=data.id_number,
            address1=data.address,
            postal_code=data.postal_code,
            city=data.city,
            department=data.department,
            region=data.region,
            phone=data.phone,
            contact_email=data.email,
        )
    )
    for problem in structure_problems:
        field = _FROM_STRUCTURE.get(problem.field, problem.field)
        if field not in flagged and problem.is_error:
            problems.append(Problem(field, problem.code, problem.message))
            flagged.add(field)
    users, user_problems = _expected_users(data.expected_users)
    if "expected_users" not in flagged:
        problems += user_problems
    cleaned: dict[str, Any] = {
        "structure_name": structure["name"],
        "id_type": structure["id_type"],
        "id_number": structure.get("id_number", ""),
        "address": structure["address1"],
        "postal_code": structure["postal_code"],
        "city": structure["city"],
        "department": structure["department"],
        "region": structure["region"],
        "last_name": " ".join(data.last_name.split()).upper(),
        "first_name": " ".join(data.first_name.split()),
        "function": " ".join(data.function.split()),
        "email": structure["contact_email"],
        "phone": structure["phone"],
        "expected_users": users,
        "message": data.message.strip(),
    }
    return cleaned, problems


# --- the requester (public form) ------------------------------------------------------------


def _limited(ctx: Context, email: str) -> tuple[bool, bool]:
    """Count this request per IP and per email: (over a limit, first refusal of the window)."""
    per_ip, per_email = (
        int(settings.ONBOARDING_REQUESTS_PER_IP),
        int(settings.ONBOARDING_REQUESTS_PER_EMAIL),
    )
    by_ip = throttle.count_request(f"onboarding-ip:{ctx.ip}") if ctx.ip else 0
    by_email = throttle.count_request(f"onboarding-email:{email}")
    limited = by_ip > per_ip or by_email > per_email
    return limited, limited and (by_ip == per_ip + 1 or by_email == per_email + 1)


def submit_connection_request(ctx: Context, data: RequestInput) -> ConnectionRequest | None:
    """Anyone, not logged in (the public form); audits `onboarding.request` (bounded).

    Checks every field (Invalid, one French problem per field), then counts the request per
    IP address and per email (ONBOARDING_REQUESTS_PER_IP / _PER_EMAIL in the throttle
    window): over a limit nothing is created and TooManyRequests is raised; only the first
    refused request of a window is audited (detail `limited: true`). Otherwise the request
    is stored « nouvelle » and the contact is emailed an acknowledgement (one a day at most
    per address, ACKNOWLEDGEMENT_EVERY). The answer never says whether the structure or the
    email is already known to the platform.
    """
    cleaned, problems = _clean_request(data)
    if any(p.is_error for p in problems):
        raise Invalid("La demande n'a pas été envoyée : corrigez les champs signalés.", problems)
    created: ConnectionRequest | None = None
    with transaction.atomic():
        limited, first_refusal = _limited(ctx, cleaned["email"])
        if limited and first_refusal:
            record_event(
                ctx,
                AuditAction.ONBOARDING_REQUEST,
                target_label=cleaned["email"],
                detail={"limited": True, "structure": cleaned["structure_name"]},
            )
        if not limited:
            acknowledged = ConnectionRequest.objects.filter(
                email=cleaned["email"], created_at__gt=timezone.now() - ACKNOWLEDGEMENT_EVERY
            ).exists()
            created = ConnectionRequest.objects.create(ip=ctx.ip, **cleaned)
            record_event(
                ctx,
                AuditAction.ONBOARDING_REQUEST,
                target=created,
                detail={
                    "limited": False,
                    "structure": created.structure_name,
                    "identifier": created.identifier_label,
                    "contact": created.email,
                    "expected_users": created.expected_users,
                },
            )
            if not acknowledged:  # the form cannot be used to flood someone's mailbox
                send_on_commit(created.email, "onboarding_received", {"request": created})
    if created is None:
        minutes = int(settings.LOCKOUT_MINUTES)
        raise TooManyRequests(
            "Trop de demandes de raccordement ont été envoyées en peu de temps depuis cette "
            f"connexion ou pour cette adresse mail : réessayez dans {minutes} minutes. Votre "
            "demande précédente a bien été reçue si vous avez vu sa confirmation."
        )
    return created


# --- the service centre ----------------------------------------------------------------------


def list_connection_requests(
    ctx: Context, *, state: str = "", older_than_hours: int | None = None
) -> QuerySet[ConnectionRequest]:
    """The platform operator or the server (read only, no audit event; 404 for anyone else).

    `state`: one of STATE_FILTERS (OPEN: nouvelle and en cours), empty for all.
    `older_than_hours`: only the requests received more than that many hours ago. Oldest
    first (by id, the order of arrival): the queue is served in that order.
    """
    require_operator(ctx)
    problems: list[Problem] = []
    if state and state not in STATE_FILTERS:
        choices = ", ".join(STATE_FILTERS)
        problems.append(Problem("state", "choice", f"État « {state} » inconnu : {choices}."))
    if older_than_hours is not None and older_than_hours < 0:
        problems.append(
            Problem("older_than_hours", "number", "L'ancienneté est un nombre d'heures positif.")
        )
    if problems:
        raise Invalid("Filtre de la file des demandes invalide.", problems)
    rows = ConnectionRequest.objects.select_related("handled_by", "structure")
    if state == OPEN:
        rows = rows.filter(state__in=RequestState.open())
    elif state:
        rows = rows.filter(state=state)
    if older_than_hours is not None:
        rows = rows.filter(created_at__lt=timezone.now() - timedelta(hours=older_than_hours))
    return rows.order_by("pk")


def _require_open(request: ConnectionRequest) -> None:
    if request.state not in RequestState.open():
        answered = request.answered_at
        when = timezone.localtime(answered).strftime("%d/%m/%Y") if answered else ""
        raise Invalid(
            f"Cette demande a déjà reçu une réponse ({request.get_state_display().lower()}"
            f"{' le ' + when if when else ''}) : elle ne peut plus changer."
        )


def take_connection_request(ctx: Context, request: ConnectionRequest) -> ConnectionRequest:
    """The platform operator or the server; audits `onboarding.take`.

    « Prendre en charge »: the request goes « en cours », handled by the acting person."""
    require_operator(ctx)
    _require_open(request)
    with transaction.atomic():
        request.state = RequestState.IN_PROGRESS
        request.handled_by = ctx.user
        request.save(update_fields=["state", "handled_by", "updated_at"])
        record_event(ctx, AuditAction.ONBOARDING_TAKE, target=request)
    return request


def answer_connection_request(
    ctx: Context, request: ConnectionRequest, *, accept: bool, message: str
) -> ConnectionRequest:
    """The platform operator or the server; audits `onboarding.answer`.

    Accepts the request with a message (the next steps) or refuses it with a reason; the
    contact receives the text by email. A request answered once cannot be answered again."""
    require_operator(ctx)
    _require_open(request)
    text = message.strip()
    if not text or "\x00" in text:
        what = "le message d'acceptation (les prochaines étapes)" if accept else "le motif du refus"
        raise Invalid(
            "La réponse n'a pas été envoyée.",
            [Problem("message", "required", f"Écrivez {what} : il est envoyé au demandeur.")],
        )
    if len(text) > MAX_ANSWER:
        raise Invalid(
            "La réponse n'a pas été envoyée.",
            [
                Problem(
                    "message",
                    "too_long",
                    f"La réponse est trop longue : {MAX_ANSWER} caractères au plus "
                    f"({len(text)} saisis).",
                )
            ],
        )
    with transaction.atomic():
        request.state = RequestState.ACCEPTED if accept else RequestState.REFUSED
        request.answer = text
        request.answered_at = timezone.now()
        request.handled_by = ctx.user or request.handled_by
        request.save(update_fields=["state", "answer", "answered_at", "handled_by", "updated_at"])
        record_event(
            ctx,
            AuditAction.ONBOARDING_ANSWER,
            target=request,
            detail={"accepted": accept, "contact": request.email},
        )
        send_on_commit(
            request.email,
            "onboarding_answer",
            {"request": request, "accepted": accept, "message": text},
        )
    return request


def create_structure_from_request(
    ctx: Context, request: ConnectionRequest, *, domain: str = ""
) -> Structure:
    """The platform operator or the server; audits `onboarding.structure` (and
    `structure.create`, through `structures.operations.create_structure`).

    « Créer la structure »: a structure with the request's name, identifier, address and
    contact, on `domain` (its own or a shared one; may stay empty). A new request goes
    « en cours ». Refused when the request was refused or already has its structure, or
    when a structure has the same name or identifier (Invalid, naming the field)."""
    require_operator(ctx)
    if request.state == RequestState.REFUSED:
        raise Invalid("Cette demande a été refusée : aucune structure n'est créée pour elle.")
    if request.structure_id is not None:
        raise Invalid(
            f"La structure « {request.structure} » a déjà été créée depuis cette demande."
        )
    with transaction.atomic():
        structure = create_structure(
            ctx,
            StructureInput(
                name=request.structure_name,
                id_type=request.id_type,
                id_number=request.id_number,
                domain=domain,
                address1=request.address,
                postal_code=request.postal_code,
                city=request.city,
                department=request.department,
                region=request.region,
                phone=request.phone,
                contact_name=f"{request.contact_name} ({request.function})"[:200],
                contact_email=request.email,
            ),
        )
        request.structure = structure
        if request.state == RequestState.NEW:
            request.state = RequestState.IN_PROGRESS
        request.handled_by = ctx.user or request.handled_by
        request.save(update_fields=["structure", "state", "handled_by", "updated_at"])
        record_event(
            ctx,
            AuditAction.ONBOARDING_STRUCTURE,
            structure=structure,
            target=request,
            detail={"structure": structure.name, "identifier": structure.identifier_label},
        )
    return structure
