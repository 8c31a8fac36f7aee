"""Business actions on accounts: create, update, change type, (de)activate.

Each one checks permission, validates, writes and audits, in one transaction. Connection
accounts and mailbox settings live in `accounts.connections`, delegates in
`accounts.delegates`, moves to another structure in `accounts.moves`, the value helpers
in `accounts.values`; their public names are re-exported here so
`from caducee.accounts.operations import …` keeps working.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from caducee.accounts.colleagues import (
    approve_colleague_proposal,
    propose_colleague,
    refuse_colleague_proposal,
    set_colleague_policy,
)
from caducee.accounts.connections import (
    add_connection_accounts,
    openable_mailboxes,
    remove_connection_account,
    resolve_connection_accounts,
    set_default_mailbox,
    set_receipt_notification,
    sync_links,
    update_mailbox_settings,
)
from caducee.accounts.delegates import add_delegate, remove_delegate, set_delegate_right
from caducee.accounts.fields import STORED
from caducee.accounts.models import Account, AccountState, AccountType, ConnectionLink
from caducee.accounts.moves import move_account, preview_move
from caducee.accounts.persons import binding_problems, has_any_right, unusable_address
from caducee.accounts.validation import TYPE_NAMES, Cleaned, as_text, clean_account
from caducee.accounts.values import (
    account_values,
    db_value,
    derive_region,
    diff_values,
    raw_values,
    stored_values,
)
from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.core.context import Context
from caducee.core.errors import Invalid, Problem
from caducee.identity.revocation import revoke_access, revoke_account_access
from caducee.people.models import User
from caducee.structures.access import admin_scope, require_admin
from caducee.structures.models import Structure

__all__ = [
    "Outcome",
    "account_values",
    "add_connection_accounts",
    "add_delegate",
    "approve_colleague_proposal",
    "change_type",
    "create_account",
    "deactivate_account",
    "mark_finalised",
    "move_account",
    "openable_mailboxes",
    "preview_move",
    "preview_type_change",
    "propose_colleague",
    "reactivate_account",
    "refuse_colleague_proposal",
    "remove_connection_account",
    "remove_delegate",
    "resolve_connection_accounts",
    "set_colleague_policy",
    "set_default_mailbox",
    "set_delegate_right",
    "set_receipt_notification",
    "stored_values",
    "update_account",
    "update_mailbox_settings",
    "validate_for",
]


@dataclass
class Outcome:
    account: Account
    warnings: list[Problem] = field(default_factory=list)
    changes: dict[str, list[Any]] = field(default_factory=dict)


def validate_for(raw: Mapping[str, object]) -> Cleaned:
    return clean_account(raw)


def _check_email_free(ctx: Context, email: str, exclude: Account | None = None) -> list[Problem]:
    """No other mailbox may use `email`; one outside the actor's structures is not named."""
    existing = Account.objects.filter(email=email)
    if exclude is not None:
        existing = existing.exclude(pk=exclude.pk)
    other = existing.values_list("structure_id", flat=True).first()
    if other is None:
        return []
    if not ctx.is_server and not admin_scope(ctx).filter(pk=other).exists():
        return [unusable_address(email)]
    return [
        Problem(
            "email",
            "unique",
            f"Un compte de vos structures utilise déjà l'adresse {email} : une adresse mail ne "
            "peut servir qu'à un seul compte sur la plateforme.",
        )
    ]


def _person_for(account: Account) -> User:
    """The login of a new nominative mailbox: the person with that email, or a new one.

    Callers have checked `binding_problems` first: an existing person is only reused when
    all their rights lie in the actor's structures.
    """
    user = User.objects.filter(email=account.email).first()
    if user is None:
        user = User.objects.create_user(
            account.email, first_name=account.first_name, last_name=account.last_name
        )
    return user


def _take_particle(
    account: Account, raw: Mapping[str, object], values: dict[str, Any]
) -> str | None:
    """Take « MSSanté adresse » out of the values the account operations store.

    The particle is the directory's: `_route_particle` hands it to its operation, which
    checks eligibility, uniqueness and test prefixes and audits. None: not given.
    """
    given = "mssante_particle" in raw
    particle = str(values.pop("mssante_particle", "") or "")
    values["mssante_particle"] = account.mssante_particle
    return particle if given else None


def _route_particle(ctx: Context, account: Account, particle: str | None) -> dict[str, list[Any]]:
    """Set or remove the correspondence through the directory; the change, if any."""
    # Function-local: the directory's operations import accounts (the dependency points
    # from directory to accounts; this call is the one way back).
    from caducee.directory.operations import assign_mssante_address, remove_mssante_address

    before = account.mssante_particle
    if particle is None or particle == before:
        return {}
    if particle:
        assign_mssante_address(ctx, account, particle)
    else:
        remove_mssante_address(ctx, account)
    after = account.mssante_particle
    return {"mssante_particle": [before, after]} if after != before else {}


