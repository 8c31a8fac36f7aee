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
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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

    def ask(self, names: set[str], addresses: set[str]) -> None:
        """Two indexed queries per 1,000 names: which of them are already used."""
        for chunk in _chunks(sorted(names)):
            self.particles.update(
                Account.objects.filter(mssante_particle__in=chunk).values_list(
                    "mssante_particle", flat=True
                )
            )
        for chunk in _chunks(sorted(addresses)):
            self.addresses.update(
                Account.objects.filter(email__in=chunk).values_list("email", flat=True)
            )


def _chunks(values: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(values), QUERY_CHUNK):
        yield values[start : start + QUERY_CHUNK]


def generate_particles(
    wanted: Sequence[Wanted],
    *,
    reserved: Iterable[str] = (),
    reserved_addresses: Iterable[str] = (),
) -> dict[str, str]:
    """No caller check (a helper of the import, which checked its structures): key ->
    generated particle, for every request, in request order.

    `reserved`: particles the caller is about to store itself (typed in the same file);
    `reserved_addresses`: login emails about to be created. Neither is generated. Run it
    inside the transaction that stores the particles."""
    taken = _Taken(reserved, reserved_addresses)
    known: dict[str, int] = {}  # base -> highest number asked to the database
    cursor: dict[tuple[str, str], int] = {}  # (base, domain) -> first number maybe free
    result: dict[str, str] = {}
    pending = list(wanted)
    while pending:
        _ask_round(taken, known, pending)
        waiting: list[Wanted] = []
        for item in pending:
            name = _first_free(taken, known, cursor, item)
            if name is None:
                waiting.append(item)
                continue
            taken.particles.add(name)
            result[item.key] = name
        pending = waiting
    return result


def _ask_round(taken: _Taken, known: dict[str, int], pending: list[Wanted]) -> None:
    """Ask the database about the next window of every pending base."""
    need: dict[str, int] = {}
    domains: dict[str, set[str]] = {}
    for item in pending:
        need[item.base] = need.get(item.base, 0) + 1
        domains.setdefault(item.base, set()).add(item.domain)
    names: set[str] = set()
    addresses: set[str] = set()
    for base, count in need.items():
        start = known.get(base, 0)
        end = start + max(count, start, 1)  # the window doubles at each round
        for n in range(start + 1, end + 1):
            name = candidate(base, n)
            names.add(name)
            addresses.update(f"{name}@{domain}" for domain in domains[base])
        known[base] = end
    taken.ask(names, addresses)


def _first_free(
    taken: _Taken, known: dict[str, int], cursor: dict[tuple[str, str], int], item: Wanted
) -> str | None:
    """The first free name for this request among those asked, or None (ask further)."""
    slot = (item.base, item.domain)
    n = cursor.get(slot, 1)
    while n <= known[item.base]:
        name = candidate(item.base, n)
        if taken.free(name, item.domain):
            cursor[slot] = n + 1
            return name
        n += 1
    cursor[slot] = n
    return None


def generated_event(structure_id: int, target: TargetRef, address: str) -> AuditItem:
    """No caller check (built for `record_many` by the import, which checked): the
    `directory.address_assign` event of `assign_mssante_address` without a particle."""
    detail = {"before": None, "after": address, "generated": True}
    return (AuditAction.DIRECTORY_ADDRESS_ASSIGN, structure_id, target, detail)
