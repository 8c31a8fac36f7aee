"""Business actions on accounts. Each one checks permission, validates, writes and audits."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from caducee.accounts.fields import STORED, FieldSpec
from caducee.accounts.models import (
    Account,
    AccountState,
    AccountType,
    ConnectionLink,
    Delegation,
)
from caducee.accounts.persons import binding_problems, has_any_right, unusable_address
from caducee.accounts.validation import TYPE_NAMES, Cleaned, as_text, clean_account
from caducee.audit.log import record
from caducee.core.context import Context
from caducee.core.errors import Invalid, NotFound, Problem
from caducee.identity.revocation import revoke_access, revoke_account_access
from caducee.people.models import User
from caducee.structures.access import admin_scope, require_admin
from caducee.structures.models import Structure


@dataclass
class Outcome:
    account: Account
    warnings: list[Problem] = field(default_factory=list)
    changes: dict[str, list[Any]] = field(default_factory=dict)


def stored_values(account: Account) -> dict[str, Any]:
    """The account's values for every stored column of the field table."""
    return {spec.key: getattr(account, spec.key) for spec in STORED}


def account_values(account: Account) -> dict[str, Any]:
    """Stored values plus connection accounts and structure, keyed like the field table."""
    values = stored_values(account)
    values["connection_accounts"] = sorted(
        account.connection_links.values_list("account__email", flat=True)
    )
    values["structure"] = account.structure.name
    return values


def _raw_from_account(account: Account) -> dict[str, object]:
    values: dict[str, object] = dict(stored_values(account))
    values["connection_accounts"] = ";".join(
        account.connection_links.values_list("account__email", flat=True)
    )
    return values


def validate_for(raw: Mapping[str, object]) -> Cleaned:
    return clean_account(raw)


def _raise_if_errors(cleaned: Cleaned, message: str) -> None:
    if not cleaned.ok:
        raise Invalid(message, cleaned.problems)


def _check_email_free(ctx: Context, email: str, exclude: Account | None = None) -> list[Problem]:
    """No other mailbox may use `email`; one outside the actor's structures is not named."""
    existing = Account.objects.filter(email=email)
    if exclude is not None:
        existing = existing.exclude(pk=exclude.pk)
    other = existing.values_list("structure_id", flat=True).first()
    if other is None:
        return []
    if ctx.user is not None and not admin_scope(ctx).filter(pk=other).exists():
        return [unusable_address(email)]
    return [
        Problem(
            "email",
            "unique",
            f"Un compte de vos structures utilise déjà l'adresse {email} : une adresse mail ne "
            "peut servir qu'à un seul compte sur la plateforme.",
        )
    ]


def resolve_connection_accounts(
    ctx: Context,
    emails: Iterable[str],
    *,
    mailbox_email: str = "",
    pending: Mapping[str, str] | None = None,
) -> tuple[list[Account], list[Problem]]:
    """Find the nominative accounts named; `pending` maps emails created alongside to types."""
    found: list[Account] = []
    problems: list[Problem] = []
    emails = list(emails)
    by_email = {
        a.email: a for a in Account.objects.filter(email__in=emails, structure__in=admin_scope(ctx))
    }
    for email in emails:
        if email == mailbox_email:
            problems.append(
                Problem(
                    "connection_accounts",
                    "self",
                    f"{email} ne peut pas être son propre compte de connexion.",
                )
            )
            continue
        account = by_email.get(email)
        if account is None:
            if pending is not None and email in pending:
                if pending[email] not in AccountType.nominative():
                    problems.append(_not_nominative(email, pending[email]))
                continue
            problems.append(
                Problem(
                    "connection_accounts",
                    "unknown_account",
                    f"Aucun compte {email} dans vos structures : créez d'abord ce compte nominatif "
                    "(PER, INT ou MED), ou corrigez l'adresse.",
                )
            )
            continue
        if not account.is_nominative:
            problems.append(_not_nominative(email, account.type))
            continue
        found.append(account)
    return found, problems


