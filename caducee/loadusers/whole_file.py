"""Checks made once the validation pass has read the whole file (validation_pass.py):
connection accounts, which an ORG/APP line may name before the line creating them, and
the number of new accounts per structure and type that the quotas are checked against.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator

from caducee.accounts.models import Account
from caducee.core.errors import Problem
from caducee.loadusers.import_state import CHUNK, NOMINATIVE, AccountUpdate, ImportState, NewAccount
from caducee.loadusers.validation_pass import reject_line


def check_links(state: ImportState) -> None:
    """Connection accounts: nominative, existing before or valid in the same file.

    Read CHUNK linking lines at a time (memory bounded whatever the file, issue #19): the
    types and first lines of the addresses they name, then the accounts of the database
    for the others. A line rejected here is no valid line any more for the lines after it
    (its type is erased from the index, and it is not looked up in the database)."""
    rejected: dict[bool, set[int]] = {True: set(), False: set()}  # is a creation -> lines
    erased: set[str] = set()  # addresses of the lines rejected here
    scope_ids = list(state.scope)
    batch: list[NewAccount | AccountUpdate] = []
    for item in _linking(state):
        batch.append(item)
        if len(batch) >= CHUNK:
            _check_batch(state, batch, scope_ids, erased, rejected)
            batch = []
    if batch:
        _check_batch(state, batch, scope_ids, erased, rejected)
    state.creates.drop(rejected[True])
    state.updates.drop(rejected[False])


def _check_batch(
    state: ImportState,
    batch: list[NewAccount | AccountUpdate],
    scope_ids: list[int],
    erased: set[str],
    rejected: dict[bool, set[int]],
) -> None:
    named: set[str] = set()
    for item in batch:
        named.update(item.links or ())
    kinds = state.emails.kinds(named)  # the valid lines' types
    first_lines = state.emails.first_lines(named)
    outside = sorted(named - set(kinds) - erased)
    known: dict[str, tuple[int, str]] = {}
    for start in range(0, len(outside), CHUNK):
        for email, pk, kind in Account.objects.filter(
            email__in=outside[start : start + CHUNK], structure_id__in=scope_ids
        ).values_list("email", "pk", "type"):
            known[email] = (pk, kind)
    for item in batch:
        own = item.email
        problems = [
            (p, e)
            for e in item.links or ()
            if (p := _link_problem(own, e, kinds.get(e), first_lines.get(e), known)) is not None
        ]
        for problem, linked in problems:
            state.report(item.line, own, problem, linked)
        if problems:
            rejected[isinstance(item, NewAccount)].add(item.line)
            reject_line(state, item.line, own)
            kinds.pop(own, None)  # the lines naming it further down are rejected too
            erased.add(own)
            state.emails.set_kind(own, "")


def _linking(state: ImportState) -> Iterator[NewAccount | AccountUpdate]:
    """The valid lines that name connection accounts: creations, then updates."""
    for create in state.creates:
        if create.links:
            yield create
    for update in state.updates:
        if update.links:
            yield update


def _link_problem(
    own: str,
    email: str,
    file_kind: str | None,
    first: int | None,
    known: dict[str, tuple[int, str]],
) -> Problem | None:
    """`file_kind`: the type of the valid line of `email`; `first`: its first line."""
    field_key = "connection_accounts"
    if email == own:
        return Problem(
            field_key, "self", f"{email} ne peut pas être son propre compte de connexion."
        )
    kind = file_kind or known.get(email, (0, ""))[1]
    if not kind:
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


def new_accounts_by_type(state: ImportState) -> dict[int, Counter[str]]:
    """How many accounts the file would create, per structure id and mailbox type.

    Quotas are checked against these figures, right after this call in
    `import_loadusers`, before anything is written.
    """
    counts: dict[int, Counter[str]] = {}
    for create in state.creates:
        counts.setdefault(create.structure_id, Counter())[create.kind] += 1
    return counts
