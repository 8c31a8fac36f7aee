"""Self-registration (« Créer un compte », issue #16): the public steps and the service
centre's decisions.

Public steps (not logged in): a liberal professional proves their address with an emailed
code (`send_registration_code`, `prove_registration_code`); the person of a nominative
account proves it with its password and a login code (identity's login steps, reused by
the views). Nothing is written before that proof. Then `submit_registration` creates the
account in state « à valider » — an ORG mailbox with the proving account as its first
connection account, or a PER account — in the structure matching the typed identifier,
else in a structure created from the form (no domain yet, remembered on the request).

The service centre (the operator, or a person made `ServiceCentreMember`) lists the
requests, then validates (`validate_registration`: attach to an existing structure or keep
the structure, put it on a shared domain, assign the MSSanté address), rejects with a
reason, or asks for a correction (the requester gets a link to edit the request). Each
decision emails the requester and is audited.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from caducee.accounts.models import Account, AccountState, AccountType
from caducee.accounts.operations import create_account, update_account
from caducee.accounts.validation import clean_account
from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.core.context import Context
from caducee.core.email import send_on_commit
from caducee.core.errors import Forbidden, Invalid, NotFound, Problem
from caducee.core.secrets import digest, url_token
from caducee.identity import codes, links, throttle
from caducee.people.models import User
from caducee.registration import proofs
from caducee.registration.models import (
    RegistrationRequest,
    RequestState,
    ServiceCentreMember,
)
from caducee.registration.rules import (
    is_centre,
    is_region_open,
    matching_structure,
    prepare,
    request_for_correction,
    suggested_particle,
    text_of,
)
from caducee.structures.domains import is_shared_domain, shared_domain_names
from caducee.structures.models import Structure
from caducee.structures.operations import StructureInput, create_structure, update_structure

__all__ = [
    "add_centre_member",
    "ask_correction",
    "correct_registration",
    "list_registrations",
    "prove_registration_code",
    "reject_registration",
    "remove_centre_member",
    "send_registration_code",
    "submit_registration",
    "validate_registration",
]

# --- Who may do what ------------------------------------------------------------------------


def _require_centre(ctx: Context) -> None:
    """The server, the operator or a service-centre member; anyone else gets a 404."""
    if not (ctx.is_server or is_centre(ctx.user)):
        raise NotFound("Page réservée au centre de services.")


def _platform(ctx: Context, who: str) -> Context:
    """The platform acting for a registration step (the account operations it reuses are
    the server's there): the IP is kept, the label names who asked."""
    return Context(user=None, ip=ctx.ip, channel="system", label=f"inscription:{who}"[:254])


def _centre_as_platform(ctx: Context) -> Context:
    """A service-centre member is not an operator: the structure, domain and address
    operations a decision reuses run as the platform, the decision's own event names them."""
    if ctx.is_server or ctx.is_operator:
        return ctx
    return _platform(ctx, f"centre de services ({ctx.actor_label})")


# --- Proving an address (public) ----------------------------------------------------------


def _limited(ctx: Context, email: str, kind: str) -> tuple[bool, bool]:
    """Count one request per IP and per address: (over either limit, first refusal of
    the window for that key) — the audit stays bounded, as for password resets."""
    ip_limit = int(settings.REGISTRATION_REQUESTS_PER_IP)
    email_limit = int(settings.REGISTRATION_REQUESTS_PER_EMAIL)
    by_ip = throttle.count_request(f"registration-{kind}-ip:{ctx.ip}") if ctx.ip else 0
    by_email = throttle.count_request(f"registration-{kind}-email:{email}")
    limited = by_ip > ip_limit or by_email > email_limit
    first = by_ip == ip_limit + 1 or by_email == email_limit + 1
    return limited, first


def _clean_email(email: str, field: str = "email") -> str:
    from caducee.referentials import cleaning

    try:
        return cleaning.email(email).value
    except cleaning.Rejected as exc:
        raise Invalid(exc.message, [exc.problem(field)]) from None


def send_registration_code(ctx: Context, email: str, region: str) -> None:
    """Anyone (not logged in); writes `registration.code_sent` (bounded).

    Emails a code proving `email` for a liberal professional's registration; an address
    already known on the platform gets an email saying so instead (the page answers the
    same: no enumeration). Limited per IP and per address; over the limit, nothing is sent
    and only the first refused request of the window is audited. codes.TooSoon within the
    resend interval."""
    address = _clean_email(email)
    if not is_region_open(region):
        raise NotFound("La création de compte n'est pas ouverte dans cette région.")
    known = (
        Account.objects.filter(email=address).exists()
        or User.objects.filter(email=address).exists()
    )
    limited, first_refusal = _limited(ctx, address, "code")  # counted even if TooSoon
    with transaction.atomic():
        if not limited or first_refusal:
            record_event(
                ctx,
                AuditAction.REGISTRATION_CODE_SENT,
                target_label=address,
                detail={"known": known, "limited": limited, "region": region},
            )
        if limited:
            return
        if known:
            url = links.base_url() + reverse("identity:forgot")
            send_on_commit(address, "registration_known", {"email": address, "url": url})
            return
        code = proofs.issue(address)
        send_on_commit(
            address,
            "registration_code",
            {"code": code, "minutes": settings.LOGIN_CODE_MINUTES, "ip": ctx.ip or ""},
        )


def prove_registration_code(ctx: Context, email: str, code: str) -> codes.Verdict:
    """Anyone (not logged in); a wrong code writes `registration.code_failed`.

    Checks the code sent by `send_registration_code`; failures count against the address
    and the IP (identity/throttle.py), a locked key waits like a login."""
    address = email.strip().lower()
    keys = [k for k in (f"registration:{address}", throttle.ip_key(ctx.ip)) if k]
    if throttle.check(keys) is not None:
        return codes.Verdict(ok=False, dead=True)
    verdict = proofs.verify(address, code)
    if not verdict.ok:
        with transaction.atomic():
            throttle.fail(keys)
            record_event(ctx, AuditAction.REGISTRATION_CODE_FAILED, target_label=address)
    return verdict


# --- The form -------------------------------------------------------------------------------


def _free_name(data: StructureInput) -> str:
    """The structure's name, made unique with its city, then its identifier, when taken."""
    for name in (data.name, f"{data.name} ({data.city})", f"{data.name} ({data.id_number})"):
        if not Structure.objects.filter(name__iexact=name).exists():
            return name
    return f"{data.name} ({data.id_type} {data.id_number})"


_COMPANION_FIELDS = {
    "last_name": "requester_last_name",
    "first_name": "requester_first_name",
    "profession": "requester_profession",
}


def _companion(data: Mapping[str, Any], email: str) -> tuple[dict[str, Any], list[Problem]]:
    """The MED account of a requester with no individual account (« Non », then « Continuer
    sans compte individuel »): absent from the directory, it opens the ORG mailbox."""
    raw = {
        "type": AccountType.MED,
        "email": email,
        "last_name": text_of(data, "requester_last_name").upper(),
        "first_name": text_of(data, "requester_first_name"),
        "profession": text_of(data, "requester_profession"),
        "postal_code": text_of(data, "postal_code"),
        "city": text_of(data, "city"),
        "department": text_of(data, "department"),
        "region": text_of(data, "region"),
        "liberal": "OUI",
    }
    problems = [
        replace(p, field=_COMPANION_FIELDS[p.field])
        for p in clean_account(raw).problems
        if p.is_error and p.field in _COMPANION_FIELDS
    ]
    if Account.objects.filter(email=email).exists() or User.objects.filter(email=email).exists():
        problems.append(
            Problem(
                "requester_last_name",
                "known",
                f"L'adresse {email} a déjà un compte : répondez « Oui » et prouvez ce compte.",
            )
        )
    return raw, problems


def submit_registration(
    ctx: Context,
    kind: str,
    region: str,
    data: Mapping[str, Any],
    *,
    requester: User | None,
    proven_email: str = "",
) -> RegistrationRequest:
    """Anyone who proved their address (the views hold the proof); writes
    `registration.submit` (with the account operations' `account.create` and, when no
    structure matches, `structure.create`).

    ORG: `requester` is the person of the proving nominative account, which becomes the
    mailbox's first connection account; without one, `proven_email` is the requester's
    proven address and a MED account (absent from the directory, seed 003's « Non ») is
    created for them, « à valider » too, as the connection account. PER: `data["email"]`
    is the proven address. The account is created in state « à valider »; the requester
    gets an acknowledgement."""
    if not is_region_open(region):
        raise NotFound("La création de compte n'est pas ouverte dans cette région.")
    data = {**data, "region": region}
    connection = ""
    companion: dict[str, Any] | None = None
    companion_problems: list[Problem] = []
    if kind == AccountType.ORG and requester is None and proven_email:
        connection = proven_email.strip().lower()
        companion, companion_problems = _companion(data, connection)
    elif kind == AccountType.ORG:
        own = _nominative_of(requester)
        connection = own.email
    who = requester.email if requester is not None else connection or text_of(data, "email").lower()
    try:
        prepared = prepare(kind, data, connection=connection)
    except Invalid as exc:
        raise Invalid(exc.message, exc.problems + companion_problems) from None
    if companion_problems:
        raise Invalid(
            "La demande n'a pas été envoyée : corrigez les champs signalés.", companion_problems
        )
    if _limited(ctx, who, "submit")[0]:  # complete requests only: corrections are free
        raise Invalid(
            "Trop de demandes depuis cette adresse : patientez "
            f"{settings.LOCKOUT_MINUTES} minutes avant de réessayer."
        )
    platform = _platform(ctx, who)
    with transaction.atomic():
        source = prepared.structure_input
        structure = matching_structure(source.id_type, source.id_number)
        created = None
        if structure is None:
            structure = create_structure(platform, replace(source, name=_free_name(source)))
            created = structure
        person = requester
        if companion is not None:
            med = create_account(platform, structure, companion).account
            med.state = AccountState.TO_VALIDATE
            med.save(update_fields=["state", "updated_at"])
            person = med.user
            prepared.data["requester_account"] = med.pk
        account = create_account(platform, structure, prepared.raw).account
        account.state = AccountState.TO_VALIDATE
        account.save(update_fields=["state", "updated_at"])
        request = RegistrationRequest.objects.create(
            kind=kind,
            account=account,
            requester=person if person is not None else account.user,
            requester_email=who,
            region=region,
            data=prepared.data,
            created_structure=created,
        )
        record_event(
            ctx,
            AuditAction.REGISTRATION_SUBMIT,
            structure=structure,
            target=account,
            detail={
                "request": request.pk,
                "kind": kind,
                "region": region,
                "requester": who,
                "structure_created": created is not None,
            },
        )
        send_on_commit(who, "registration_received", {"request": request, "account": account})
    return request


def _nominative_of(user: User | None) -> Account:
    """The live nominative account a person proves for an ORG mailbox, or Invalid."""
    own = (
        Account.objects.filter(user=user, type__in=AccountType.nominative())
        .exclude(state__in=AccountState.not_openable())
        .first()
        if user is not None
        else None
    )
    if own is None:
        raise Invalid(
            "Ce compte n'a pas de boîte individuelle nominative active : créez d'abord votre "
            "compte individuel, puis revenez créer la boîte organisationnelle."
        )
    return own


# --- The service centre's queue -------------------------------------------------------------


def list_registrations(
    ctx: Context, *, state: str = "", kind: str = "", region: str = "", search: str = ""
) -> QuerySet[RegistrationRequest]:
    """The service centre (operator or member) or the server; reads only, no audit.

    The requests, oldest first, filtered by state (« a_valider »…), kind, region, and a
    text found in the requester's or the account's address or the structure's name."""
    _require_centre(ctx)
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
    _require_centre(ctx)
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
    structure = create_structure(_centre_as_platform(ctx), replace(source, name=_free_name(source)))
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
        structure = update_structure(_centre_as_platform(ctx), structure, current)
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
    acting = _centre_as_platform(ctx)
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


def correct_registration(ctx: Context, token: str, data: Mapping[str, Any]) -> RegistrationRequest:
    """Whoever holds the correction link; writes `registration.correct` (and the account's
    `account.update`, the provisional structure's `structure.update`).

    The form's rules again; the address of the account stays (it identifies it). The
    request returns to the queue « à valider »."""
    request = request_for_correction(token)
    account = request.account
    merged = {**request.data, **data, "email": account.email, "region": request.region}
    connection = ";".join(account.connection_links.values_list("account__email", flat=True))
    prepared = prepare(request.kind, merged, connection=connection, account=account)
    platform = _platform(ctx, request.requester_email)
    raw = {k: v for k, v in prepared.raw.items() if k not in ("type", "email")}
    with transaction.atomic():
        update_account(platform, account, raw)
        structure = account.structure
        if request.created_structure_id == structure.pk:
            source = prepared.structure_input
            update_structure(platform, structure, replace(source, name=structure.name))
        request.data = prepared.data
        request.state = RequestState.TO_VALIDATE
        request.correction_token_hash = ""
        request.correction_expires_at = None
        request.save()
        record_event(
            ctx,
            AuditAction.REGISTRATION_CORRECT,
            structure=structure,
            target=account,
            detail={"request": request.pk},
        )
    return request


# --- The service centre's members -----------------------------------------------------------


def add_centre_member(ctx: Context, email: str) -> User:
    """The operator or the server; writes `registration.centre_member`.

    Makes the person with this address a member of the service centre (they handle the
    registration queue); the person must exist (an admin or a mailbox's person)."""
    if not (ctx.is_operator or ctx.is_server):
        raise Forbidden("Seul l'opérateur de la plateforme désigne le centre de services.")
    address = email.strip().lower()
    user = User.objects.filter(email=address, is_active=True).first()
    if user is None:
        raise NotFound(f"Aucune personne active n'a l'adresse {address}.")
    with transaction.atomic():
        _, created = ServiceCentreMember.objects.get_or_create(user=user)
        if created:
            record_event(
                ctx, AuditAction.REGISTRATION_CENTRE_MEMBER, target=user, detail={"added": True}
            )
    return user


def remove_centre_member(ctx: Context, email: str) -> None:
    """The operator or the server; writes `registration.centre_member`."""
    if not (ctx.is_operator or ctx.is_server):
        raise Forbidden("Seul l'opérateur de la plateforme désigne le centre de services.")
    address = email.strip().lower()
    with transaction.atomic():
        deleted, _ = ServiceCentreMember.objects.filter(user__email=address).delete()
        if not deleted:
            raise NotFound(f"{address} n'est pas membre du centre de services.")
        record_event(
            ctx,
            AuditAction.REGISTRATION_CENTRE_MEMBER,
            target_label=address,
            detail={"added": False},
        )
