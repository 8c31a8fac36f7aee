"""The loaduser import: one operation, `import_loadusers`, for the console, API and CLI.

Two passes:

1. Validation (nothing written): the file is read as a stream; lines are taken in chunks
   and each chunk costs two queries (existing accounts and persons with these emails,
   their connection links). Each line goes through `clean_account`, the one field spec;
   its problems are mapped back to the file's line number and column header. Connection
   accounts are checked once the whole file is known, since an ORG/APP line may name an
   account created further down the file.
2. Writing (skipped for a dry run): every valid line is applied in ONE transaction with
   bulk inserts and updates; an interruption leaves the database as it was.

Same results as `create_account` / `update_account` for each line (tested): the private
helpers of accounts.operations that hold those rules are reused, not copied.
"""

from __future__ import annotations

import secrets
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, cast

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.db import transaction
from django.utils import timezone

from caducee.accounts.fields import BY_KEY, FIELDS, STORED, Rule
from caducee.accounts.models import Account, AccountState, AccountType, ConnectionLink
from caducee.accounts.operations import _db_value, _diff
from caducee.accounts.persons import (
    PersonRights,
    acting_scope,
    in_scope_person_problems,
    person_rights,
    rights_outside,
    unusable_address,
)
from caducee.accounts.validation import as_text, clean_account
from caducee.audit.log import AuditItem, TargetRef, record, record_many
from caducee.core.bulk import insert_keyed, insert_rows
from caducee.core.context import Context
from caducee.core.errors import Problem
from caducee.directory.loading import apply_particles, check_file_quotas, refresh_loaded
from caducee.directory.operations import address_events, check_mssante_addresses
from caducee.loadusers.reading import FileRefused, Header, Table, open_table
from caducee.loadusers.report import ReportRow
from caducee.people.models import User
from caducee.referentials.text import fold
from caducee.structures.access import admin_scope, require_admin
from caducee.structures.models import Structure

CHUNK = 1000
STORED_KEYS: tuple[str, ...] = tuple(spec.key for spec in STORED)
NOMINATIVE = frozenset(AccountType.nominative())
SHARED = frozenset(AccountType.shared())
# Columns a file must have: the email, the type, and every column mandatory for every
# type. Région is derived from Département when absent, so it may be left out.
DERIVED = frozenset({"region"})
MANDATORY_COLUMNS: tuple[str, ...] = tuple(
    spec.key
    for spec in FIELDS
    if spec.key in {"email", "type"}
    or (all(r is Rule.O for r in spec.rules.values()) and spec.key not in DERIVED)
)

Progress = Callable[[str, int, int], None]  # phase ("validation" | "writing"), done, total


@dataclass
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    problems: list[ReportRow] = field(default_factory=list)
    import_id: str = ""
    file_name: str = ""
    dry_run: bool = False

    @property
    def counts(self) -> dict[str, int]:
        return {
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
        }

    def as_json(self) -> dict[str, Any]:
        """The JSON answer of the CLI (`--json`) and the API."""
        return {**self.counts, "problems": [p.as_dict() for p in self.problems]}


@dataclass(slots=True)
class _Create:
    line: int
    structure_id: int
    values: tuple[Any, ...]  # STORED_KEYS order, database values
    links: list[str] | None
    user_id: int | None  # an existing person with this email (nominative only)


@dataclass(slots=True)
class _Update:
    line: int
    pk: int
    structure_id: int
    email: str
    changes: dict[str, list[Any]]
    values: dict[str, Any]  # database values of the changed keys
    links: list[str] | None  # wanted connection accounts, if the column was given
    current_links: frozenset[str]


