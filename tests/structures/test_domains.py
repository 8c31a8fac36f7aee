"""Shared MSSanté domains of the platform (issue #16, point 4): declared by the operator,
taken by structures without a domain of their own, a particle unique across them."""

from __future__ import annotations

import pytest

from caducee.audit.models import AuditEvent
from caducee.core.context import Context, cli_context
from caducee.core.errors import Forbidden, Invalid, NotFound
from caducee.directory.models import Quota
from caducee.directory.operations import assign_mssante_address
from caducee.directory.quotas import usage
from caducee.people.models import User
from caducee.structures.access import find_structure
from caducee.structures.domains import clean_domain_name, list_domains, mssante_domain
from caducee.structures.models import PlatformDomain, Structure
from caducee.structures.operations import StructureInput, declare_domain, update_structure
from tests import factories

pytestmark = pytest.mark.django_db
SHARED = "pharmacien.oc.mssante.fr"


@pytest.fixture
def shared() -> PlatformDomain:
    return declare_domain(cli_context(), SHARED, shared=True)


@pytest.fixture
def pharmacies(shared: PlatformDomain) -> tuple[Structure, Structure]:
    return (
        factories.make_structure("Pharmacie du Centre", domain=SHARED, department="81"),
        factories.make_structure("Pharmacie de la Gare", domain=SHARED, department="81"),
    )


def _values(structure: Structure, **changes: str) -> StructureInput:
    values = {
        key: getattr(structure, key) or ""
        for key in ("name", "id_type", "id_number", "domain", "department", "region")
    }
    values.update(changes)
    return StructureInput(**values)


def test_the_operator_declares_a_shared_domain(operator: User) -> None:
    domain = declare_domain(Context(user=operator), " Pharmacien.OC.mssante.fr. ", shared=True)
    assert domain.name == SHARED and domain.shared
    event = AuditEvent.objects.get(action="domain.declare")
    assert event.actor == operator and event.structure_id is None
    assert event.detail == {"domain": SHARED, "shared": True}


def test_only_the_operator_declares_domains(alice: User) -> None:
    with pytest.raises(Forbidden):
        declare_domain(Context(user=alice), SHARED, shared=True)
    assert not PlatformDomain.objects.exists()


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("", "Indiquez le nom du domaine"),
        ("pas un domaine", "n'est pas un nom de domaine valide"),
        ("pharmacie-é.mssante.fr", "n'est pas un nom de domaine valide"),
        ("-x.mssante.fr", "n'est pas un nom de domaine valide"),
        ("pharmacien.example.org", "se termine par .mssante.fr"),
        ("mssante.fr", "se termine par .mssante.fr"),
    ],
)
def test_a_domain_name_is_checked_with_a_french_message(name: str, expected: str) -> None:
    with pytest.raises(Invalid) as exc:
        clean_domain_name(name)
    assert expected in exc.value.message
    assert [p.field for p in exc.value.errors()] == ["name"]


def test_a_domain_is_declared_once(shared: PlatformDomain) -> None:
    with pytest.raises(Invalid) as exc:
        declare_domain(cli_context(), SHARED.upper(), shared=True)
    assert "déjà déclaré" in exc.value.message


def test_a_structures_own_domain_cannot_be_shared(structure_a: Structure) -> None:
    with pytest.raises(Invalid) as exc:
        declare_domain(cli_context(), "ch-a.mssante.fr", shared=True)
    assert "domaine propre de la structure « Centre hospitalier A »" in exc.value.message
    assert not PlatformDomain.objects.exists()


def test_many_structures_share_a_domain_none_takes_an_own_one(
    pharmacies: tuple[Structure, Structure], structure_a: Structure
) -> None:
    centre, gare = pharmacies
    assert mssante_domain(centre) == mssante_domain(gare) == SHARED
    with pytest.raises(Invalid) as exc:  # another structure's own domain stays its own
        update_structure(cli_context(), gare, _values(gare, domain="ch-a.mssante.fr"))
    assert [p.code for p in exc.value.errors()] == ["unique"]
    assert "domaine partagé" in exc.value.errors()[0].message
    # A structure with its own domain moves onto the shared one (operator field).
    update_structure(cli_context(), structure_a, _values(structure_a, domain=SHARED))
    assert mssante_domain(Structure.objects.get(pk=structure_a.pk)) == SHARED
    assert [(r.domain.name, r.structures) for r in list_domains()] == [(SHARED, 3)]


def test_a_shared_domain_does_not_name_a_structure(
    pharmacies: tuple[Structure, Structure], structure_a: Structure
) -> None:
    with pytest.raises(NotFound):
        find_structure(SHARED)
    assert find_structure("ch-a.mssante.fr") == structure_a


def test_a_typed_particle_is_unique_across_the_structures_of_a_shared_domain(
    pharmacies: tuple[Structure, Structure],
) -> None:
    centre, gare = pharmacies
    first = factories.make_account(centre, "PER")
    second = factories.make_account(gare, "PER")
    address = assign_mssante_address(cli_context(), first, "officine")
    assert address == f"officine@{SHARED}"
    with pytest.raises(Invalid) as exc:
        assign_mssante_address(cli_context(), second, "officine")
    assert f"officine@{SHARED} est déjà utilisée sur la plateforme" in exc.value.message
    # Typed at creation (the account form and the loaduser file) too.
    with pytest.raises(Invalid) as created:
        factories.make_account(gare, "PER", mssante_particle="officine")
    assert "officine" in str(created.value.problems)


def test_a_generated_particle_is_unique_across_the_structures_of_a_shared_domain(
    pharmacies: tuple[Structure, Structure],
) -> None:
    centre, gare = pharmacies
    one = factories.make_account(centre, "PER", first_name="Anne", last_name="Martin")
    two = factories.make_account(gare, "PER", first_name="Anne", last_name="Martin")
    assert assign_mssante_address(cli_context(), one, None) == f"anne.martin@{SHARED}"
    assert assign_mssante_address(cli_context(), two, None) == f"anne.martin2@{SHARED}"


def test_quotas_still_count_per_structure(pharmacies: tuple[Structure, Structure]) -> None:
    centre, gare = pharmacies
    Quota.objects.create(structure=gare, group="PER_INT", limit=1)
    factories.make_account(centre, "PER")
    factories.make_account(centre, "PER")
    factories.make_account(gare, "PER")  # the gare's one PER: its quota is full
    used = [{u.group: u.used for u in usage(s)}["PER_INT"] for s in (centre, gare)]
    assert used == [2, 1]
    with pytest.raises(Invalid):
        factories.make_account(gare, "PER")
    factories.make_account(centre, "PER")  # the centre has no quota
