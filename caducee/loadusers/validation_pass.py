"""The validation pass of an import: every line checked, nothing written.

The file is read as a stream; lines are taken in chunks and each chunk costs a few
queries (existing accounts and persons with these emails, their connection links). Each
line goes through `clean_account`, the one field spec; its problems are mapped back to the
file's line number and column header. Connection accounts are checked once the whole file
is known (whole_file.py), since an ORG/APP line may name an account created further down.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, cast

from caducee.accounts.fields import BY_KEY, STORED
from caducee.accounts.models import Account, AccountState, ConnectionLink
from caducee.accounts.persons import (
    PersonRights,
    acting_scope,
    in_scope_person_problems,
    person_rights,
    rights_outside,
    unusable_address,
)
from caducee.accounts.validation import as_text

# Private helpers of accounts.operations (the rules of create/update_account), reused.
from caducee.accounts.values import db_value, derive_region, diff_values
from caducee.core.errors import Problem
from caducee.loadusers.import_state import (
    CHUNK,
    NOMINATIVE,
    SHARED,
    STORED_KEYS,
    AccountUpdate,
    ImportState,
    NewAccount,
    Progress,
)
from caducee.loadusers.reading import Table
from caducee.loadusers.report import MAX_VALUE
from caducee.loadusers.validation_pool import (
    IN_FLIGHT,
    POOL_THRESHOLD,
    Checked,
    Shape,
    check,
    clean_many,
    pool_workers,
    validation_pool,
)
from caducee.loadusers.validation_pool import stored_tuple as pool_stored_tuple
from caducee.people.models import User
from caducee.referentials.text import fold
from caducee.structures.models import Structure

_STORED = [(spec, spec.key) for spec in STORED]
# `db_value` keeps None in these columns (yes/no, dates) and stores "" for the others.
_KEEPS_NONE = frozenset(key for spec, key in _STORED if db_value(spec, None) is None)
SHAPE: Shape = (STORED_KEYS, _KEEPS_NONE)


def stored_tuple(values: dict[str, Any]) -> tuple[Any, ...]:
    """`db_value` of every stored key, in STORED_KEYS order, in one pass (issue #19: a
    call per column was a tenth of the importing process's share of the validation)."""
    return pool_stored_tuple(values, SHAPE)


def _chunks(table: Table) -> Iterator[list[tuple[int, dict[str, object]]]]:
    """The non-blank lines, as {spec key: cell}, CHUNK at a time. The cells of a line
    are taken with one `itemgetter` call (issue #19: a dict comprehension per line was a
    visible share of the importing process)."""
    keys = tuple(table.header.columns)
    indices = tuple(table.header.columns.values())
    needed = max(indices, default=-1) + 1
    take = itemgetter(*indices) if len(indices) > 1 else None
    chunk: list[tuple[int, dict[str, object]]] = []
    for line, cells in table.rows:
        if take is not None and len(cells) >= needed:
            values: tuple[object, ...] = take(cells)
        else:  # a short line (its missing cells are None), or a single column
            width = len(cells)
            values = tuple([cells[i] if i < width else None for i in indices])
        if not _any_filled(values):
            continue  # blank lines are ignored
        chunk.append((line, dict(zip(keys, values, strict=True))))
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _any_filled(values: tuple[object, ...]) -> bool:
    """Whether some value is filled (`_filled`), in one call when all are text."""
    try:
        return bool("".join(values).strip())  # type: ignore[arg-type]
    except TypeError:  # a workbook's numbers and dates, or a missing cell
        return any(_filled(v) for v in values)


def _filled(value: object) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _email_of(raw: dict[str, object]) -> str:
    return as_text(raw.get("email")).lower()


def _cell(raw: dict[str, object], key: str) -> str:
    """The offending cell of a problem, as written (the report groups problems by it)."""
    return as_text(raw.get(key))[:MAX_VALUE]


def validate(
    state: ImportState,
    table: Table,
    progress: Progress | None,
    *,
    pool_threshold: int = POOL_THRESHOLD,
) -> None:
    """Check every line of the file, chunk by chunk; fills `state` (nothing is written).

    From `pool_threshold` lines (the table's size hint) on a machine of two cores or more,
    the field rules run in a process pool (validation_pool.py) while this process reads
    and prepares the next chunks; `state.result.validation_workers` tells which path ran.
    """
    workers = pool_workers()
    if workers < 2 or table.size_hint < pool_threshold:
        done = 0
        for chunk in _chunks(table):
            known = _known(state, chunk)
            for line, raw in chunk:
                _validate_line(state, line, raw, known)
            done += len(chunk)
            if progress is not None:
                progress("validation", done, table.size_hint)
        return
    state.result.validation_workers = workers
    _validate_in_pool(state, table, progress, workers)


_Submitted = tuple[list["_Pending"], int, "Future[list[Checked]]"]


def _validate_in_pool(
    state: ImportState, table: Table, progress: Progress | None, workers: int
) -> None:
    done = 0
    waiting: deque[_Submitted] = deque()

    def take_back() -> None:
        nonlocal done
        pending, size, future = waiting.popleft()
        for item, cleaned in zip(pending, future.result(), strict=True):
            _finish(state, item, cleaned)
        done += size
        if progress is not None:
            progress("validation", done, table.size_hint)

    with validation_pool(workers) as executor:
        for chunk in _chunks(table):
            known = _known(state, chunk)
            pending = [
                item
                for line, raw in chunk
                if (item := _prepare(state, line, raw, known)) is not None
            ]
            rows = [(item.merged, item.account is None) for item in pending]
            future = executor.submit(clean_many, rows, SHAPE)
            waiting.append((pending, len(chunk), future))
            if len(waiting) >= IN_FLIGHT:
                take_back()
        while waiting:
            take_back()


@dataclass
class _Known:
    """What the database holds about the emails of one chunk (two to four queries)."""

    existing: dict[str, Account]  # email -> existing account
    links: dict[int, set[str]]  # shared account id -> its connection accounts' emails
    persons: dict[str, int]  # email of no account -> existing person's id
    rights: dict[int, PersonRights]


def _known(state: ImportState, chunk: list[tuple[int, dict[str, object]]]) -> _Known:
    emails = {_email_of(raw) for _, raw in chunk} - {""}
    state.emails.prefetch(emails)  # the earlier lines of these addresses (duplicates)
    existing = _existing_accounts(emails)
    shared_ids = [a.pk for a in existing.values() if a.type in SHARED]
    links: dict[int, set[str]] = {}
    if shared_ids:
        for mailbox_id, email in ConnectionLink.objects.filter(
            mailbox_id__in=shared_ids
        ).values_list("mailbox_id", "account__email"):
            links.setdefault(mailbox_id, set()).add(email)
    persons = dict(User.objects.filter(email__in=emails - set(existing)).values_list("email", "pk"))
    return _Known(existing, links, persons, person_rights(persons.values()))


class _Existing:
    """An existing account's stored values, read without building a model instance.

    It offers the attributes the update rules read (`accounts.values.diff_values` included).
    """

    __slots__ = ("pk", "structure_id", "state", *STORED_KEYS)

    def __init__(self, values: tuple[Any, ...]) -> None:
        for name, value in zip(self.__slots__, values, strict=True):
            setattr(self, name, value)

    @property
    def is_deleted(self) -> bool:
        return bool(self.state == AccountState.DELETED)  # type: ignore[attr-defined]


def _existing_accounts(emails: set[str]) -> dict[str, Account]:
    rows = Account.objects.filter(email__in=emails).values_list(*_Existing.__slots__)
    found = (_Existing(row) for row in rows)
    return {a.email: cast(Account, a) for a in found}  # type: ignore[attr-defined]


@dataclass(slots=True)
class _Pending:
    """A line read and merged with what the database knows, waiting for `clean_account`."""

    line: int
    email: str
    raw: dict[str, object]
    merged: dict[str, object]
    target: Structure | None
    account: Account | None
    current_links: frozenset[str]
    errors: list[Problem]
    known: _Known


def _validate_line(state: ImportState, line: int, raw: dict[str, object], known: _Known) -> None:
    """One line: duplicate email, merge with the existing account, field rules, then
    classify it as a creation, an update, unchanged or rejected."""
    pending = _prepare(state, line, raw, known)
    if pending is not None:
        _finish(state, pending, check(pending.merged, pending.account is None, SHAPE))


def _prepare(
    state: ImportState, line: int, raw: dict[str, object], known: _Known
) -> _Pending | None:
    """The part of a line's check before the field rules, in file order (it records the
    line's email as seen); None for a duplicate line (rejected here)."""
    email = _email_of(raw)
    if _duplicate_email(state, line, email):
        return None
    errors: list[Problem] = []
    target = _target_structure(state, raw, errors)
    account = known.existing.get(email) if email else None
    current_links = (
        frozenset(known.links.get(account.pk, ())) if account is not None else frozenset()
    )
    merged = _merge_with_existing(raw, account, current_links)
    if account is not None:
        errors += _existing_problems(state, account, target, merged)
    return _Pending(line, email, raw, merged, target, account, current_links, errors, known)


def _finish(state: ImportState, pending: _Pending, cleaned: Checked) -> None:
    """The rest of a line's check, once `clean_account` has run on its merged values."""
    line, email, raw, target, account = (
        pending.line,
        pending.email,
        pending.raw,
        pending.target,
        pending.account,
    )
    errors = pending.errors
    kind = cleaned.kind
    if account is None and email and target is not None:
        errors += _person_problems(state, email, kind, target, pending.known)
    for problem in [*cleaned.problems, *errors]:
        state.report(line, email, problem, _cell(raw, problem.field))
    if not cleaned.ok or errors or target is None:
        reject_line(state, line, email)
        return
    _classify(
        state,
        line,
        email,
        raw,
        cleaned,
        target,
        account,
        pending.current_links,
        pending.known,
    )


def _duplicate_email(state: ImportState, line: int, email: str) -> bool:
    """A second line for the same address is rejected (the first one is kept)."""
    if not email:
        return False
    first = state.emails.first_line(email)
    if first is None:
        state.emails.add(email, line)
        return False
    state.report(
        line,
        email,
        Problem(
            "email",
            "duplicate",
            f"L'adresse {email} figure déjà en ligne {first} : une ligne par boîte aux "
            "lettres ; fusionnez ces deux lignes ou supprimez celle-ci.",
        ),
        email,
    )
    reject_line(state, line, email)
    return True


def _merge_with_existing(
    raw: dict[str, object], account: Account | None, current_links: frozenset[str]
) -> dict[str, object]:
    """The line's values, completed by the existing account's for the absent columns."""
    if account is None:
        return raw  # read only from here on: no copy
    merged: dict[str, object] = dict(raw)
    for key in STORED_KEYS:
        if key not in raw:
            merged[key] = getattr(account, key)  # absent column: keep the value
    if not _filled(raw.get("mssante_particle")):
        # An empty « MSSanté adresse » asks for no change on an existing account: it is
        # generated on a new one (address_generation.py), and removing an address is the
        # console's « − », so re-importing a file keeps the addresses generated by its
        # first import.
        merged["mssante_particle"] = account.mssante_particle
    # The region follows a changed department (the same rule as every update).
    derive_region(merged, raw, department=account.department, region=account.region)
    if "connection_accounts" not in raw:
        merged["connection_accounts"] = ";".join(sorted(current_links))
    return merged


def _person_problems(
    state: ImportState, email: str, kind: str, target: Structure, known: _Known
) -> list[Problem]:
    """A new address that is an existing login: bound only if all its rights lie in the
    importer's structures."""
    person = known.persons.get(email)
    if person is None:
        return []
    rights = known.rights[person]
    scope = acting_scope(state.ctx, target, state.scope)
    if rights_outside(person, rights, scope, state.ctx.user):
        return [unusable_address(email)]
    return in_scope_person_problems(email, kind, rights)


def _classify(
    state: ImportState,
    line: int,
    email: str,
    raw: dict[str, object],
    checked: Checked,
    target: Structure,
    account: Account | None,
    current_links: frozenset[str],
    known: _Known,
) -> None:
    """A valid line: a creation, an update, or unchanged."""
    kind = checked.kind
    wanted = checked.links
    given_links = "connection_accounts" in raw and kind in SHARED
    state.emails.set_kind(email, kind)
    if account is None:
        assert checked.stored is not None  # a valid line of a new account
        state.creates.append(
            NewAccount(
                line,
                target.pk,
                checked.stored,  # STORED_KEYS order
                list(wanted) if kind in SHARED else None,
                known.persons.get(email) if kind in NOMINATIVE else None,
            )
        )
        return
    values = checked.values
    assert values is not None  # a line of an existing account keeps every value
    changes = diff_values(account, values)
    link_change = given_links and set(wanted) != current_links
    if changes or link_change:
        state.updates.append(
            AccountUpdate(
                line,
                account.pk,
                account.structure_id,
                email,
                changes,
                {key: db_value(BY_KEY[key], values.get(key)) for key in changes},
                list(wanted) if given_links else None,
                current_links,
            )
        )
    else:
        state.result.unchanged += 1


def reject_line(state: ImportState, line: int, email: str) -> None:
    """Called once per rejected line, whatever its number of errors: by the validation
    pass for an invalid line (or a duplicate), by the whole-file checks for a valid one
    (which then forget its type: `set_kind(email, "")`)."""
    state.rejected += 1


def _target_structure(
    state: ImportState, raw: dict[str, object], errors: list[Problem]
) -> Structure | None:
    name = as_text(raw.get("structure"))
    if not name:
        return state.structure
    folded = state.folded.get(name)
    if folded is None:
        folded = state.folded[name] = fold(name)
    match = state.by_name.get(folded)
    if match is None:
        errors.append(
            Problem(
                "structure",
                "unknown_structure",
                f"Vous n'administrez aucune structure « {name} » : indiquez l'intitulé exact "
                "d'une structure que vous administrez, ou laissez la colonne vide pour "
                f"« {state.structure.name} ».",
            )
        )
        return None
    return match


def _existing_problems(
    state: ImportState, account: Account, target: Structure | None, merged: dict[str, object]
) -> list[Problem]:
    problems: list[Problem] = []
    if account.structure_id not in state.scope:
        problems.append(unusable_address(account.email))  # says nothing of where it is used
        return problems
    if account.is_deleted:
        problems.append(
            Problem(
                "email",
                "deleted_account",
                "Cette adresse est celle d'un compte supprimé (inactivité ou suppression) : elle "
                "reste réservée et un import ne recrée ni ne modifie ce compte. Utilisez une autre "
                "adresse mail pour cette personne.",
            )
        )
        return problems
    if target is not None and account.structure_id != target.pk:
        problems.append(
            Problem(
                "structure",
                "other_structure",
                f"Ce compte appartient à la structure « {state.scope[account.structure_id].name} »"
                " : indiquez-la dans la colonne « Structure ». Un import ne change pas un compte "
                "de structure : utilisez « Rattacher à une autre structure » sur sa fiche.",
            )
        )
    new_type = as_text(merged.get("type")).upper()
    if new_type and new_type != account.type:
        problems.append(
            Problem(
                "type",
                "type_change",
                f"Ce compte est une BAL {account.type} : un import ne change pas le type ; "
                "utilisez « Changer le type de BAL » sur la fiche du compte.",
            )
        )
    return problems