@dataclass
class _State:
    """What the validation pass learns, kept compact for 100,000-line files."""

    ctx: Context
    structure: Structure
    header: Header
    scope: dict[int, Structure]
    by_name: dict[str, Structure]
    result: ImportResult
    first_line: dict[str, int] = field(default_factory=dict)  # email -> first line
    file_types: dict[str, str] = field(default_factory=dict)  # valid lines: email -> type
    rejected_lines: dict[str, int] = field(default_factory=dict)
    existing_ids: dict[str, int] = field(default_factory=dict)  # valid existing lines
    creates: list[_Create] = field(default_factory=list)
    updates: list[_Update] = field(default_factory=list)
    problems: list[ReportRow] = field(default_factory=list)
    folded: dict[str, str] = field(default_factory=dict)  # structure column cache

    def report(self, line: int, email: str, problem: Problem) -> None:
        self.problems.append(
            ReportRow(
                line,
                self.header.header_of(problem.field),
                email,
                problem.severity,
                problem.code,
                problem.message,
            )
        )


PARTICLE_INDEX = STORED_KEYS.index("mssante_particle")


def import_loadusers(
    ctx: Context,
    structure: Structure,
    source: bytes | str | Path | BinaryIO,
    *,
    notify: bool = False,
    visible: bool = False,
    dry_run: bool = False,
    file_name: str = "",
    import_id: str = "",
    progress: Progress | None = None,
    before_commit: Callable[[ImportResult], None] | None = None,
) -> ImportResult:
    """Create or update one account per line of a loaduser file (CSV, XLS, XLSX).

    Raises FileRefused when the file itself cannot be used (nothing is changed then).
    Otherwise returns the counts and the report; invalid lines are skipped, every valid
    line is applied in one transaction (or none, with `dry_run`).

    `progress("writing", 0, total)` is called just before the writing transaction opens.
    `before_commit(result)` is called last inside that transaction: what it writes commits
    with the accounts or not at all, and an exception it raises rolls the import back (an
    import job records its outcome there, so a committed import is never shown failed).
    """
    require_admin(ctx, structure)
    data, name = _read_source(source, file_name)
    table = open_table(data, name)
    del data
    _check_columns(table.header)
    scope = {s.pk: s for s in admin_scope(ctx)}
    scope.setdefault(structure.pk, structure)
    state = _State(
        ctx=ctx,
        structure=structure,
        header=table.header,
        scope=scope,
        by_name={fold(s.name): s for s in scope.values()},
        result=ImportResult(
            import_id=import_id or uuid.uuid4().hex[:12], file_name=name, dry_run=dry_run
        ),
    )
    _header_warnings(state)
    _validate(state, table, progress)
    _check_links(state)
    by_type = new_accounts_by_type(state)
    check_file_quotas(state.scope, by_type)  # directory quotas: before anything is written
    result = state.result
    result.created = len(state.creates)
    result.updated = len(state.updates)
    result.problems = sorted(state.problems, key=lambda p: p.line)
    result.rejected = len(state.rejected_lines)
    if not dry_run:
        _write(
            state,
            by_type,
            notify=notify,
            visible=visible,
            progress=progress,
            before_commit=before_commit,
        )
    return result


# --- Reading -------------------------------------------------------------------------


def _read_source(source: bytes | str | Path | BinaryIO, file_name: str) -> tuple[bytes, str]:
    from caducee.loadusers.reading import max_bytes

    limit = max_bytes()
    if isinstance(source, bytes):
        return source, file_name or "fichier"
    if isinstance(source, str | Path):
        path = Path(source)
        try:
            size = path.stat().st_size
            if size > limit:
                raise FileRefused(
                    f"Le fichier fait {size / 1024 / 1024:.1f} Mo : la limite est de "
                    f"{limit // 1024 // 1024} Mo. Découpez-le en plusieurs fichiers."
                )
            return path.read_bytes(), file_name or path.name
        except OSError as exc:
            raise FileRefused(f"Fichier « {path} » illisible : {exc.strerror}.") from exc
    data = source.read(limit + 1)
    return data, file_name or str(getattr(source, "name", "fichier"))


def _check_columns(header: Header) -> None:
    missing = [BY_KEY[key].header for key in MANDATORY_COLUMNS if key not in header.columns]
    if missing:
        names = ", ".join(f"« {m} »" for m in missing)
        raise FileRefused(
            f"Colonne(s) obligatoire(s) absente(s) de la ligne d'en-tête : {names}. "
            "Ajoutez-les (téléchargez le modèle loaduser pour les noms exacts) ; "
            "aucun compte n'a été modifié."
        )


