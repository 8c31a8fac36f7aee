"""Business actions of the directory: MSSanté correspondences, liste rouge, quotas, publication.

Each checks permission (404 for another structure), validates, writes atomically and audits.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from django.db import connection, transaction
from django.utils import timezone

from caducee.accounts.models import Account, AccountType
from caducee.audit.actions import AuditAction
from caducee.audit.log import AuditItem, TargetRef, record_event
from caducee.core.context import Context
from caducee.core.errors import Forbidden, Invalid, Problem
from caducee.directory.addresses import (
    MAX_PARTICLE,
    TEST_PREFIX,
    base_for,
    check_particle,
    free_particle,
    generated_base,
    is_test_particle,
    mssante_address,
)
from caducee.directory.entries import refresh_entry
from caducee.directory.models import MailboxListing, NationalGeneration, Quota, QuotaGroup
from caducee.directory.national import NationalImportSummary
from caducee.structures.access import require_admin
from caducee.structures.domains import mssante_domain
from caducee.structures.models import Structure


def _refuse(message: str) -> Invalid:
    return Invalid(message, [Problem("mssante_particle", "refused", message)])


def _check_eligible(account: Account) -> str:
    if account.type == AccountType.MED:
        raise _refuse(
            "Une BAL MED n'a pas d'adresse MSSanté : changez d'abord le type du compte "
            "(PER, INT, ORG ou APP) si cette personne y a droit."
        )
    domain = mssante_domain(account.structure)
    if not domain:
        raise _refuse(
            f"La structure {account.structure.name} n'a pas de domaine MSSanté : demandez à "
            "l'opérateur de le renseigner avant de créer des correspondances MSSanté."
        )
    return domain


def _typed_particle(account: Account, particle: str) -> str:
    """A particle typed by a person, as it will be stored for this account (a test account
    gets the `test.` prefix), or Invalid; its uniqueness is checked by the caller."""
    value = check_particle(particle)
    if account.is_test and not is_test_particle(value):
        value = TEST_PREFIX + value
    elif not account.is_test and is_test_particle(value):
        raise _refuse(
            f"« {value} » : une particule commençant par « {TEST_PREFIX} » est réservée aux "
            "comptes de test. Choisissez une autre particule."
        )
    if len(value) > MAX_PARTICLE:
        raise _refuse(f"La particule dépasse {MAX_PARTICLE} caractères : raccourcissez-la.")
    return value


def assign_mssante_address(ctx: Context, account: Account, particle: str | None) -> str:
    """Admin of the account's structure; audits `directory.address_assign`.

    Creates or changes the account's MSSanté correspondence; returns the full address.
    With no particle, one is generated (`prenom.nom`, or the service/structure name for a
    shared mailbox; a number is added when already used on the platform). A test account
    gets a `test.` particle.
    """
    require_admin(ctx, account.structure)
    domain = _check_eligible(account)
    if particle is not None and particle.strip():
        value = _typed_particle(account, particle)
        address = f"{value}@{domain}"
        clash = (
            Account.objects.exclude(pk=account.pk)
            .filter(mssante_particle=value, structure__domain=domain)
            .exists()
            or Account.objects.exclude(pk=account.pk).filter(email=address).exists()
        )
        if clash:
            raise _refuse(
                f"L'adresse {address} est déjà utilisée sur la plateforme : choisissez une autre "
                "particule (par exemple en ajoutant un chiffre)."
            )
    else:
        base = generated_base(account)
        if not base:
            raise _refuse(
                "Impossible de générer une adresse à partir du nom de ce compte (aucune lettre "
                "utilisable) : saisissez la particule souhaitée (ex. prenom.nom)."
            )
        value = free_particle(base_for(base, is_test=account.is_test), account)
        address = f"{value}@{domain}"
    with transaction.atomic():
        before = mssante_address(account)
        if account.mssante_particle != value:
            account.mssante_particle = value
            account.save(update_fields=["mssante_particle", "updated_at"])
            record_event(
                ctx,
                AuditAction.DIRECTORY_ADDRESS_ASSIGN,
                structure=account.structure,
                target=account,
                detail={"before": before, "after": address, "generated": not particle},
            )
    return address


def remove_mssante_address(ctx: Context, account: Account) -> None:
    """Admin of the account's structure; audits `directory.address_remove`.

    Removes the correspondence: the account loses its MSSanté access."""
    require_admin(ctx, account.structure)
    if not account.mssante_particle:
        return
    with transaction.atomic():
        before = mssante_address(account)
        account.mssante_particle = ""
        account.save(update_fields=["mssante_particle", "updated_at"])
        record_event(
            ctx,
            AuditAction.DIRECTORY_ADDRESS_REMOVE,
            structure=account.structure,
            target=account,
            detail={"before": before},
        )


def _listing_for_update(account: Account) -> MailboxListing:
    listing, _ = MailboxListing.objects.select_for_update().get_or_create(account=account)
    return listing


def _may_edit_own_listing(ctx: Context, account: Account) -> bool:
    return ctx.user is not None and account.user_id is not None and account.user_id == ctx.user.pk


def _set_listing_flag(
    ctx: Context,
    account: Account,
    flag: str,
    on: bool,
    action: AuditAction,
    *,
    refresh: bool = False,
) -> None:
    """Set one boolean of the account's listing (`red_list`, `dematerialisation`) and audit
    `action`: by the person themselves or an admin of the structure; nothing when unchanged.
    `refresh` rebuilds the account's row of the directory search (the flag changes who is
    listed)."""
    if not _may_edit_own_listing(ctx, account):
        require_admin(ctx, account.structure)
    with transaction.atomic():
        listing = _listing_for_update(account)
        if getattr(listing, flag) == on:
            return
        setattr(listing, flag, on)
        listing.save(update_fields=[flag])
        if refresh:
            account.listing = listing  # type: ignore[attr-defined]
            refresh_entry(account)
        record_event(ctx, action, structure=account.structure, target=account, detail={"on": on})


def set_red_list(ctx: Context, account: Account, on: bool) -> None:
    """The person or an admin of the structure; audit `directory.red_list`. Asks to be left
    out of the directories (liste rouge)."""
    _set_listing_flag(ctx, account, "red_list", on, AuditAction.DIRECTORY_RED_LIST, refresh=True)


def set_dematerialisation(ctx: Context, account: Account, on: bool) -> None:
    """The person or an admin of the structure; audit `directory.dematerialisation`. The
    « zéro papier » flag published with the mailbox."""
    _set_listing_flag(
        ctx, account, "dematerialisation", on, AuditAction.DIRECTORY_DEMATERIALISATION
    )


_QUOTA_PROBLEMS = "Quotas non enregistrés : corrigez les valeurs signalées."


def set_quotas(ctx: Context, structure: Structure, limits: Mapping[str, int | None]) -> None:
    """The operator (or the server); audit `directory.quota` per changed group. Sets (or
    lifts, with None) the limit of each given account group, all or nothing: every limit is
    checked before the first is written, and they are written in one transaction."""
    if not ctx.is_operator and not ctx.is_server:
        if ctx.user is not None:
            require_admin(ctx, structure)  # 404 for a structure of someone else
        raise Forbidden("Seul l'opérateur de la plateforme fixe les quotas.")
    problems: list[Problem] = []
    for group, limit in limits.items():
        if group not in QuotaGroup.values:
            labels = ", ".join(f"{g.value} ({g.label})" for g in QuotaGroup)
            message = f"Groupe de quota « {group} » inconnu : choisissez {labels}."
            problems.append(Problem(f"limit_{group}", "unknown", message))
        elif limit is not None and limit < 0:
            label = QuotaGroup(group).label
            message = f"« {label} » : le quota doit être un nombre positif ou vide (illimité)."
            problems.append(Problem(f"limit_{group}", "negative", message))
    if problems:
        raise Invalid(problems[0].message if len(problems) == 1 else _QUOTA_PROBLEMS, problems)
    with transaction.atomic():
        current = {
            q.group: q.limit for q in Quota.objects.select_for_update().filter(structure=structure)
        }
        for group, limit in limits.items():
            before = current.get(group)
            if before == limit:
                continue
            Quota.objects.update_or_create(
                structure=structure, group=group, defaults={"limit": limit}
            )
            record_event(
                ctx,
                AuditAction.DIRECTORY_QUOTA,
                structure=structure,
                target=structure,
                detail={"group": group, "before": before, "after": limit},
            )


def set_quota(ctx: Context, structure: Structure, group: str, limit: int | None) -> None:
    """The operator (or the server); audit `directory.quota`. `set_quotas` for one group."""
    set_quotas(ctx, structure, {group: limit})


CheckedAddress = tuple[int, Account, str, str]  # line, account, particle, full address
AuditTarget = Account | TargetRef


def check_mssante_addresses(
    ctx: Context, rows: list[tuple[int, Account, str]], *, label: str = "Ligne"
) -> list[CheckedAddress]:
    """Every check of `assign_mssante_addresses`, nothing written.

    Returns (line, account, particle, address) per row, with the particle as it will be
    stored ("" and "" for an empty one: no correspondence). The accounts may be unsaved
    (no pk): the loaduser import checks its new accounts before inserting them with
    their particle, then records `address_events` for them.
    """
    checked: list[CheckedAddress] = []
    allowed: set[int] = set()  # structures checked: one query each, not one per row
    for line, account, particle in rows:
        if account.structure_id not in allowed:
            require_admin(ctx, account.structure)
            allowed.add(account.structure_id)
        try:
            if not particle.strip():
                checked.append((line, account, "", ""))
                continue
            domain = _check_eligible(account)
            value = _typed_particle(account, particle)
        except Invalid as exc:
            raise Invalid(f"{label} {line} : {exc.message}", exc.problems) from None
        checked.append((line, account, value, f"{value}@{domain}"))
    wanted = [(line, a, v, addr) for line, a, v, addr in checked if v]
    seen: dict[str, int] = {}
    for line, _a, _v, address in wanted:
        if address in seen:
            raise _refuse(
                f"{label} {line} : l'adresse {address} est déjà demandée {label.lower()} "
                f"{seen[address]} : choisissez une autre particule."
            )
        seen[address] = line
    ids = [a.pk for _l, a, _v, _addr in checked if a.pk is not None]
    particles = {v for _l, _a, v, _addr in wanted}
    taken = _taken_addresses(ids, particles)
    taken |= set(
        Account.objects.exclude(pk__in=ids).filter(email__in=seen).values_list("email", flat=True)
    )
    for line, _a, _v, address in wanted:
        if address in taken:
            raise _refuse(
                f"{label} {line} : l'adresse {address} est déjà utilisée sur la plateforme : "
                "choisissez une autre particule (par exemple en ajoutant un chiffre)."
            )
    return checked


def _taken_addresses(excluded: list[int], particles: set[str]) -> set[str]:
    """The addresses (particle@domain) other accounts hold with these particles.

    Two index lookups (the particles, then their structures' domains), not one join: during
    an import the planner has no statistics for the accounts just written and would walk
    every account of the structure for each batch (48 ms a batch at 94,000 accounts on
    PostgreSQL, against 3 ms; docs/PERFORMANCE.md)."""
    holders = list(
        Account.objects.exclude(pk__in=excluded)
        .filter(mssante_particle__in=particles)
        .values_list("mssante_particle", "structure_id")
    )
    if not holders:
        return set()
    domains = dict(
        Structure.objects.filter(pk__in={s for _p, s in holders}).values_list("pk", "domain")
    )
    return {f"{p}@{domains[s]}" for p, s in holders}


def address_events(
    changes: list[tuple[Account, AuditTarget, str | None, str]],
) -> list[AuditItem]:
    """No caller check (a helper of `assign_mssante_addresses`, which checked); builds
    `directory.address_assign` / `directory.address_remove` events.

    One event per changed account from (account, target, address before, address after;
    "" when the correspondence is removed)."""
    events: list[AuditItem] = []
    for account, target, before, address in changes:
        if address:
            detail = {"before": before, "after": address, "generated": False}
            events.append((AuditAction.DIRECTORY_ADDRESS_ASSIGN, account.structure, target, detail))
        else:
            events.append(
                (
                    AuditAction.DIRECTORY_ADDRESS_REMOVE,
                    account.structure,
                    target,
                    {"before": before},
                )
            )
    return events


def assign_mssante_addresses(
    ctx: Context, rows: list[tuple[int, Account, str]], *, label: str = "Ligne"
) -> int:
    """`assign_mssante_address` for many accounts at once (the loaduser import).

    Same rules and the same audit events, with a few queries for the whole batch: every
    particle is checked first, and one refused particle refuses them all, naming its line
    (`label` + number). An empty particle removes the account's correspondence. Returns
    the number of accounts changed.
    """
    from caducee.audit.log import record_many

    checked = check_mssante_addresses(ctx, rows, label=label)
    changed = [(a, v, addr) for _l, a, v, addr in checked if a.mssante_particle != v]
    if not changed:
        return 0
    with transaction.atomic():
        changes: list[tuple[Account, AuditTarget, str | None, str]] = []
        for account, value, address in changed:
            changes.append((account, account, mssante_address(account), address if value else ""))
            account.mssante_particle = value
        events = address_events(changes)
        now = timezone.now()
        for account, _v, _addr in changed:
            account.updated_at = now
        table = Account._meta.db_table
        with connection.cursor() as cursor:  # one statement, many rows (no CASE WHEN)
            cursor.executemany(
                f"UPDATE {table} SET mssante_particle = %s, updated_at = %s WHERE id = %s",  # noqa: S608
                [(a.mssante_particle, now, a.pk) for a, _v, _addr in changed],
            )
        record_many(ctx, events)
    return len(changed)


def import_national_directory(
    ctx: Context, path: str | Path, *, source: str = ""
) -> NationalImportSummary:
    """The operator (or the server: the scheduler); audits `directory.national_import`.
    Loads the national MSSanté extraction (31-column `|` file, plain or zipped) in place of
    the current one: searches read the old set until the new one is complete, then the new
    one. Mailboxes of this platform's domains are left out (they are in the regional
    directory). A refused file, or one without any usable line, keeps the current set."""
    from caducee.directory import national_load
    from caducee.directory.national import opened, platform_domains
    from caducee.directory.national_file import ReadReport, read_rows

    if not ctx.is_operator and not ctx.is_server:
        raise Forbidden("Seul l'opérateur de la plateforme charge l'annuaire national.")
    file = Path(path)
    label = (source or str(file))[:1000]
    report = ReadReport()
    staged: Path | None = None
    try:
        with opened(file) as stream:
            staged, duplicates = national_load.stage(read_rows(stream, report, platform_domains()))
        if duplicates:
            report.skipped["duplicate"] += duplicates
        if report.lines_read - report.lines_skipped <= 0:
            raise Invalid(
                f"Fichier refusé : aucune boîte utilisable dans {file.name} "
                f"({report.lines_read} lignes lues, {report.lines_skipped} écartées). "
                "L'annuaire national en service est conservé."
            )
        generation = NationalGeneration.objects.create(source=label, started_at=timezone.now())
        try:
            count = national_load.write(national_load.entries(staged, generation.pk), generation.pk)
            national_load.settle()
        except BaseException:
            national_load.delete_rows(generation.pk)
            NationalGeneration.objects.filter(pk=generation.pk).update(
                state=NationalGeneration.State.FAILED
            )
            raise
    finally:
        if staged is not None:
            staged.unlink(missing_ok=True)
    generation.loaded_at = timezone.now()
    generation.lines_read = report.lines_read
    generation.entries = count
    generation.lines_skipped = report.lines_skipped
    generation.skipped = dict(report.skipped)
    with transaction.atomic():
        previous = national_load.swap(generation)
        record_event(
            ctx,
            AuditAction.DIRECTORY_NATIONAL_IMPORT,
            target=generation,
            target_label=label[:200],
            detail={
                "source": label,
                "lines_read": report.lines_read,
                "entries": count,
                "lines_skipped": report.lines_skipped,
                "skipped": dict(report.skipped),
                "replaced": previous.pk if previous is not None else None,
            },
        )
    if previous is not None:
        national_load.delete_rows(previous.pk)
    if national_load.purge_interrupted() or previous is not None:
        national_load.settle(vacuum=True)
    return NationalImportSummary(
        source=label,
        lines_read=report.lines_read,
        entries=count,
        skipped=dict(report.skipped),
        examples=tuple(report.examples),
        replaced=previous is not None,
    )