def _not_nominative(email: str, kind: str) -> Problem:
    return Problem(
        "connection_accounts",
        "not_nominative",
        f"{email} est une BAL {kind} : seul un compte nominatif PER, INT ou MED "
        "peut être compte de connexion.",
    )


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


def create_account(
    ctx: Context,
    structure: Structure,
    raw: Mapping[str, object],
    *,
    visible: bool = False,
    is_test: bool = False,
    notify: bool = False,
) -> Outcome:
    """Create one mailbox. Nominative accounts start pre-registered until finalised.

    With `notify`, the owner of a new nominative account gets the finalisation email.
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
        _assign(account, values)
        account.state = AccountState.PREREGISTERED if account.is_nominative else AccountState.VALID
        if account.is_nominative:
            account.user = _person_for(account)
        account.save()
        ConnectionLink.objects.bulk_create(
            [ConnectionLink(mailbox=account, account=a) for a in links]
        )
        record(
            ctx,
            "account.create",
            structure=structure,
            target=account,
            detail={
                "type": account.type,
                "visible": visible,
                "is_test": is_test,
                "connection_accounts": [a.email for a in links],
            },
        )
        if notify and account.is_nominative:
            from caducee.identity.invitations import send_invitation

            send_invitation(ctx, account)
    return Outcome(account, [p for p in problems if not p.is_error])


def _assign(account: Account, values: Mapping[str, Any]) -> None:
    for spec in STORED:
        value = values.get(spec.key)
        setattr(account, spec.key, _db_value(spec, value))


def _db_value(spec: FieldSpec, value: Any) -> Any:
    if spec.key in {"liberal", "expiry_date"}:
        return value
    return value if value is not None else ""


def _diff(account: Account, values: Mapping[str, Any]) -> dict[str, list[Any]]:
    changes: dict[str, list[Any]] = {}
    for spec in STORED:
        before = getattr(account, spec.key)
        after = _db_value(spec, values.get(spec.key))
        if before != after:
            changes[spec.key] = [as_text(before), as_text(after)]
    return changes


def update_account(ctx: Context, account: Account, raw: Mapping[str, object]) -> Outcome:
    """Change an account's fields; keys absent from `raw` keep their current value."""
    require_admin(ctx, account.structure)
    merged = _raw_from_account(account)
    merged.update(raw)
    if "department" in raw and "region" not in raw:
        merged["region"] = ""  # re-derived from the new department
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
        changes = _diff(account, values)
        link_changes = _sync_links(account, links) if "connection_accounts" in raw else {}
        if changes:
            _assign(account, values)
            account.save()
        if changes or link_changes:
            record(
                ctx,
                "account.update",
                structure=account.structure,
                target=account,
                detail={"changes": changes, **link_changes},
            )
    return Outcome(account, [p for p in problems if not p.is_error], changes)


def _sync_links(mailbox: Account, wanted: list[Account]) -> dict[str, list[str]]:
    current = {link.account_id: link for link in mailbox.connection_links.select_related("account")}
    wanted_ids = {a.pk for a in wanted}
    removed = [link.account.email for aid, link in current.items() if aid not in wanted_ids]
    added = [a for a in wanted if a.pk not in current]
    if removed:
        mailbox.connection_links.exclude(account_id__in=wanted_ids).delete()
        Account.objects.filter(default_mailbox=mailbox).exclude(pk__in=wanted_ids).update(
            default_mailbox=None
        )
    ConnectionLink.objects.bulk_create([ConnectionLink(mailbox=mailbox, account=a) for a in added])
    result: dict[str, list[str]] = {}
    if added:
        result["links_added"] = [a.email for a in added]
    if removed:
        result["links_removed"] = removed
    return result


