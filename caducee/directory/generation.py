"""MSSanté particles generated in bulk (the loaduser import), by the rule of the « + » action.

`assign_mssante_address` without a particle takes `generated_base(account)` and gives the
first of `base`, `base2`, `base3`… that no account of the platform uses as its particle and
that is not the login email of an account on the structure's domain (`free_particle`, one
query per account). `generate_particles` applies the same rule to many requests at once:

- every candidate of a round is asked in one `mssante_particle IN (…)` and one
  `email IN (…)` query per 1,000 candidates (both columns are indexed);
- requests are served in their order, so two lines of one file with the same name get
  `base` then `base2` (in memory, no query);
- the first round asks only `base`; a base already used asks its next numbers in a further
  round, the window doubling each time: a few rounds at most, whatever the file.

Memory (issue #19, point 3): a round's candidates are produced base by base and asked
1,000 at a time as they come, never held together (a round of a 1,000,000-line file had
282,000 names and as many addresses in sets, plus their sorted copies). What stays is
per request (the requests themselves, the names handed out, the result) and per base
(the numbers asked, the next number maybe free). The rounds themselves are kept as they
are: bases may end with digits (« secretariat.service.1 » numbered 2 is
« secretariat.service.12 »), so which request waits for a further round decides who gets
such a name, and a different windowing would give different addresses.
"""

from __future__ import annotations

from collections.abc import Container, Iterable, Iterator, Sequence
from dataclasses import dataclass

from caducee.accounts.models import Account
from caducee.audit.actions import AuditAction
from caducee.audit.log import AuditItem, TargetRef

QUERY_CHUNK = 1000


@dataclass(frozen=True, slots=True)
class Wanted:
    """One address to generate: the caller's key, the base (`base_for` applied), the domain."""

    key: str
    base: str
    domain: str


def candidate(base: str, n: int) -> str:
    """The n-th name tried for `base` (`first_free`'s order): base, base2, base3…"""
    return base if n == 1 else f"{base}{n}"


class _Taken:
    """What is known to be used: particles (platform-wide) and full addresses (emails)."""

    def __init__(self, particles: Iterable[str], addresses: Iterable[str]) -> None:
        self.particles = set(particles)
        self.addresses = set(addresses)

    def free(self, name: str, domain: str) -> bool:
        return name not in self.particles and f"{name}@{domain}" not in self.addresses

    def ask(self, candidates: Iterable[tuple[str, Iterable[str]]]) -> None:
        """Two indexed queries per 1,000 names and per 1,000 addresses: which of them are
        already used. `candidates`: each name with the domains it is asked for, read as it
        is produced (a chunk of each kind at a time in memory)."""
        names: list[str] = []
        addresses: list[str] = []
        for name, domains in candidates:
            names.append(name)
            if len(names) >= QUERY_CHUNK:
                self._ask_particles(names)
                names = []
            for domain in domains:
                addresses.append(f"{name}@{domain}")
                if len(addresses) >= QUERY_CHUNK:
                    self._ask_addresses(addresses)
                    addresses = []
        if names:
            self._ask_particles(names)
        if addresses:
            self._ask_addresses(addresses)

    def _ask_particles(self, chunk: list[str]) -> None:
        self.particles.update(
            Account.objects.filter(mssante_particle__in=chunk).values_list(
                "mssante_particle", flat=True
            )
        )

    def _ask_addresses(self, chunk: list[str]) -> None:
        self.addresses.update(
            Account.objects.filter(email__in=chunk).values_list("email", flat=True)
        )


def generate_particles(
    wanted: Sequence[Wanted],
    *,
    reserved: Iterable[str] = (),
    reserved_addresses: Iterable[str] = (),
    keys: Container[str] | None = None,
) -> dict[str, str]:
    """No caller check (a helper of the import, which checked its structures): key ->
    generated particle, for every request, in request order.

    `reserved`: particles the caller is about to store itself (typed in the same file);
    `reserved_addresses`: login emails about to be created. Neither is generated. Run it
    inside the transaction that stores the particles. `keys`: only the particles of these
    keys are returned (an import's preview shows a few): every request is generated all
    the same (each one numbers the next ones)."""
    taken = _Taken(reserved, reserved_addresses)
    known: dict[str, int] = {}  # base -> highest number asked to the database
    # (base, domain) -> first number maybe free, kept only while a request of the slot is
    # to come in this round, or waits for the next one.
    cursor: dict[tuple[str, str], int] = {}
    result: dict[str, str] = {}
    pending = list(wanted)
    while pending:
        left = _ask_round(taken, known, pending)  # base -> its requests still to serve
        waiting: list[Wanted] = []
        for item in pending:
            left[item.base] -= 1
            name = _first_free(taken, known, cursor, item, more=left[item.base] > 0)
            if name is None:
                waiting.append(item)
                continue
            taken.particles.add(name)
            if keys is None or item.key in keys:
                result[item.key] = name
        # Only the bases of the waiting requests are asked and served again.
        again = {item.base for item in waiting}
        known = {base: known[base] for base in again}
        cursor = {slot: n for slot, n in cursor.items() if slot[0] in again}
        pending = waiting
    return result


def _ask_round(taken: _Taken, known: dict[str, int], pending: list[Wanted]) -> dict[str, int]:
    """Ask the database about the next window of every pending base; the number of
    pending requests of each base."""
    need: dict[str, int] = {}
    domains: dict[str, str | set[str]] = {}  # one domain as is, several in a set
    for item in pending:
        need[item.base] = need.get(item.base, 0) + 1
        seen = domains.get(item.base)
        if seen is None:
            domains[item.base] = item.domain
        elif isinstance(seen, str):
            if seen != item.domain:
                domains[item.base] = {seen, item.domain}
        else:
            seen.add(item.domain)
    taken.ask(_windows(known, need, domains))
    return need


def _windows(
    known: dict[str, int], need: dict[str, int], domains: dict[str, str | set[str]]
) -> Iterator[tuple[str, Iterable[str]]]:
    """The names of this round's window of every base, with their domains (`known`
    updated as each base's window is produced)."""
    for base, count in need.items():
        start = known.get(base, 0)
        end = start + max(count, start, 1)  # the window doubles at each round
        seen = domains[base]
        on = (seen,) if isinstance(seen, str) else sorted(seen)
        for n in range(start + 1, end + 1):
            yield candidate(base, n), on
        known[base] = end


def _first_free(
    taken: _Taken,
    known: dict[str, int],
    cursor: dict[tuple[str, str], int],
    item: Wanted,
    *,
    more: bool,
) -> str | None:
    """The first free name for this request among those asked, or None (ask further).
    `more`: another request of this base comes later in the round (else the slot's
    cursor is forgotten once served: a later request of the slot would be waiting)."""
    slot = (item.base, item.domain)
    n = cursor.get(slot, 1)
    while n <= known[item.base]:
        name = candidate(item.base, n)
        if taken.free(name, item.domain):
            if more:
                cursor[slot] = n + 1
            else:
                cursor.pop(slot, None)
            return name
        n += 1
    cursor[slot] = n
    return None


def generated_event(structure_id: int, target: TargetRef, address: str) -> AuditItem:
    """No caller check (built for `record_many` by the import, which checked): the
    `directory.address_assign` event of `assign_mssante_address` without a particle."""
    detail = {"before": None, "after": address, "generated": True}
    return (AuditAction.DIRECTORY_ADDRESS_ASSIGN, structure_id, target, detail)