def create_account(
    ctx: Context,
    structure: Structure,
    raw: Mapping[str, object],
    *,
    visible: bool = False,
    is_test: bool = False,
    notify: bool = False,
) -> Outcome:
    """Admin of `structure`; audits `account.create` (and the directory's
    `directory.address_assign` when an MSSanté particle is given).

    Nominative accounts start pre-registered until finalised. With `notify`, the owner of
    a new nominative account gets the finalisation email. The region is derived from the
    department when left empty.
    """
    require_admin(ctx, structure)
    cleaned = clean_account(raw)
    values = cleaned.values
    from caducee.directory.quotas import check_capacity

    check_capacity(structure, {str(values.get("type") or ""): 1})
    problems = list(cleaned.problems)
    email = values.get("email", "")
    if email:
        taken = _check_email_free(ctx, email)
        problems += taken or binding_problems(ctx, structure, email, str(values.get("type", "")))
    links, link_problems = resolve_connection_accounts(
        ctx, values.get("connection_accounts", []), mailbox_email=email
    )
    problems += link_problems
    if any(p.is_error for p in problems):
        raise Invalid("Le compte n'a pas été créé : corrigez les champs signalés.", problems)
    with transaction.atomic():
        account = Account(structure=structure, visible=visible, is_test=is_test)
        particle = _take_particle(account, raw, values)
        _assign(account, values)
        account.state = AccountState.PREREGISTERED if account.is_nominative else AccountState.VALID
        if account.is_nominative:
            account.user = _person_for(account)
        account.save()
        ConnectionLink.objects.bulk_create(
            [ConnectionLink(mailbox=account, account=a) for a in links]
        )
        record_event(
            ctx,
            AuditAction.ACCOUNT_CREATE,
            structure=structure,
            target=account,
            detail={
                "type": account.type,
                "visible": visible,
                "is_test": is_test,
                "connection_accounts": [a.email for a in links],
            },
        )
        _route_particle(ctx, account, particle)
        if notify and account.is_nominative:
            from caducee.identity.operations.finalisation import send_invitation

            send_invitation(ctx, account)
    return Outcome(account, [p for p in problems if not p.is_error])


def _assign(account: Account, values: Mapping[str, Any]) -> None:
    for spec in STORED:
        value = values.get(spec.key)
        setattr(account, spec.key, db_value(spec, value))


def update_account(ctx: Context, account: Account, raw: Mapping[str, object]) -> Outcome:
    """Admin of the account's structure; audits `account.update` (and the directory's
    address events when « MSSanté adresse » changes).

    Keys absent from `raw` keep their current value. A new department re-derives the
    region unless the region was changed too (`accounts.values.derive_region`). The type
    and the email have their own operations.
    """
    require_admin(ctx, account.structure)
    if account.is_deleted:  # a tombstone (docs/ACCOUNTS.md, « What deletion does »)
        raise Invalid("Ce compte est supprimé pour inactivité : il ne peut plus être modifié.")
    merged = raw_values(account)
    merged.update(raw)
    derive_region(merged, raw, department=account.department, region=account.region)
    problems: list[Problem] = []
    new_type = as_text(merged.get("type")).upper()
    if new_type != account.type:
        problems.append(
            Problem(
                "type",
                "type_change",
                "Pour changer le type de BAL, utilisez « Changer le type de BAL ».",
            )
        )
    cleaned = clean_account(merged)
    problems += cleaned.problems
    values = cleaned.values
    if values.get("email") != account.email:
        problems.append(
            Problem(
                "email",
                "email_change",
                "L'adresse mail identifie le compte : faites une demande de changement de mail.",
            )
        )
    links, link_problems = resolve_connection_accounts(
        ctx, values.get("connection_accounts", []), mailbox_email=account.email
    )
    problems += link_problems
    if any(p.is_error for p in problems):
        raise Invalid("Le compte n'a pas été modifié : corrigez les champs signalés.", problems)
    with transaction.atomic():
        particle = _take_particle(account, raw, values)
        changes = diff_values(account, values)
        link_changes = sync_links(account, links) if "connection_accounts" in raw else {}
        if changes:
            _assign(account, values)
            account.save()
        if changes or link_changes:
            record_event(
                ctx,
                AuditAction.ACCOUNT_UPDATE,
                structure=account.structure,
                target=account,
                detail={"changes": changes, **link_changes},
            )
        changes.update(_route_particle(ctx, account, particle))
    return Outcome(account, [p for p in problems if not p.is_error], changes)


def _shared_problems(account: Account, target: str) -> list[Problem]:
    """Why the account cannot become a shared mailbox (ORG, APP), if it would."""
    if target not in AccountType.shared():
        return []
    problems: list[Problem] = []
    if account.mailbox_links.exists():
        problems.append(
            Problem(
                "type",
                "is_connection_account",
                f"{account.email} est compte de connexion d'autres boîtes : retirez-le d'abord de "
                "ces boîtes, une BAL ORG ou APP ne pouvant pas se connecter.",
            )
        )
    if account.delegated_to.exists():
        problems.append(
            Problem(
                "type",
                "is_delegate",
                "Ce compte est délégué d'autres comptes : retirez ces délégations.",
            )
        )
    return problems