def change_type(
    ctx: Context, account: Account, new_type: str, raw: Mapping[str, object] | None = None
) -> Outcome:
    """Change the mailbox type; the account is re-validated against the new type's rules."""
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
    merged = _raw_from_account(account)
    merged.update(raw or {})
    merged["type"] = target
    cleaned = clean_account(merged)
    problems = list(cleaned.problems)
    becomes_shared = target in AccountType.shared()
    if becomes_shared and account.mailbox_links.exists():
        problems.append(
            Problem(
                "type",
                "is_connection_account",
                f"{account.email} est compte de connexion d'autres boîtes : retirez-le d'abord de "
                "ces boîtes, une BAL ORG ou APP ne pouvant pas se connecter.",
            )
        )
    if becomes_shared and account.delegated_to.exists():
        problems.append(
            Problem(
                "type",
                "is_delegate",
                "Ce compte est délégué d'autres comptes : retirez ces délégations.",
            )
        )
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
        changes = _diff(account, cleaned.values)
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
        link_changes = _sync_links(account, links)
        record(
            ctx,
            "account.change_type",
            structure=account.structure,
            target=account,
            detail={"from": before, "to": target, "changes": changes, **link_changes},
        )
    return Outcome(account, [p for p in problems if not p.is_error], changes)


def deactivate_account(ctx: Context, account: Account) -> Account:
    require_admin(ctx, account.structure)
    if account.state == AccountState.DEACTIVATED:
        return account
    with transaction.atomic():
        previous = account.state
        account.state = AccountState.DEACTIVATED
        account.save(update_fields=["state", "updated_at"])
        revoke_account_access(ctx, account, "account_deactivated")
        record(
            ctx,
            "account.deactivate",
            structure=account.structure,
            target=account,
            detail={"previous_state": previous},
        )
    return account


def reactivate_account(ctx: Context, account: Account) -> Account:
    require_admin(ctx, account.structure)
    if account.state != AccountState.DEACTIVATED:
        return account
    with transaction.atomic():
        finalised = account.finalised_at is not None or account.is_shared
        account.state = AccountState.VALID if finalised else AccountState.PREREGISTERED
        account.save(update_fields=["state", "updated_at"])
        record(
            ctx,
            "account.reactivate",
            structure=account.structure,
            target=account,
            detail={"state": account.state},
        )
    return account


def add_connection_accounts(ctx: Context, mailbox: Account, emails_text: str) -> list[Account]:
    """Allow nominative accounts (comma- or ';'-separated emails) to open a shared mailbox."""
    require_admin(ctx, mailbox.structure)
    if not mailbox.is_shared:
        raise Invalid("Seule une boîte ORG ou APP a des comptes de connexion.")
    emails = [e.strip().lower() for e in emails_text.replace(";", ",").split(",") if e.strip()]
    if not emails:
        raise Invalid(
            "Saisissez l'adresse mail d'au moins un compte nominatif.",
            [
                Problem(
                    "connection_accounts",
                    "required",
                    "Saisissez l'adresse mail d'au moins un compte nominatif.",
                )
            ],
        )
    accounts, problems = resolve_connection_accounts(ctx, emails, mailbox_email=mailbox.email)
    if problems:
        raise Invalid("Aucun compte de connexion n'a été ajouté.", problems)
    existing = set(mailbox.connection_links.values_list("account_id", flat=True))
    added = [a for a in accounts if a.pk not in existing]
    with transaction.atomic():
        ConnectionLink.objects.bulk_create(
            [ConnectionLink(mailbox=mailbox, account=a) for a in added]
        )
        for account in added:
            record(
                ctx,
                "account.connection_add",
                structure=mailbox.structure,
                target=mailbox,
                detail={"connection_account": account.email},
            )
    return added


