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