def _header_warnings(state: _State) -> None:
    for _, text in state.header.unknown:
        state.problems.append(
            ReportRow(
                1,
                text,
                "",
                "warning",
                "unknown_column",
                f"Colonne « {text} » inconnue : elle est ignorée. Vérifiez son nom si elle "
                "devait être lue (voir le modèle loaduser).",
            )
        )
    for _, text in state.header.duplicates:
        state.problems.append(
            ReportRow(
                1,
                text,
                "",
                "warning",
                "duplicate_column",
                f"Colonne « {text} » présente deux fois : seule la première est lue.",
            )
        )


# --- Validation pass -----------------------------------------------------------------


def _chunks(table: Table) -> Iterator[list[tuple[int, dict[str, object]]]]:
    columns = table.header.columns
    chunk: list[tuple[int, dict[str, object]]] = []
    for line, cells in table.rows:
        width = len(cells)
        raw = {key: cells[i] if i < width else None for key, i in columns.items()}
        if not any(_filled(v) for v in raw.values()):
            continue  # blank lines are ignored
        chunk.append((line, raw))
        if len(chunk) >= CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _filled(value: object) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _email_of(raw: dict[str, object]) -> str:
    return as_text(raw.get("email")).lower()


def _validate(state: _State, table: Table, progress: Progress | None) -> None:
    done = 0
    for chunk in _chunks(table):
        emails = {_email_of(raw) for _, raw in chunk} - {""}
        existing = _existing_accounts(emails)
        shared_ids = [a.pk for a in existing.values() if a.type in SHARED]
        links: dict[int, set[str]] = {}
        if shared_ids:
            for mailbox_id, email in ConnectionLink.objects.filter(
                mailbox_id__in=shared_ids
            ).values_list("mailbox_id", "account__email"):
                links.setdefault(mailbox_id, set()).add(email)
        persons = dict(
            User.objects.filter(email__in=emails - set(existing)).values_list("email", "pk")
        )
        rights = person_rights(persons.values())
        for line, raw in chunk:
            _validate_line(state, line, raw, existing, links, persons, rights)
        done += len(chunk)
        if progress is not None:
            progress("validation", done, table.size_hint)


class _Existing:
    """An existing account's stored values, read without building a model instance.

    It offers the attributes the update rules read (`accounts.operations._diff` included).
    """

    __slots__ = ("pk", "structure_id", *STORED_KEYS)

    def __init__(self, values: tuple[Any, ...]) -> None:
        for name, value in zip(self.__slots__, values, strict=True):
            setattr(self, name, value)


def _existing_accounts(emails: set[str]) -> dict[str, Account]:
    rows = Account.objects.filter(email__in=emails).values_list(*_Existing.__slots__)
    found = (_Existing(row) for row in rows)
    return {a.email: cast(Account, a) for a in found}  # type: ignore[attr-defined]


