"""MSSanté particles generated in bulk: the « + » rule, a few queries for many requests."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from caducee.accounts.models import Account
from caducee.core.context import cli_context
from caducee.directory.addresses import free_particle
from caducee.directory.generation import Wanted, candidate, generate_particles
from caducee.directory.operations import assign_mssante_address
from caducee.structures.models import Structure
from tests import factories

pytestmark = pytest.mark.django_db

A = "ch-a.mssante.fr"


def wanted(*bases: str, domain: str = A) -> list[Wanted]:
    return [Wanted(f"line{i}@x.fr", base, domain) for i, base in enumerate(bases)]


def test_candidates_follow_first_free() -> None:
    assert [candidate("jeanne.dupont", n) for n in (1, 2, 10)] == [
        "jeanne.dupont",
        "jeanne.dupont2",
        "jeanne.dupont10",
    ]


def test_free_bases_are_kept_and_repeated_ones_numbered_in_order(structure_a: Structure) -> None:
    got = generate_particles(
        wanted("jeanne.dupont", "paul.martin", "jeanne.dupont", "jeanne.dupont")
    )
    assert list(got.values()) == [
        "jeanne.dupont",
        "paul.martin",
        "jeanne.dupont2",
        "jeanne.dupont3",
    ]


def test_particles_used_anywhere_on_the_platform_are_skipped(
    structure_a: Structure, structure_b: Structure
) -> None:
    """The « + » rule: a particle is taken whatever its domain (free_particle)."""
    one = factories.make_account(structure_b, "PER")
    assign_mssante_address(cli_context(), one, "jeanne.dupont")
    two = factories.make_account(structure_a, "PER")
    assign_mssante_address(cli_context(), two, "jeanne.dupont3")
    got = generate_particles(wanted("jeanne.dupont", "jeanne.dupont", "jeanne.dupont"))
    assert list(got.values()) == ["jeanne.dupont2", "jeanne.dupont4", "jeanne.dupont5"]
    third = factories.make_account(structure_a, "PER")
    assert free_particle("jeanne.dupont", third) == "jeanne.dupont2"  # the same first answer


def test_a_login_email_on_the_domain_is_skipped(structure_a: Structure) -> None:
    factories.make_account(structure_a, "MED", f"jeanne.dupont@{A}")
    got = generate_particles(wanted("jeanne.dupont"))
    assert got == {"line0@x.fr": "jeanne.dupont2"}
    # On another domain that login does not matter.
    assert generate_particles(wanted("jeanne.dupont", domain="autre.mssante.fr")) == {
        "line0@x.fr": "jeanne.dupont"
    }


def test_reserved_particles_and_addresses_are_skipped(structure_a: Structure) -> None:
    got = generate_particles(
        wanted("accueil", "jeanne.dupont"),
        reserved={"accueil"},
        reserved_addresses={f"jeanne.dupont@{A}"},
    )
    assert list(got.values()) == ["accueil2", "jeanne.dupont2"]


def test_a_long_run_of_used_numbers_is_asked_in_doubling_windows(structure_a: Structure) -> None:
    Account.objects.bulk_create(
        Account(
            structure=structure_a,
            email=f"taken{n}@x.fr",
            type="PER",
            mssante_particle=candidate("paul.martin", n),
        )
        for n in range(1, 40)
    )
    with CaptureQueriesContext(connection) as queries:
        got = generate_particles(wanted("paul.martin"))
    assert got == {"line0@x.fr": "paul.martin40"}
    assert len(queries) == 2 * 7  # windows of 1, 1, 2, 4, 8, 16, 32 names: 7 rounds


def _taken_accounts(structure: Structure, count: int) -> list[str]:
    bases = [f"prenom{n}.nom" for n in range(count)]
    Account.objects.bulk_create(
        Account(structure=structure, email=f"t{n}@x.fr", type="PER", mssante_particle=base)
        for n, base in enumerate(bases)
    )
    return bases


def test_the_number_of_queries_does_not_grow_with_the_requests(structure_a: Structure) -> None:
    counts = []
    for size in (10, 300):
        Account.objects.all().delete()
        bases = _taken_accounts(structure_a, size)  # every base used once: a second round
        with CaptureQueriesContext(connection) as queries:
            got = generate_particles(wanted(*bases, *bases))
        assert sorted(got.values()) == sorted(
            [*[f"{b}2" for b in bases], *[f"{b}3" for b in bases]]
        )
        counts.append(len(queries))
    assert counts[0] == counts[1] == 4  # two rounds, two queries each


def _previous_generate(
    wanted: list[Wanted], reserved: set[str], reserved_addresses: set[str]
) -> dict[str, str]:
    """The algorithm before issue #19 (every candidate of a round in sets, asked sorted):
    the reference the streamed rounds must match, name for name."""
    particles, addresses_taken = set(reserved), set(reserved_addresses)
    known: dict[str, int] = {}
    cursor: dict[tuple[str, str], int] = {}
    result: dict[str, str] = {}
    pending = list(wanted)
    while pending:
        need: dict[str, int] = {}
        domains: dict[str, set[str]] = {}
        for item in pending:
            need[item.base] = need.get(item.base, 0) + 1
            domains.setdefault(item.base, set()).add(item.domain)
        names: set[str] = set()
        addresses: set[str] = set()
        for base, count in need.items():
            start = known.get(base, 0)
            end = start + max(count, start, 1)
            for n in range(start + 1, end + 1):
                names.add(candidate(base, n))
                addresses.update(f"{candidate(base, n)}@{d}" for d in domains[base])
            known[base] = end
        particles.update(
            Account.objects.filter(mssante_particle__in=sorted(names)).values_list(
                "mssante_particle", flat=True
            )
        )
        addresses_taken.update(
            Account.objects.filter(email__in=sorted(addresses)).values_list("email", flat=True)
        )
        waiting: list[Wanted] = []
        for item in pending:
            slot = (item.base, item.domain)
            n = cursor.get(slot, 1)
            found = None
            while n <= known[item.base]:
                name = candidate(item.base, n)
                n += 1
                if name not in particles and f"{name}@{item.domain}" not in addresses_taken:
                    found = name
                    break
            cursor[slot] = n
            if found is None:
                waiting.append(item)
            else:
                particles.add(found)
                result[item.key] = found
        pending = waiting
    return result


@pytest.mark.parametrize("seed", range(6))
def test_streamed_rounds_give_the_previous_algorithms_addresses(
    structure_a: Structure, seed: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Homonyms by the hundred, bases ending with digits whose numbered names are other
    bases (« service.1 » numbered 2 is « service.12 »), two domains, particles and login
    emails already used, reserved ones: the same address for every request, with queries
    of at most 1,000 names as before."""
    import random

    from caducee.directory import generation

    rng = random.Random(seed)
    roots = ["jeanne.dupont", "paul.martin", "service.1", "service.12", "service", "a.b2"]
    bases = roots + [f"service.{n}" for n in range(1, 40)] + [f"x{n}" for n in range(30)]
    domains = [A, "autre.mssante.fr"]
    requests = [
        Wanted(f"line{i}@x.fr", rng.choice(roots if rng.random() < 0.6 else bases), d)
        for i in range(rng.randint(50, 700))
        for d in [domains[0] if rng.random() < 0.8 else domains[1]]
    ]
    used = {candidate(rng.choice(bases), rng.randint(1, 60)) for _ in range(rng.randint(0, 120))}
    Account.objects.bulk_create(
        Account(structure=structure_a, email=f"u{n}@x.fr", type="PER", mssante_particle=p)
        for n, p in enumerate(sorted(used))
    )
    logins = {f"{candidate(rng.choice(bases), rng.randint(1, 30))}@{A}" for _ in range(40)}
    Account.objects.bulk_create(
        Account(structure=structure_a, email=e, type="MED") for e in sorted(logins)
    )
    reserved = {candidate(rng.choice(bases), rng.randint(1, 20)) for _ in range(15)}
    reserved_addresses = {f"{candidate(rng.choice(roots), 2)}@{A}" for _ in range(5)}
    expected = _previous_generate(requests, reserved, reserved_addresses)
    for chunk in (generation.QUERY_CHUNK, 7):
        monkeypatch.setattr(generation, "QUERY_CHUNK", chunk)
        got = generate_particles(requests, reserved=reserved, reserved_addresses=reserved_addresses)
        few = generate_particles(
            requests,
            reserved=reserved,
            reserved_addresses=reserved_addresses,
            keys={r.key for r in requests[:5]},
        )
        assert list(got.items()) == list(expected.items())  # in the same order too
        assert few == {r.key: expected[r.key] for r in requests[:5]}
    assert len(set(expected.values())) == len(requests)  # each name handed out once
