"""Walk the audit chain and report every broken link."""

from __future__ import annotations

from dataclasses import dataclass, field

from caducee.audit.chain import GENESIS, LEGACY, audit_key, hash_for, hashed_fields
from caducee.audit.models import AuditEvent, AuditHead


@dataclass
class VerifyReport:
    checked: int = 0
    problems: list[str] = field(default_factory=list)
    head_seq: int = 0
    head_hash: str = GENESIS

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_chain() -> VerifyReport:
    report = VerifyReport()
    key = audit_key()
    expected_prev = GENESIS
    expected_seq = 1
    keyed_seen = keyed_bad = 0
    last_version: int | None = LEGACY
    for event in AuditEvent.objects.order_by("seq").iterator(chunk_size=2000):
        report.checked += 1
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
        name = f"Événement n° {event.seq} ({event.action}, {event.created_at:%d/%m/%Y %H:%M:%S})"
        expected = hash_for(event.key_version, event.prev_hash, hashed_fields(event), key)
        if expected is None:
            report.problems.append(f"{name} : version de clé inconnue ({event.key_version}).")
        elif event.key_version is LEGACY and keyed_seen:
            report.problems.append(
                f"{name} : empreinte non signée après le passage au journal signé "
                "(événement réécrit sans la clé d'audit)."
            )
        elif expected != event.hash:
            report.problems.append(f"{name} modifié après son enregistrement.")
            keyed_bad += event.key_version is not LEGACY
        keyed_seen += event.key_version is not LEGACY
        last_version = event.key_version
        expected_prev = event.hash
        expected_seq = event.seq + 1
    if report.checked and last_version is LEGACY:
        report.problems.append(
            f"Le journal se termine par un événement non signé (n° {expected_seq - 1}) : "
            "il a été réécrit sans la clé d'audit (depuis la migration audit 0003, le "
            "dernier événement est toujours signé)."
        )
    if keyed_seen and keyed_bad == keyed_seen:
        report.problems.append(
            "Aucun événement signé ne correspond à la clé d'audit actuelle : vérifiez "
            "CADUCEE_AUDIT_KEY (ou CADUCEE_SECRET_KEY si la clé en est dérivée) avant de "
            "conclure à une altération."
        )
    head = AuditHead.objects.filter(id=1).first()
    last_seq = expected_seq - 1
    if head is not None:
        report.head_seq, report.head_hash = head.seq, head.hash
    if head is not None and (head.seq != last_seq or head.hash != expected_prev):
        if head.seq > last_seq:
            report.problems.append(
                f"Événement(s) n° {last_seq + 1} à {head.seq} supprimé(s) en fin de journal."
            )
        else:
            report.problems.append("La tête du journal ne correspond pas au dernier événement.")
    return report