def _validate_line(
    state: _State,
    line: int,
    raw: dict[str, object],
    existing: dict[str, Account],
    links: dict[int, set[str]],
    persons: dict[str, int],
    rights: dict[int, PersonRights],
) -> None:
    email = _email_of(raw)
    errors: list[Problem] = []
    if email and email in state.first_line:
        first = state.first_line[email]
        state.report(
            line,
            email,
            Problem(
                "email",
                "duplicate",
                f"L'adresse {email} figure déjà en ligne {first} : une ligne par boîte aux "
                "lettres ; fusionnez ces deux lignes ou supprimez celle-ci.",
            ),
        )
        _reject(state, line, email, count_email=False)
        return
    if email:
        state.first_line[email] = line
    target = _target_structure(state, raw, errors)
    account = existing.get(email) if email else None
    merged: dict[str, object] = dict(raw)
    current_links: frozenset[str] = frozenset()
    if account is not None:
        current_links = frozenset(links.get(account.pk, ()))
        for key in STORED_KEYS:
            if key not in raw:
                merged[key] = getattr(account, key)  # absent column: keep the value
        if "department" in raw and "region" not in raw:
            merged["region"] = ""  # re-derived from the department
        if "connection_accounts" not in raw:
            merged["connection_accounts"] = ";".join(sorted(current_links))
        errors += _existing_problems(state, account, target, merged)
    cleaned = clean_account(merged)
    values = cleaned.values
    kind = values.get("type", "")
    person = persons.get(email) if account is None and email else None
    if person is not None and target is not None:
        # An existing login: bound only if all its rights lie in the importer's structures.
        scope = acting_scope(state.ctx, target, state.scope)
        if rights_outside(person, rights[person], scope, state.ctx.user):
            errors.append(unusable_address(email))
        else:
            errors += in_scope_person_problems(email, str(kind), rights[person])
    for problem in cleaned.problems:
        state.report(line, email, problem)
    for problem in errors:
        state.report(line, email, problem)
    if not cleaned.ok or errors or target is None:
        _reject(state, line, email)
        return
    wanted = values.get("connection_accounts") or []
    given_links = "connection_accounts" in raw and kind in SHARED
    state.file_types[email] = kind
    if account is None:
        db = [_db_value(spec, values.get(spec.key)) for spec in STORED]  # STORED_KEYS order
        state.creates.append(
            _Create(
                line,
                target.pk,
                tuple(db),
                list(wanted) if kind in SHARED else None,
                persons.get(email) if kind in NOMINATIVE else None,
            )
        )
        return
    if kind in NOMINATIVE:
        state.existing_ids[email] = account.pk
    changes = _diff(account, values)
    link_change = given_links and set(wanted) != current_links
    if changes or link_change:
        state.updates.append(
            _Update(
                line,
                account.pk,
                account.structure_id,
                email,
                changes,
                {key: _db_value(BY_KEY[key], values.get(key)) for key in changes},
                list(wanted) if given_links else None,
                current_links,
            )
        )
    else:
        state.result.unchanged += 1


def _reject(state: _State, line: int, email: str, *, count_email: bool = True) -> None:
    # Keyed by line: a line is rejected once, whatever its number of errors.
    state.rejected_lines[f"{line}:{email}"] = line
    if count_email and email:
        state.file_types.pop(email, None)


