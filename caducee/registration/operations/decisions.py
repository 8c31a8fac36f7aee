"""The service centre's queue and its decisions: validate, reject, ask for a correction."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from caducee.accounts.models import Account, AccountState
from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.core.context import Context
from caducee.core.email import send_on_commit
from caducee.core.errors import Invalid, NotFound, Problem
from caducee.core.secrets import digest, url_token
from caducee.identity import links
from caducee.registration.models import (
    RegistrationRequest,
    RequestState,
)
from caducee.registration.operations._common import (
    centre_as_platform,
    free_name,
    require_centre,
)
from caducee.registration.rules import (
    suggested_particle,
)
from caducee.structures.domains import is_shared_domain, shared_domain_names
from caducee.structures.models import Structure
from caducee.structures.operations import StructureInput, create_structure, update_structure


def list_registrations(
    ctx: Context, *, state: str = "", kind: str = "", region: str = "", search: str = ""
) -> QuerySet[RegistrationRequest]:
    """The service centre (operator or member) or the server; reads only, no audit.

    The requests, oldest first, filtered by state (« a_valider »…), kind, region, and a
    text found in the requester's or the account's address or the structure's name."""
    require_centre(ctx)
    rows = RegistrationRequest.objects.select_related("account", "account__structure")
    if state:
        if state not in RequestState.values:
            raise Invalid(
                f"État « {state} » inconnu : choisissez parmi {', '.join(RequestState.values)}."
            )
        rows = rows.filter(state=state)
    if kind:
        rows = rows.filter(kind=kind.upper())
    if region:
        rows = rows.filter(region=region)
    if search.strip():
        text = search.strip()
        rows = rows.filter(
            Q(requester_email__icontains=text)
            | Q(account__email__icontains=text)
            | Q(account__structure__name__icontains=text)
        )
    return rows.order_by("submitted_at", "pk")


def find_request(ctx: Context, request_id: int) -> RegistrationRequest:
    """The service centre's request by id (404 for anyone else, or an unknown id)."""
    require_centre(ctx)
    request = (
        RegistrationRequest.objects.select_related("account", "account__structure")
        .filter(pk=request_id)
        .first()
    )
    if request is None:
        raise NotFound("Demande introuvable.")
    return request


def _pending(request: RegistrationRequest) -> None:
    if request.state != RequestState.TO_VALIDATE:
        label = RequestState(request.state).label.lower()
        raise Invalid(
            f"La demande n° {request.pk} est {label} : seule une demande à valider peut être "
            "validée, rejetée ou renvoyée pour correction."
        )


def _default_domain(structure: Structure) -> str:
    names = sorted(shared_domain_names())
    return names[0] if len(names) == 1 else ""


def _new_structure(ctx: Context, request: RegistrationRequest) -> Structure:
    """The structure of the request's form, created now (« Créer la structure ») unless
    the registration created it already."""
    account = request.account
    if request.created_structure_id == account.structure_id:
        return account.structure
    data = request.data
    source = StructureInput(
        name=str(data.get("structure_name") or account.company_name),
        id_type=str(data.get("id_type") or ""),
        id_number=str(data.get("id_number") or ""),
        address1=account.address1,
        postal_code=account.postal_code,
        city=account.city,
        department=account.department,
        region=account.region,
        phone=account.phone1,
    )
    structure = create_structure(centre_as_platform(ctx), replace(source, name=free_name(source)))
    request.created_structure = structure
    return structure


def _place(
    ctx: Context,
    request: RegistrationRequest,
    structure_id: int | None,
    domain: str,
    *,
    new_structure: bool = False,
) -> Structure:
    """Attach the account to an existing structure, or to a structure created from the
    form, or keep its structure; then put the structure on `domain` when given."""
    account = request.account
    structure = account.structure
    if new_structure and structure_id is not None:
        message = "Choisissez une structure existante ou la création de la structure, pas les deux."
        raise Invalid(message, [Problem("structure", "both", message)])
    if new_structure:
        structure_id = _new_structure(ctx, request).pk
    if structure_id is not None:
        target = Structure.objects.filter(pk=structure_id, is_external=False).first()
        if target is None:
            raise Invalid(
                f"Structure n° {structure_id} introuvable : choisissez une structure existante.",
                [Problem("structure", "unknown", "Choisissez une structure existante.")],
            )
        if target.pk != structure.pk:
            # A pending account, unpublished and without an address: it changes structure
            # without the move of a live account (accounts/moves.py). A structure this
            # registration created stays, empty: the audit journal keeps its chain.
            account.structure = target
            account.save(update_fields=["structure", "updated_at"])
            structure = target
    domain = domain.strip().lower()
    if not domain and not structure.domain:
        domain = _default_domain(structure)
    if domain and domain != (structure.domain or ""):
        if not is_shared_domain(domain):
            message = (
                f"{domain} n'est pas un domaine partagé de la plateforme : choisissez-en un "
                "(caducee domain list), ou laissez le domaine propre de la structure."
            )
            raise Invalid(message, [Problem("domain", "not_shared", message)])
        if structure.domain and not is_shared_domain(structure.domain):
            message = (
                f"La structure {structure.name} a son propre domaine ({structure.domain}) : "
                "elle ne passe pas sur un domaine partagé."
            )
            raise Invalid(message, [Problem("domain", "own_domain", message)])
        current = StructureInput(
            **{
                f: getattr(structure, f) or ""
                for f in StructureInput.__dataclass_fields__
                if f != "domain"
            },
            domain=domain,
        )
        structure = update_structure(centre_as_platform(ctx), structure, current)
    if not structure.domain:
        message = (
            f"La structure {structure.name} n'a pas de domaine MSSanté : choisissez un "
            "domaine partagé (caducee domain list) ou une structure qui en a un."
        )
        raise Invalid(message, [Problem("domain", "required", message)])
    account.structure = structure
    return structure


