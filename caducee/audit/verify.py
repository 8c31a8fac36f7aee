"""Walk the audit chains and report every broken link.

- The global chain of the events written before migration 0004 (chain NULL), frozen: its
  numbers run 1, 2, 3… and its end must match `AuditHead`, as before.
- Each chain since (one per structure, 0 for the platform, caducee/audit/chains.py): its
  positions run 1, 2, 3…, each `prev_hash` is the previous event's hash, its global numbers
  increase, every event is keyed, and its end must match its `AuditChainHead`. The platform
  chain starts from the global chain's last hash when there is one.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from caducee.audit.chain import GENESIS, LEGACY, audit_key, hash_for, hashed_fields
from caducee.audit.chains import PLATFORM, chain_name
from caducee.audit.models import AuditChainHead, AuditEvent, AuditHead


@dataclass
class ChainHead:
    """The end of one chain, as `verify` prints it (to be kept outside the database)."""

    chain: int | None
    seq: int
    hash: str


@dataclass
class VerifyReport:
    checked: int = 0
    problems: list[str] = field(default_factory=list)
    head_seq: int = 0
    head_hash: str = GENESIS
    heads: list[ChainHead] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class _KeyCount:
    keyed: int = 0
    keyed_bad: int = 0


def verify_chain() -> VerifyReport:
    report = VerifyReport()
    key = audit_key()
    count = _KeyCount()
    legacy_end = _verify_global(report, key, count)
    heads = {head.chain: head for head in AuditChainHead.objects.all()}
    chains: set[int] = set(heads)
    for chain in (
        AuditEvent.objects.filter(chain__isnull=False)
        .order_by()
        .values_list("chain", flat=True)
        .distinct()
    ):
        if chain is not None:
            chains.add(chain)
    if legacy_end is not None and PLATFORM not in chains:
        report.problems.append(
            "Le journal antérieur au découpage par structure n'est suivi d'aucun sceau "
            "(audit.chains_split) : la chaîne de la plateforme a été supprimée."
        )
    for chain in sorted(chains):
        start = legacy_end if chain == PLATFORM and legacy_end is not None else GENESIS
        _verify_one(report, key, count, chain, heads.get(chain), start)
    if count.keyed and count.keyed_bad == count.keyed:
        report.problems.append(
            "Aucun événement signé ne correspond à la clé d'audit actuelle : vérifiez "
            "CADUCEE_AUDIT_KEY (ou CADUCEE_SECRET_KEY si la clé en est dérivée) avant de "
            "conclure à une altération."
        )
    if report.heads:
        newest = max(report.heads, key=lambda head: head.seq)
        report.head_seq, report.head_hash = newest.seq, newest.hash
    return report


def _name(event: AuditEvent) -> str:
    return f"Événement n° {event.seq} ({event.action}, {event.created_at:%d/%m/%Y %H:%M:%S})"


def _check_hash(
    report: VerifyReport, key: bytes, count: _KeyCount, event: AuditEvent, *, keyed_only: bool
) -> None:
    """The event's own hash; an unkeyed event where only keyed ones may be is a downgrade."""
    name = _name(event)
    expected = hash_for(event.key_version, event.prev_hash, hashed_fields(event), key)
    if expected is None:
        report.problems.append(f"{name} : version de clé inconnue ({event.key_version}).")
    elif event.key_version is LEGACY and keyed_only:
        report.problems.append(
            f"{name} : empreinte non signée après le passage au journal signé "
            "(événement réécrit sans la clé d'audit)."
        )
    elif expected != event.hash:
        report.problems.append(f"{name} modifié après son enregistrement.")
        count.keyed_bad += event.key_version is not LEGACY
    count.keyed += event.key_version is not LEGACY


