"""The public steps of a registration: proving an address, the form, a correction."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from caducee.accounts.models import Account, AccountState, AccountType
from caducee.accounts.operations import create_account, update_account
from caducee.accounts.validation import clean_account
from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.core.context import Context
from caducee.core.email import send_on_commit
from caducee.core.errors import Invalid, NotFound, Problem
from caducee.identity import codes, links, throttle
from caducee.people.models import User
from caducee.registration import proofs
from caducee.registration.models import (
    RegistrationRequest,
    RequestState,
)
from caducee.registration.operations._common import (
    acting_platform,
    clean_email,
    free_name,
    over_limit,
)
from caducee.registration.rules import (
    is_region_open,
    matching_structure,
    prepare,
    request_for_correction,
    text_of,
)
from caducee.structures.operations import create_structure, update_structure


def send_registration_code(ctx: Context, email: str, region: str) -> None:
    """Anyone (not logged in); writes `registration.code_sent` (bounded).

    Emails a code proving `email` for a liberal professional's registration; an address
    already known on the platform gets an email saying so instead (the page answers the
    same: no enumeration). Limited per IP and per address; over the limit, nothing is sent
    and only the first refused request of the window is audited. codes.TooSoon within the
    resend interval."""
    address = clean_email(email)
    if not is_region_open(region):
        raise NotFound("La création de compte n'est pas ouverte dans cette région.")
    known = (
        Account.objects.filter(email=address).exists()
        or User.objects.filter(email=address).exists()
    )
    limited, first_refusal = over_limit(ctx, address, "code")  # counted even if TooSoon
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
    if over_limit(ctx, who, "submit")[0]:  # complete requests only: corrections are free
        raise Invalid(
            "Trop de demandes depuis cette adresse : patientez "
            f"{settings.LOCKOUT_MINUTES} minutes avant de réessayer."
        )
    platform = acting_platform(ctx, who)
    with transaction.atomic():
        source = prepared.structure_input
        structure = matching_structure(source.id_type, source.id_number)
        created = None
        if structure is None:
            structure = create_structure(platform, replace(source, name=free_name(source)))
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
    platform = acting_platform(ctx, request.requester_email)
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