def remove_connection_account(ctx: Context, mailbox: Account, account: Account) -> None:
    require_admin(ctx, mailbox.structure)
    if mailbox.type == AccountType.ORG and mailbox.connection_links.count() <= 1:
        raise Invalid(
            "Une BAL ORG doit garder au moins un compte de connexion (exigence réglementaire) : "
            "ajoutez-en un autre avant de retirer celui-ci."
        )
    with transaction.atomic():
        deleted, _ = ConnectionLink.objects.filter(mailbox=mailbox, account=account).delete()
        if not deleted:
            raise NotFound("Ce compte n'est pas compte de connexion de cette boîte.")
        if account.default_mailbox_id == mailbox.pk:
            account.default_mailbox = None
            account.save(update_fields=["default_mailbox", "updated_at"])
        record(
            ctx,
            "account.connection_remove",
            structure=mailbox.structure,
            target=mailbox,
            detail={"connection_account": account.email},
        )


def openable_mailboxes(account: Account) -> list[Account]:
    """The mailboxes a nominative account can open: its own, then linked ORG/APP ones."""
    linked = Account.objects.filter(connection_links__account=account).order_by("email")
    return [account, *linked]


def set_default_mailbox(ctx: Context, account: Account, mailbox: Account | None) -> None:
    """Choose the mailbox opened at login (None or the account itself: its own)."""
    require_admin(ctx, account.structure)
    if mailbox is not None and mailbox.pk != account.pk:
        if not ConnectionLink.objects.filter(mailbox=mailbox, account=account).exists():
            raise NotFound("Ce compte ne peut pas ouvrir cette boîte.")
    target = None if mailbox is None or mailbox.pk == account.pk else mailbox
    with transaction.atomic():
        account.default_mailbox = target
        account.save(update_fields=["default_mailbox", "updated_at"])
        record(
            ctx,
            "account.default_mailbox",
            structure=account.structure,
            target=account,
            detail={"default": target.email if target else account.email},
        )


def set_receipt_notification(ctx: Context, account: Account, mailbox: Account, on: bool) -> None:
    require_admin(ctx, account.structure)
    link = ConnectionLink.objects.filter(mailbox=mailbox, account=account).first()
    if link is None:
        raise NotFound("Ce compte ne peut pas ouvrir cette boîte.")
    if link.notify_on_receipt == on:
        return
    with transaction.atomic():
        link.notify_on_receipt = on
        link.save(update_fields=["notify_on_receipt"])
        record(
            ctx,
            "account.receipt_notification",
            structure=account.structure,
            target=account,
            detail={"mailbox": mailbox.email, "on": on},
        )


def add_delegate(ctx: Context, account: Account, delegate_email: str) -> Delegation:
    require_admin(ctx, account.structure)
    email = delegate_email.strip().lower()
    delegate = Account.objects.filter(email=email, structure__in=admin_scope(ctx)).first()
    if delegate is None:
        raise Invalid(
            f"Aucun compte {email} dans vos structures.",
            [Problem("delegate", "unknown_account", f"Aucun compte {email} dans vos structures.")],
        )
    if delegate.pk == account.pk:
        raise Invalid("Un compte ne peut pas être son propre délégué.")
    if not delegate.is_nominative:
        raise Invalid(
            f"{email} est une BAL {delegate.type} : un délégué doit être un compte "
            "nominatif (PER, INT ou MED)."
        )
    with transaction.atomic():
        delegation, created = Delegation.objects.get_or_create(account=account, delegate=delegate)
        if created:
            record(
                ctx,
                "account.delegate_add",
                structure=account.structure,
                target=account,
                detail={"delegate": delegate.email},
            )
    return delegation


def remove_delegate(ctx: Context, account: Account, delegate: Account) -> None:
    require_admin(ctx, account.structure)
    with transaction.atomic():
        deleted, _ = Delegation.objects.filter(account=account, delegate=delegate).delete()
        if not deleted:
            raise NotFound("Ce délégué n'existe pas.")
        record(
            ctx,
            "account.delegate_remove",
            structure=account.structure,
            target=account,
            detail={"delegate": delegate.email},
        )


def mark_finalised(account: Account) -> None:
    """Helper for the finalisation flow (identity): the account becomes valid."""
    account.state = AccountState.VALID
    account.finalised_at = timezone.now()
    account.save(update_fields=["state", "finalised_at", "updated_at"])