def _verify_global(report: VerifyReport, key: bytes, count: _KeyCount) -> str | None:
    """The frozen global chain; the hash of its last event, None when it has none."""
    expected_prev = GENESIS
    expected_seq = 1
    keyed_seen = 0
    last_version: int | None = LEGACY
    checked = 0
    events = AuditEvent.objects.filter(chain__isnull=True).order_by("seq")
    for event in events.iterator(chunk_size=2000):
        checked += 1
        if event.seq != expected_seq:
            report.problems.append(
                f"Événement(s) n° {expected_seq} à {event.seq - 1} supprimé(s)."
                if event.seq > expected_seq
                else f"Numérotation incohérente à l'événement n° {event.seq}."
            )
        if event.prev_hash != expected_prev and event.seq == expected_seq:
            report.problems.append(
                f"Événement n° {event.seq} : le lien vers l'événement précédent est rompu."
            )
        _check_hash(report, key, count, event, keyed_only=bool(keyed_seen))
        keyed_seen += event.key_version is not LEGACY
        last_version = event.key_version
        expected_prev = event.hash
        expected_seq = event.seq + 1
    report.checked += checked
    if checked and last_version is LEGACY:
        report.problems.append(
            f"Le journal se termine par un événement non signé (n° {expected_seq - 1}) : "
            "il a été réécrit sans la clé d'audit (depuis la migration audit 0003, le "
            "dernier événement est toujours signé)."
        )
    head = AuditHead.objects.filter(id=1).first()
    last_seq = expected_seq - 1
    if head is not None and (head.seq or checked):
        report.heads.append(ChainHead(None, head.seq, head.hash))
    if head is not None and (head.seq != last_seq or head.hash != expected_prev):
        if head.seq > last_seq:
            report.problems.append(
                f"Événement(s) n° {last_seq + 1} à {head.seq} supprimé(s) en fin de journal."
            )
        elif head.seq or checked:
            report.problems.append("La tête du journal ne correspond pas au dernier événement.")
    return expected_prev if checked else None


def _verify_one(
    report: VerifyReport,
    key: bytes,
    count: _KeyCount,
    chain: int,
    head: AuditChainHead | None,
    start: str,
) -> None:
    """One chain since migration 0004: positions, links, order, keys and its head."""
    label = chain_name(chain)
    expected_prev = start
    expected_pos = 1
    last_seq = 0
    events = AuditEvent.objects.filter(chain=chain).order_by("chain_seq", "seq")
    for event in events.iterator(chunk_size=2000):
        report.checked += 1
        position = event.chain_seq or 0
        if position != expected_pos:
            report.problems.append(
                f"{label.capitalize()} : {position - expected_pos} événement(s) supprimé(s) "
                f"avant l'événement n° {event.seq}."
                if position > expected_pos
                else f"{label.capitalize()} : position en double ou incohérente à "
                f"l'événement n° {event.seq}."
            )
        elif event.prev_hash != expected_prev:
            report.problems.append(
                f"Événement n° {event.seq} : le lien vers l'événement précédent est rompu "
                f"({label})."
            )
        if event.seq <= last_seq:
            report.problems.append(
                f"Événement n° {event.seq} : hors d'ordre dans la {label} (après le n° {last_seq})."
            )
        _check_hash(report, key, count, event, keyed_only=True)
        expected_prev = event.hash
        expected_pos = position + 1
        last_seq = max(last_seq, event.seq)
    length = expected_pos - 1
    if head is None:
        report.problems.append(
            f"{label.capitalize()} : la tête de chaîne est absente (supprimée de la base)."
        )
        return
    report.heads.append(ChainHead(chain, head.seq, head.hash))
    if head.length > length:
        report.problems.append(
            f"{label.capitalize()} : {head.length - length} événement(s) supprimé(s) en fin "
            f"de journal (jusqu'au n° {head.seq})."
        )
    elif head.length != length or head.hash != expected_prev or head.seq != last_seq:
        report.problems.append(
            f"{label.capitalize()} : la tête de chaîne ne correspond pas au dernier événement."
        )