def validate_registration(
    ctx: Context,
    request_id: int,
    *,
    structure_id: int | None = None,
    new_structure: bool = False,
    domain: str = "",
    particle: str = "",
) -> RegistrationRequest:
    """The service centre (operator or member) or the server; writes
    `registration.validate` (and the reused operations' events: `structure.update` for the
    domain, `directory.address_assign`, `directory.red_list`, `directory.dematerialisation`,
    `identity.invitation_sent` for a professional).

    `structure_id` attaches the account to that existing structure, `new_structure` to
    the structure of the form (created now, or the one the registration created), else
    its structure is kept (the one its identifier matched, or the one it created);
    `domain` puts the structure on that shared domain (default: the only shared domain,
    for a structure without one); `particle` is the MSSanté address before @ (default: the
    seed's form, `pharmacie.du.centre.81000.albi`). An ORG mailbox becomes « valide » and
    is published unless the requester asked to stay out of the directory; a professional's
    account gets its finalisation link (password, CGU), then becomes valid."""
    from caducee.directory.addresses import mssante_address
    from caducee.directory.operations import (
        assign_mssante_address,
        set_dematerialisation,
        set_red_list,
    )

    request = find_request(ctx, request_id)
    _pending(request)
    acting = centre_as_platform(ctx)
    with transaction.atomic():
        structure = _place(ctx, request, structure_id, domain, new_structure=new_structure)
        account = request.account
        assign_mssante_address(acting, account, particle.strip() or suggested_particle(request))
        set_dematerialisation(acting, account, bool(request.data.get("dematerialisation", True)))
        set_red_list(acting, account, not bool(request.data.get("visible", True)))
        if account.is_shared:
            account.state = AccountState.VALID
        else:
            account.state = AccountState.PREREGISTERED
        account.save(update_fields=["state", "updated_at"])
        from caducee.identity.operations.finalisation import send_invitation

        if account.is_nominative:
            send_invitation(acting, account)
        companion = _companion_of(request)
        if companion is not None:  # the requester's MED account follows the mailbox
            companion.structure = structure
            companion.state = AccountState.PREREGISTERED
            companion.save(update_fields=["structure", "state", "updated_at"])
            send_invitation(acting, companion)
        request.state = RequestState.VALIDATED
        request.decided_at = timezone.now()
        request.decided_by = ctx.user
        request.save()
        address = mssante_address(account) or ""
        record_event(
            ctx,
            AuditAction.REGISTRATION_VALIDATE,
            structure=structure,
            target=account,
            detail={"request": request.pk, "structure": structure.name, "address": address},
        )
        send_on_commit(
            request.requester_email,
            "registration_validated",
            {"request": request, "account": account, "address": address},
        )
    return request


def _companion_of(request: RegistrationRequest) -> Account | None:
    """The requester's MED account created with the request, still « à valider »."""
    pk = request.data.get("requester_account")
    if not isinstance(pk, int):
        return None
    return Account.objects.filter(pk=pk, state=AccountState.TO_VALIDATE).first()


def reject_registration(ctx: Context, request_id: int, reason: str) -> RegistrationRequest:
    """The service centre (operator or member) or the server; writes `registration.reject`.

    The account becomes « rejeté » (it never opens) and the requester is emailed the
    reason, which is required."""
    request = find_request(ctx, request_id)
    _pending(request)
    text = " ".join(reason.split())
    if not text:
        message = "Indiquez le motif du rejet : il est envoyé au demandeur."
        raise Invalid(message, [Problem("reason", "required", message)])
    with transaction.atomic():
        account = request.account
        account.state = AccountState.REJECTED
        account.save(update_fields=["state", "updated_at"])
        companion = _companion_of(request)
        if companion is not None:
            companion.state = AccountState.REJECTED
            companion.save(update_fields=["state", "updated_at"])
        request.state = RequestState.REJECTED
        request.reason = text[:1000]
        request.decided_at = timezone.now()
        request.decided_by = ctx.user
        request.save()
        record_event(
            ctx,
            AuditAction.REGISTRATION_REJECT,
            structure=account.structure,
            target=account,
            detail={"request": request.pk, "reason": request.reason},
        )
        send_on_commit(
            request.requester_email,
            "registration_rejected",
            {"request": request, "account": account},
        )
    return request


def ask_correction(ctx: Context, request_id: int, message: str) -> RegistrationRequest:
    """The service centre (operator or member) or the server; writes
    `registration.correction_request`.

    The requester is emailed what to correct and a link to edit the request, valid
    REGISTRATION_CORRECTION_DAYS days; the request waits in state « a_corriger »."""
    request = find_request(ctx, request_id)
    _pending(request)
    text = " ".join(message.split())
    if not text:
        problem = "Indiquez ce que le demandeur doit corriger : c'est envoyé avec le lien."
        raise Invalid(problem, [Problem("message", "required", problem)])
    token = url_token(32)
    days = int(settings.REGISTRATION_CORRECTION_DAYS)
    with transaction.atomic():
        request.state = RequestState.TO_CORRECT
        request.reason = text[:1000]
        request.correction_token_hash = digest(token)
        request.correction_expires_at = timezone.now() + timedelta(days=days)
        request.save()
        record_event(
            ctx,
            AuditAction.REGISTRATION_CORRECTION_REQUEST,
            structure=request.account.structure,
            target=request.account,
            detail={"request": request.pk, "message": request.reason},
        )
        url = links.base_url() + reverse("registration:correct", args=[token])
        send_on_commit(
            request.requester_email,
            "registration_correction",
            {"request": request, "url": url, "days": days},
        )
    return request
