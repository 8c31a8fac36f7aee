"""Checks made once the validation pass has read the whole file (validation_pass.py):
connection accounts, which an ORG/APP line may name before the line creating them, and
the number of new accounts per structure and type that the quotas are checked against.
"""

from __future__ import annotations

from collections import Counter

from caducee.accounts.models import Account
from caducee.core.errors import Problem
from caducee.loadusers.import_state import CHUNK, NOMINATIVE, AccountUpdate, ImportState, NewAccount
from caducee.loadusers.validation_pass import reject_line


def check_links(state: ImportState) -> None:
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
    rejected: set[int] = set()
    items: list[NewAccount | AccountUpdate] = [*state.creates, *state.updates]
    for item in items:
        if not item.links:
            continue
        own = item.email
        problems = [
            (p, e) for e in item.links if (p := _link_problem(state, own, e, known)) is not None
        ]
        for problem, linked in problems:
            state.report(item.line, own, problem, linked)
        if problems:
            rejected.add(item.line)
            reject_line(state, item.line, own)
    if rejected:
        state.creates = [c for c in state.creates if c.line not in rejected]
        state.updates = [u for u in state.updates if u.line not in rejected]


def _link_problem(
    state: ImportState, own: str, email: str, known: dict[str, tuple[int, str]]
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


def new_accounts_by_type(state: ImportState) -> dict[int, Counter[str]]:
    """How many accounts the file would create, per structure id and mailbox type.

    Quotas are checked against these figures, right after this call in
    `import_loadusers`, before anything is written.
    """
    counts: dict[int, Counter[str]] = {}
    for create in state.creates:
        counts.setdefault(create.structure_id, Counter())[create.kind] += 1
    return counts
