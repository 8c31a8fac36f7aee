"""One audit chain per structure, plus one for the platform: no global lock.

Every event belongs to a chain, named by an integer key:

- the structure's id for an event about a structure;
- `PLATFORM` (0) for an event without a structure (platform administration, the seals).

Each chain has its own head (`AuditChainHead`): appending an event locks that row only, so
audited actions in two structures never wait for each other, and an import holds the head
of its structure only. Within a chain, `chain_seq` counts 1, 2, 3… without gaps and each
event's `prev_hash` is the previous event's hash: `caducee audit verify` walks each chain
and compares its end with the head.

Events written before migration `0004_rt_audit_chains` stay in the single global chain
they were written in (chain NULL, head `AuditHead`), frozen: the migration appends a keyed
seal, `audit.chains_split`, as the first event of the platform chain, whose HMAC covers
the last of them.
"""

from __future__ import annotations

from collections.abc import Iterable

from caducee.audit.models import AuditChainHead

PLATFORM = 0


def chain_of(structure_id: int | None) -> int:
    """The chain of an event about this structure (None: the platform chain)."""
    return PLATFORM if structure_id is None else int(structure_id)


def chain_name(chain: int | None) -> str:
    """How `verify` names a chain in its messages."""
    if chain is None:
        return "chaîne antérieure (unique)"
    if chain == PLATFORM:
        return "chaîne de la plateforme"
    return f"chaîne de la structure n° {chain}"


def lock_heads(chains: Iterable[int]) -> dict[int, AuditChainHead]:
    """Lock the heads of these chains (creating the missing ones), in ascending order.

    Must run inside a transaction. One SELECT … ORDER BY chain FOR UPDATE locks the
    existing heads in ascending order, whatever their number (a page listing records of 40
    structures writes to 40 chains). A missing head is inserted with "insert or ignore" and
    then locked the same way: two transactions creating the same chain's head both end up
    locking the one row, and the second waits for the first (same chain), never fails. A
    transaction holding a head it just created has locked every existing head it asked
    for already, so two multi-chain writers never wait for each other in a cycle.
    """
    wanted = sorted(set(chains))
    heads = _locked(wanted)
    missing = [chain for chain in wanted if chain not in heads]
    if missing:
        AuditChainHead.objects.bulk_create(
            [AuditChainHead(chain=chain) for chain in missing], ignore_conflicts=True
        )
        heads.update(_locked(missing))
    return {chain: heads[chain] for chain in wanted}


def _locked(chains: list[int]) -> dict[int, AuditChainHead]:
    rows = AuditChainHead.objects.select_for_update().filter(chain__in=chains).order_by("chain")
    return {head.chain: head for head in rows}