def preview_type_change(
    account: Account, kind: str, raw: Mapping[str, object] | None = None
) -> list[Problem]:
    """What the account's current values (overridden by `raw`, as `change_type` takes
    them) lack, or hold too much, to become `kind`.

    Read-only: the « Changer le type de BAL » page, the API and the CLI show it before the
    change is sent; `change_type` applies the same rules.
    """
    preview = raw_values(account)
    for key, value in (raw or {}).items():
        preview[key] = ";".join(map(str, value)) if isinstance(value, list) else value
    preview["type"] = kind
    return clean_account(preview).problems + _shared_problems(account, kind.strip().upper())


def change_type(
    ctx: Context, account: Account, new_type: str, raw: Mapping[str, object] | None = None
) -> Outcome:
    """Admin of the account's structure; audits `account.change_type`.

    The account is re-validated against the new type's rules; becoming shared unbinds the
    person (whose login is disabled when it was their last right), becoming nominative
    binds one.
    """
    require_admin(ctx, account.structure)
    target = new_type.strip().upper()
    if target not in AccountType.values:
        raise Invalid(
            "Type de BAL inconnu : choisissez PER, INT, ORG, MED ou APP.",
            [Problem("type", "choice", "Choisissez PER, INT, ORG, MED ou APP.")],
        )
    from caducee.directory.quotas import check_capacity, group_of

    if group_of(target) != group_of(account.type):
        check_capacity(account.structure, {target: 1})
    given = raw or {}
    merged = raw_values(account)
    merged.update(given)
    merged["type"] = target
    cleaned = clean_account(merged)
    problems = list(cleaned.problems)
    becomes_shared = target in AccountType.shared()
    problems += _shared_problems(account, target)
    if not becomes_shared and account.user_id is None:
        problems += binding_problems(ctx, account.structure, account.email, target)
    links, link_problems = resolve_connection_accounts(
        ctx, cleaned.values.get("connection_accounts", []), mailbox_email=account.email
    )
    problems += link_problems
    if any(p.is_error for p in problems):
        raise Invalid(
            f"Le type ne peut pas devenir {TYPE_NAMES[target]} tant que ces champs ne sont pas "
            "corrigés :",
            problems,
        )
    with transaction.atomic():
        before = account.type
        particle = _take_particle(account, given, cleaned.values)
        changes = diff_values(account, cleaned.values)
        _assign(account, cleaned.values)
        if becomes_shared and account.user_id is not None:
            person = account.user
            account.user = None
            account.default_mailbox = None
            account.save()  # unbound first: the person's rights no longer include it
            if person is not None and not has_any_right(person):
                person.is_active = False
                person.save(update_fields=["is_active"])
                revoke_access(ctx, person, "login_disabled", structure=account.structure)
        if not becomes_shared and account.user_id is None:
            account.user = _person_for(account)
            if account.state == AccountState.VALID and account.finalised_at is None:
                account.state = AccountState.PREREGISTERED
        account.save()
        link_changes = sync_links(account, links)
        record_event(
            ctx,
            AuditAction.ACCOUNT_CHANGE_TYPE,
            structure=account.structure,
            target=account,
            detail={"from": before, "to": target, "changes": changes, **link_changes},
        )
        changes.update(_route_particle(ctx, account, particle))
    return Outcome(account, [p for p in problems if not p.is_error], changes)


def deactivate_account(ctx: Context, account: Account) -> Account:
    """Admin of the account's structure; audits `account.deactivate` (and revokes access)."""
    require_admin(ctx, account.structure)
    if account.state in AccountState.closed():  # a deleted account stays deleted
        return account
    with transaction.atomic():
        previous = account.state
        account.state = AccountState.DEACTIVATED
        account.save(update_fields=["state", "updated_at"])
        revoke_account_access(ctx, account, "account_deactivated")
        record_event(
            ctx,
            AuditAction.ACCOUNT_DEACTIVATE,
            structure=account.structure,
            target=account,
            detail={"previous_state": previous},
        )
    return account


def reactivate_account(ctx: Context, account: Account) -> Account:
    """Admin of the account's structure; audits `account.reactivate`."""
    require_admin(ctx, account.structure)
    if account.state != AccountState.DEACTIVATED:
        return account
    with transaction.atomic():
        finalised = account.finalised_at is not None or account.is_shared
        account.state = AccountState.VALID if finalised else AccountState.PREREGISTERED
        account.save(update_fields=["state", "updated_at"])
        record_event(
            ctx,
            AuditAction.ACCOUNT_REACTIVATE,
            structure=account.structure,
            target=account,
            detail={"state": account.state},
        )
    return account


def mark_finalised(account: Account) -> None:
    """Called by the finalisation flow (identity), which checks and audits; no audit here.

    The account becomes valid.
    """
    account.state = AccountState.VALID
    account.finalised_at = timezone.now()
    account.save(update_fields=["state", "finalised_at", "updated_at"])