def _target_structure(
    state: _State, raw: dict[str, object], errors: list[Problem]
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
    state: _State, account: Account, target: Structure | None, merged: dict[str, object]
) -> list[Problem]:
    problems: list[Problem] = []
    if account.structure_id not in state.scope:
        problems.append(unusable_address(account.email))  # says nothing of where it is used
        return problems
    if target is not None and account.structure_id != target.pk:
        problems.append(
            Problem(
                "structure",
                "other_structure",
                f"Ce compte appartient à la structure « {state.scope[account.structure_id].name} »"
                " : indiquez-la dans la colonne « Structure » (un import ne change pas un "
                "compte de structure).",
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


def _check_links(state: _State) -> None:
    """Connection accounts: nominative, existing before or valid in the same file."""
    named: set[str] = set()
    for create in state.creates:
        named.update(create.links or ())
    for update in state.updates:
        named.update(update.links or ())
    outside = sorted(named - set(state.file_types))
    known: dict[str, tuple[int, str]] = {}
    scope_ids = list(state.scope)
    for start in range(0, len(outside), CHUNK):
        for email, pk, kind in Account.objects.filter(
            email__in=outside[start : start + CHUNK], structure_id__in=scope_ids
        ).values_list("email", "pk", "type"):
            known[email] = (pk, kind)
    for email, (pk, kind) in known.items():
        if kind in NOMINATIVE:
            state.existing_ids.setdefault(email, pk)
    email_column = STORED_KEYS.index("email")
    rejected: set[int] = set()
    items: list[_Create | _Update] = [*state.creates, *state.updates]
    for item in items:
        if not item.links:
            continue
        own = item.email if isinstance(item, _Update) else str(item.values[email_column])
        problems = [
            p for p in (_link_problem(state, own, e, known) for e in item.links) if p is not None
        ]
        for problem in problems:
            state.report(item.line, own, problem)
        if problems:
            rejected.add(item.line)
            _reject(state, item.line, own)
    if rejected:
        state.creates = [c for c in state.creates if c.line not in rejected]
        state.updates = [u for u in state.updates if u.line not in rejected]


def _link_problem(
    state: _State, own: str, email: str, known: dict[str, tuple[int, str]]
) -> Problem | None:
    field_key = "connection_accounts"
    if email == own:
        return Problem(
            field_key, "self", f"{email} ne peut pas être son propre compte de connexion."
        )
    kind = state.file_types.get(email) or known.get(email, (0, ""))[1]
    if not kind:
        first = state.first_line.get(email)
        if first is not None:
            return Problem(
                field_key,
                "rejected_account",
                f"Le compte {email} (ligne {first}) a été rejeté : corrigez cette ligne, puis "
                "importez de nouveau le fichier.",
            )
        return Problem(
            field_key,
            "unknown_account",
            f"Aucun compte {email} dans vos structures ni dans ce fichier : ajoutez une ligne "
            "pour ce compte nominatif (PER, INT ou MED), ou corrigez l'adresse.",
        )
    if kind not in NOMINATIVE:
        return Problem(
            field_key,
            "not_nominative",
            f"{email} est une BAL {kind} : seul un compte nominatif PER, INT ou MED peut être "
            "compte de connexion.",
        )
    return None


def new_accounts_by_type(state: _State) -> dict[int, Counter[str]]:
    """How many accounts the file would create, per structure id and mailbox type.

    Quotas are checked against these figures, right after this call in
    `import_loadusers`, before anything is written.
    """
    counts: dict[int, Counter[str]] = {}
    type_index = STORED_KEYS.index("type")
    for create in state.creates:
        counts.setdefault(create.structure_id, Counter())[str(create.values[type_index])] += 1
    return counts


# --- Writing pass --------------------------------------------------------------------


def _write(
    state: _State,
    by_type: dict[int, Counter[str]],
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
    with transaction.atomic():
        ids = dict(state.existing_ids)
        created_links: list[tuple[int, list[str]]] = []
        written = [u.pk for u in state.updates]
        for start in range(0, len(state.creates), CHUNK):
            batch = state.creates[start : start + CHUNK]
            # « MSSanté adresse »: checked by the directory's rules, stored with the row.
            addresses = _check_new_particles(state, batch)
            new_ids = _create_batch(state, batch, addresses, visible=visible)
            ids.update(new_ids)
            events: list[AuditItem] = []
            email_index = STORED_KEYS.index("email")
            type_index = STORED_KEYS.index("type")
            for create in batch:
                email = str(create.values[email_index])
                pk = new_ids[email]
                if create.links is not None:
                    created_links.append((pk, create.links))
                events.append(
                    (
                        "account.create",
                        create.structure_id,
                        TargetRef("account", str(pk), email),
                        {
                            "type": create.values[type_index],
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
            record_many(ctx, events)
            written.extend(new_ids.values())
            if notify:
                nominative = [
                    new_ids[str(c.values[email_index])]
                    for c in batch
                    if c.values[type_index] in NOMINATIVE
                ]
                _notify(ctx, state, nominative)
            done += len(batch)
            if progress is not None:
                progress("writing", done, total)
        _write_links(created_links, ids, removals={})
        for start in range(0, len(state.updates), CHUNK):
            batch_u = state.updates[start : start + CHUNK]
            _update_batch(state, batch_u, ids, base_detail)
            done += len(batch_u)
            if progress is not None:
                progress("writing", done, total)
        refresh_loaded(written)  # the regional directory's search rows
        record(
            ctx,
            "loadusers.import",
            structure=state.structure,
            detail={
                **base_detail,
                **result.counts,
                "created_by_type": {
                    str(structure_id): dict(counter) for structure_id, counter in by_type.items()
                },
                "notify": notify,
                "visible": visible,
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


NewAddresses = dict[str, tuple[Account, str, str]]  # email -> (unsaved account, particle, address)


def _check_new_particles(state: _State, batch: list[_Create]) -> NewAddresses:
    """The batch's « MSSanté adresse » values, checked by the directory's rules before the
    accounts exist: email -> (unsaved account, particle to store, full address), in line
    order. A refused particle refuses the import (Invalid naming the line)."""
    email_index = STORED_KEYS.index("email")
    type_index = STORED_KEYS.index("type")
    rows = [
        (
            c.line,
            Account(
                email=str(c.values[email_index]),
                type=str(c.values[type_index]),
                structure=state.scope[c.structure_id],
                is_test=False,
            ),
            str(c.values[PARTICLE_INDEX]),
        )
        for c in batch
        if c.values[PARTICLE_INDEX]
    ]
    checked = check_mssante_addresses(state.ctx, rows)
    return {a.email: (a, particle, address) for _l, a, particle, address in checked if particle}


def _create_batch(
    state: _State,
    batch: list[_Create],
    addresses: NewAddresses,
    *,
    visible: bool,
) -> dict[str, int]:
    """Insert the persons and accounts of a batch; returns email -> new account id.

    Same rows as create_account: nominative accounts pre-registered with their person
    (an existing person with that email is reused, others get an unusable password),
    shared accounts valid and without person; the particle is the one the directory's
    check accepted (`addresses`).
    """
    email_index = STORED_KEYS.index("email")
    type_index = STORED_KEYS.index("type")
    now = timezone.now()
    people = [
        (
            str(c.values[email_index]),
            str(c.values[STORED_KEYS.index("first_name")]),
            str(c.values[STORED_KEYS.index("last_name")]),
            UNUSABLE_PASSWORD_PREFIX + secrets.token_urlsafe(30),
            True,
            False,
            now,
        )
        for c in batch
        if c.values[type_index] in NOMINATIVE and c.user_id is None
    ]
    user_ids: dict[str, int] = {}
    if people:
        user_ids = insert_keyed(User, USER_COLUMNS, people, "email")
    rows = []
    for create in batch:
        kind = create.values[type_index]
        email = str(create.values[email_index])
        user_id = (create.user_id or user_ids[email]) if kind in NOMINATIVE else None
        values = list(create.values)
        values[PARTICLE_INDEX] = addresses[email][1] if email in addresses else ""
        rows.append(
            (create.structure_id, user_id, _initial_state(str(kind)), visible, False, now, now)
            + tuple(values)
        )
    return insert_keyed(Account, ACCOUNT_COLUMNS, rows, "email")


def _initial_state(kind: str) -> str:
    return AccountState.PREREGISTERED if kind in NOMINATIVE else AccountState.VALID


def _notify(ctx: Context, state: _State, account_ids: list[int]) -> None:
    from caducee.identity.invitations import send_invitation

    for account in Account.objects.filter(pk__in=account_ids).select_related("user", "structure"):
        send_invitation(ctx, account)


def _update_batch(
    state: _State, batch: list[_Update], ids: dict[str, int], base_detail: dict[str, Any]
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
                removals[account.pk] = {ids[e] for e in removed if e in ids} | set(
                    Account.objects.filter(email__in=removed).values_list("pk", flat=True)
                )
        events.append(("account.update", update.structure_id, account, detail))
    if changed:
        Account.objects.bulk_update(changed, [*sorted(fields), "updated_at"], batch_size=CHUNK)
    _write_links(additions, ids, removals)
    record_many(state.ctx, events)
    apply_particles(state.ctx, particles)


def _write_links(
    additions: list[tuple[int, list[str]]], ids: dict[str, int], removals: dict[int, set[int]]
) -> None:
    for mailbox_id, removed_ids in removals.items():
        ConnectionLink.objects.filter(mailbox_id=mailbox_id, account_id__in=removed_ids).delete()
        Account.objects.filter(default_mailbox_id=mailbox_id, pk__in=removed_ids).update(
            default_mailbox=None
        )
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
