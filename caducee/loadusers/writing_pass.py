"""The writing pass of an import: every valid line applied in ONE transaction.

Bulk inserts and updates, chunk by chunk; an interruption leaves the database as it was.
Same rows and audit events as `create_account` / `update_account` for each line (tested).
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import connection, transaction
from django.utils import timezone

from caducee.accounts.models import Account, AccountState, ConnectionLink
from caducee.accounts.search_index import indexed_in_batches
from caducee.audit.actions import AuditAction
from caducee.audit.log import AuditItem, TargetRef, record_event, record_many
from caducee.core.bulk import copies_in_background, insert_keyed, insert_rows
from caducee.core.context import Context
from caducee.core.secrets import url_token
from caducee.directory.generation import Wanted, generated_event
from caducee.directory.loading import add_created, apply_particles, refresh_loaded
from caducee.directory.operations import address_events, check_mssante_addresses
from caducee.loadusers.address_generation import resolve
from caducee.loadusers.import_state import (
    CHUNK,
    COL,
    NOMINATIVE,
    STORED_KEYS,
    AccountUpdate,
    ImportResult,
    ImportState,
    NewAccount,
    Progress,
)
from caducee.loadusers.inserted import NewAccountView
from caducee.people.models import User
from caducee.structures.domains import mssante_domain


def write(
    state: ImportState,
    by_type: dict[int, Counter[str]],
    wanted: list[Wanted],
    *,
    notify: bool,
    visible: bool,
    progress: Progress | None,
    before_commit: Callable[[ImportResult], None] | None = None,
) -> None:
    ctx, result = state.ctx, state.result
    total = len(state.creates) + len(state.updates)
    done = 0
    base_detail = {"import": result.import_id, "file": result.file_name}
    if progress is not None:
        progress("writing", 0, total)  # before the transaction: visible to every process
    # PostgreSQL: the COPYs leave from a thread, the server inserts while the next rows are
    # prepared (core/bulk.copies_in_background; every other query waits for them). SQLite:
    # the accounts' trigram index is filled once a batch, not by a trigger for each account
    # (accounts/search_index.indexed_in_batches).
    with transaction.atomic(), copies_in_background(), indexed_in_batches() as index_batch:
        # Empty « MSSanté adresse » of new accounts: generated here, inside the transaction.
        generated = resolve(state, wanted)
        unanalyzed = _without_statistics(str(Account._meta.db_table))
        for number, batch in enumerate(state.creates.batches(CHUNK)):
            if number == 1 and unanalyzed:
                _analyze(str(Account._meta.db_table))  # statistics for the next batches' queries
            # « MSSanté adresse »: checked by the directory's rules, stored with the row.
            addresses = _check_new_particles(state, batch)
            new_ids, rows = _create_batch(state, batch, addresses, generated, visible=visible)
            index_batch(list(new_ids.values()))
            # The regional directory's search rows, from the values just inserted.
            add_created(_inserted_accounts(state, rows, new_ids))
            events: list[AuditItem] = []
            for create in batch:
                email = create.email
                pk = new_ids[email]
                events.append(
                    (
                        AuditAction.ACCOUNT_CREATE,
                        create.structure_id,
                        TargetRef("account", str(pk), email),
                        {
                            "type": create.kind,
                            "visible": visible,
                            "is_test": False,
                            "connection_accounts": list(create.links or []),
                            "line": create.line,
                            **base_detail,
                        },
                    )
                )
            events += address_events(
                [
                    (account, TargetRef("account", str(new_ids[email]), email), None, address)
                    for email, (account, _particle, address) in addresses.items()
                ]
            )
            events += _generated_events(state, batch, new_ids, generated)
            record_many(ctx, events)
            if notify:
                nominative = [new_ids[c.email] for c in batch if c.kind in NOMINATIVE]
                _notify(ctx, state, nominative)
            done += len(batch)
            if progress is not None:
                progress("writing", done, total)
        _write_created_links(state)
        written = array("q")  # the updated accounts' ids, compact
        for batch_u in state.updates.batches(CHUNK):
            _update_batch(state, batch_u, base_detail)
            written.extend(u.pk for u in batch_u)
            done += len(batch_u)
            if progress is not None:
                progress("writing", done, total)
        refresh_loaded(written)  # the search rows of the updated accounts
        record_event(
            ctx,
            AuditAction.LOADUSERS_IMPORT,
            structure=state.structure,
            detail={
                **base_detail,
                **result.counts,
                "created_by_type": {
                    str(structure_id): dict(counter) for structure_id, counter in by_type.items()
                },
                "notify": notify,
                "visible": visible,
                "addresses_generated": result.addresses_generated,
            },
        )
        if before_commit is not None:
            before_commit(result)


ACCOUNT_COLUMNS = (
    "structure_id",
    "user_id",
    "state",
    "visible",
    "is_test",
    "created_at",
    "updated_at",
    "inactivity_exempt_reason",  # NOT NULL without a database default (accounts/0004)
    *STORED_KEYS,
)
USER_COLUMNS = (
    "email",
    "first_name",
    "last_name",
    "password",
    "is_active",
    "is_operator",
    "date_joined",
)


def _without_statistics(table: str) -> bool:
    """PostgreSQL: the table (the accounts') has no statistics (never analyzed, or analyzed
    empty: `pg_class.reltuples` -1 or 0), as on a new installation's first import.

    Without them the planner gives each value of an `IN` list a default selectivity, and
    from a few hundred values it walks the whole table instead of the index: the MSSanté
    address check's « particle already held » query (`_taken_addresses`), once a batch,
    took 70 ms at 94,000 accounts instead of 0.6 ms (issue #19, docs/PERFORMANCE.md). The
    table's own rows, written by this transaction, are not counted by autovacuum before
    the commit, so nothing else analyzes it meanwhile.
    """
    if connection.vendor != "postgresql":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = %s::regclass", [table])
        row = cursor.fetchone()
    return row is not None and row[0] <= 0


def _analyze(table: str) -> None:
    """ANALYZE the table inside the import's transaction: it samples the rows this
    transaction wrote (after one batch: a few milliseconds). Its statistics (`pg_statistic`)
    roll back with the import; the row and page estimates of `pg_class` are written in
    place, as by any ANALYZE. A role that does not own the table gets a warning, not an
    error."""
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


NewAddresses = dict[str, tuple[Account, str, str]]  # email -> (unsaved account, particle, address)


def _check_new_particles(state: ImportState, batch: list[NewAccount]) -> NewAddresses:
    """The batch's « MSSanté adresse » values, checked by the directory's rules before the
    accounts exist: email -> (unsaved account, particle to store, full address), in line
    order. A refused particle refuses the import (Invalid naming the line)."""
    # The unsaved accounts are views of the line's values (inserted.py), not model instances.
    rows: list[tuple[int, Account, str]] = []
    for c in batch:
        particle = c.value("mssante_particle")
        if not particle:
            continue
        account = NewAccountView(state.scope[c.structure_id], "", False, c.values)
        rows.append((c.line, account.as_account(), str(particle)))
    checked = check_mssante_addresses(state.ctx, rows)
    return {a.email: (a, particle, address) for _l, a, particle, address in checked if particle}


def _generated_events(
    state: ImportState, batch: list[NewAccount], new_ids: dict[str, int], generated: dict[str, str]
) -> list[AuditItem]:
    """`directory.address_assign` (generated) for the batch's generated addresses."""
    events: list[AuditItem] = []
    for create in batch:
        particle = generated.get(create.email)
        if particle:
            email, structure_id = create.email, create.structure_id
            address = f"{particle}@{mssante_domain(state.scope[structure_id])}"
            target = TargetRef("account", str(new_ids[email]), email)
            events.append(generated_event(structure_id, target, address))
    return events


def _create_batch(
    state: ImportState,
    batch: list[NewAccount],
    addresses: NewAddresses,
    generated: dict[str, str],
    *,
    visible: bool,
) -> tuple[dict[str, int], list[tuple[Any, ...]]]:
    """Insert the persons and accounts of a batch; returns email -> new account id, and
    the rows inserted (values in `ACCOUNT_COLUMNS` order).

    Same rows as create_account: nominative accounts pre-registered with their person
    (an existing person with that email is reused, others get an unusable password),
    shared accounts valid and without person; the particle is the one the directory's
    check accepted (`addresses`), or the generated one (`generated`) for an empty cell.
    """
    now = timezone.now()
    people = [
        (
            c.email,
            str(c.value("first_name")),
            str(c.value("last_name")),
            UNUSABLE_PASSWORD_PREFIX + url_token(30),
            True,
            False,
            now,
        )
        for c in batch
        if c.kind in NOMINATIVE and c.user_id is None
    ]
    user_ids: dict[str, int] = {}
    if people:
        user_ids = insert_keyed(User, USER_COLUMNS, people, "email")
    rows: list[tuple[Any, ...]] = []
    for create in batch:
        kind, email = create.kind, create.email
        user_id = (create.user_id or user_ids[email]) if kind in NOMINATIVE else None
        values = list(create.values)
        particle = addresses[email][1] if email in addresses else generated.get(email, "")
        values[COL["mssante_particle"]] = particle
        rows.append(
            (
                create.structure_id,
                user_id,
                _initial_state(kind),
                visible,
                False,
                now,
                now,
                "",
                *values,
            )
        )
    return insert_keyed(Account, ACCOUNT_COLUMNS, rows, "email"), rows


def _inserted_accounts(
    state: ImportState, rows: list[tuple[Any, ...]], new_ids: dict[str, int]
) -> list[Account]:
    """The batch's new accounts as views of the values just inserted (inserted.py), for
    the directory's search rows: nothing read back. A nominative account created hidden
    (not visible, not finalised) is never listed (`is_listed`): no view is built for it."""
    at = {name: i for i, name in enumerate(ACCOUNT_COLUMNS)}
    structure, account_state, visible, email, kind = (
        at["structure_id"], at["state"], at["visible"], at["email"], at["type"]
    )  # fmt: skip
    values = at[STORED_KEYS[0]]  # the line's values come last, in STORED_KEYS order
    return [
        NewAccountView(
            state.scope[row[structure]],
            row[account_state],
            row[visible],
            row[values:],
            new_ids[row[email]],
        ).as_account()
        for row in rows
        if row[visible] or row[kind] not in NOMINATIVE
    ]


_PREREGISTERED, _VALID = str(AccountState.PREREGISTERED), str(AccountState.VALID)


def _initial_state(kind: str) -> str:
    return _PREREGISTERED if kind in NOMINATIVE else _VALID


def _notify(ctx: Context, state: ImportState, account_ids: list[int]) -> None:
    from caducee.identity.operations.finalisation import send_invitation

    for account in Account.objects.filter(pk__in=account_ids).select_related("user", "structure"):
        send_invitation(ctx, account)


def _update_batch(
    state: ImportState, batch: list[AccountUpdate], base_detail: dict[str, Any]
) -> None:
    accounts = Account.objects.in_bulk([u.pk for u in batch])
    now = timezone.now()
    fields: set[str] = set()
    changed: list[Account] = []
    events: list[AuditItem] = []
    removals: dict[int, set[int]] = {}
    additions: list[tuple[int, list[str]]] = []
    particles: list[tuple[int, Account, str]] = []
    for update in batch:
        account = accounts[update.pk]
        detail: dict[str, Any] = {"changes": update.changes, "line": update.line, **base_detail}
        if update.changes:
            values = dict(update.values)
            if "mssante_particle" in values:  # set by the directory's operation, below
                account.structure = state.scope[update.structure_id]
                particles.append((update.line, account, str(values.pop("mssante_particle"))))
            for key, value in values.items():
                setattr(account, key, value)
            account.updated_at = now
            fields.update(values)
            changed.append(account)
        if update.links is not None:
            wanted = set(update.links)
            added = sorted(wanted - update.current_links)
            removed = sorted(update.current_links - wanted)
            if added:
                detail["links_added"] = added
                additions.append((account.pk, added))
            if removed:
                detail["links_removed"] = removed
                removals[account.pk] = set(
                    Account.objects.filter(email__in=removed).values_list("pk", flat=True)
                )
        events.append((AuditAction.ACCOUNT_UPDATE, update.structure_id, account, detail))
    if changed:
        Account.objects.bulk_update(changed, [*sorted(fields), "updated_at"], batch_size=CHUNK)
    _write_links(additions, removals)
    record_many(state.ctx, events)
    apply_particles(state.ctx, particles)


def _write_created_links(state: ImportState) -> None:
    """The connection links of the new ORG/APP accounts, once every account of the file
    exists: a second pass over the new accounts, batch by batch (nothing kept between)."""
    for batch in state.creates.batches(CHUNK):
        named = [(c.email, c.links) for c in batch if c.links is not None]
        if not named:
            continue
        mailboxes = _ids_of([email for email, _links in named])
        _write_links([(mailboxes[email], links) for email, links in named], removals={})


def _ids_of(emails: Iterable[str]) -> dict[str, int]:
    """The accounts' ids by email (one query per CHUNK): every account named by a valid
    line exists by now, created earlier in this transaction or before the import."""
    wanted = sorted(set(emails))
    ids: dict[str, int] = {}
    for start in range(0, len(wanted), CHUNK):
        ids.update(
            Account.objects.filter(email__in=wanted[start : start + CHUNK]).values_list(
                "email", "pk"
            )
        )
    return ids


def _write_links(additions: list[tuple[int, list[str]]], removals: dict[int, set[int]]) -> None:
    for mailbox_id, removed_ids in removals.items():
        ConnectionLink.objects.filter(mailbox_id=mailbox_id, account_id__in=removed_ids).delete()
        Account.objects.filter(default_mailbox_id=mailbox_id, pk__in=removed_ids).update(
            default_mailbox=None
        )
    ids = _ids_of(email for _mailbox, emails in additions for email in emails)
    now = timezone.now()
    links = [
        (mailbox_id, ids[email], False, now) for mailbox_id, emails in additions for email in emails
    ]
    for start in range(0, len(links), CHUNK):
        insert_rows(
            ConnectionLink,
            ("mailbox_id", "account_id", "notify_on_receipt", "created_at"),
            links[start : start + CHUNK],
        )
