"""Walk the audit chain and report every broken link."""

from __future__ import annotations

from dataclasses import dataclass, field

from caducee.audit.chain import GENESIS, event_hash, hashed_fields
from caducee.audit.models import AuditEvent, AuditHead


@dataclass
class VerifyReport:
    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def verify_chain() -> VerifyReport:
    report = VerifyReport()
    expected_prev = GENESIS
    expected_seq = 1
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
        if event_hash(event.prev_hash, hashed_fields(event)) != event.hash:
            report.problems.append(
                f"Événement n° {event.seq} ({event.action}, {event.created_at:%d/%m/%Y %H:%M:%S}) "
                "modifié après son enregistrement."
            )
        expected_prev = event.hash
        expected_seq = event.seq + 1
    head = AuditHead.objects.filter(id=1).first()
    last_seq = expected_seq - 1
    if head is not None and (head.seq != last_seq or head.hash != expected_prev):
        if head.seq > last_seq:
            report.problems.append(
                f"Événement(s) n° {last_seq + 1} à {head.seq} supprimé(s) en fin de journal."
            )
        else:
            report.problems.append("La tête du journal ne correspond pas au dernier événement.")
    return report
