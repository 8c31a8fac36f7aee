from __future__ import annotations

import pytest

from caducee.audit.models import AuditEvent
from caducee.core.context import Context
from caducee.core.errors import Forbidden, Invalid, NotFound
from caducee.people.models import User
from caducee.structures import ownership
from caducee.structures.access import find_structure, structures_for_admin
from caducee.structures.models import Structure, StructureAdmin
from caducee.structures.operations import (
    StructureInput,
    appoint_admin,
    create_structure,
    remove_admin,
    update_structure,
)
from tests.factories import finess, make_account, siren, siret


def data(**overrides: str) -> StructureInput:
    base = {
        "name": "CH Albi",
        "id_type": "FINESS_EJ",
        "id_number": finess(),
        "domain": "ch-albi.mssante.fr",
        "department": "Tarn",
    }
    base.update(overrides)
    return StructureInput(**base)


def test_operator_creates_structure(operator: User) -> None:
    structure = create_structure(Context(user=operator), data())
    assert structure.department == "81" and structure.region == "76"
    event = AuditEvent.objects.get(action="structure.create")
    assert event.actor == operator


@pytest.mark.parametrize(
    ("kind", "number"), [("SIREN", siren()), ("SIRET", siret()), ("FINESS_EG", finess())]
)
def test_identifier_types(operator: User, kind: str, number: str) -> None:
    assert create_structure(Context(user=operator), data(id_type=kind, id_number=number))


def test_check_digit_error_beside_the_field(operator: User) -> None:
    with pytest.raises(Invalid) as exc:
        create_structure(Context(user=operator), data(id_number="810000006"))
    assert [p.field for p in exc.value.errors()] == ["id_number"]


def test_duplicates_refused(operator: User) -> None:
    first = create_structure(Context(user=operator), data())
    with pytest.raises(Invalid) as exc:
        create_structure(Context(user=operator), data(name="ch albi", id_number=first.id_number))
    assert {p.field for p in exc.value.errors()} == {"name", "id_number", "domain"}


def test_bad_domain_and_department(operator: User) -> None:
    with pytest.raises(Invalid) as exc:
        create_structure(Context(user=operator), data(domain="pas un domaine", department="99"))
    assert {p.field for p in exc.value.errors()} == {"domain", "department"}


def test_only_the_operator_creates_structures(alice: User, structure_a: Structure) -> None:
    with pytest.raises(Forbidden):
        create_structure(Context(user=alice), data())
    with pytest.raises(Forbidden):  # an admin keeps the identity fields to the operator
        update_structure(Context(user=alice), structure_a, data(name="Autre"))


def test_update_is_audited(operator: User, structure_a: Structure) -> None:
    update_structure(
        Context(user=operator),
        structure_a,
        data(name="CH A renommé", id_number=structure_a.id_number, domain=structure_a.domain or ""),
    )
    structure_a.refresh_from_db()
    assert structure_a.name == "CH A renommé"
    assert AuditEvent.objects.filter(action="structure.update").exists()


def test_the_region_follows_a_changed_department(operator: User) -> None:
    """The rule of every edit (console, API, CLI), in the operation: department changed,
    region sent unchanged → derived again; a region the caller changed is kept (checked)."""
    ctx = Context(user=operator)
    structure = create_structure(ctx, data(department="Tarn"))
    assert (structure.department, structure.region) == ("81", "76")
    same = {"id_number": structure.id_number, "domain": structure.domain or ""}
    moved = update_structure(ctx, structure, data(**same, department="06", region="76"))
    assert (moved.department, moved.region) == ("06", "93")
    with pytest.raises(Invalid):  # a region that does not hold the department
        update_structure(ctx, moved, data(**same, department="81", region="11"))


def test_one_admin_for_several_structures(
    operator: User, structure_a: Structure, structure_b: Structure
) -> None:
    ctx = Context(user=operator)
    user, created = appoint_admin(ctx, structure_a, "Multi@Example.org")
    again, created_again = appoint_admin(ctx, structure_b, "multi@example.org")
    assert created and not created_again and user == again
    assert set(structures_for_admin(user)) == {structure_a, structure_b}
    remove_admin(ctx, structure_b, user)
    assert list(structures_for_admin(user)) == [structure_a]
    with pytest.raises(NotFound):
        remove_admin(ctx, structure_b, user)


def test_shared_mailbox_cannot_be_admin(operator: User, structure_a: Structure) -> None:
    org = make_account(structure_a, "ORG")
    with pytest.raises(Invalid):
        appoint_admin(Context(user=operator), structure_a, org.email)


def test_admin_sees_only_own_structures(
    alice: User,
    bob: User,
    charlie: User,
    operator: User,
    structure_a: Structure,
    structure_b: Structure,
) -> None:
    assert list(structures_for_admin(alice)) == [structure_a]
    assert list(structures_for_admin(bob)) == [structure_b]
    assert not structures_for_admin(charlie).exists()
    assert set(structures_for_admin(operator)) == {structure_a, structure_b}
    assert StructureAdmin.objects.count() == 2


def test_find_structure_by_name_identifier_or_domain(structure_a: Structure) -> None:
    assert find_structure("Centre hospitalier A") == structure_a
    assert find_structure("centre hospitalier a") == structure_a
    assert find_structure(structure_a.id_number) == structure_a
    assert find_structure("ch-a.mssante.fr") == structure_a
    with pytest.raises(NotFound):
        find_structure("inconnue")


def test_a_person_on_the_cli_is_not_the_server(alice: User) -> None:
    """A person's context never counts as the server's, whatever its channel (ctx.is_server)."""
    with pytest.raises(Forbidden):
        create_structure(Context(user=alice, channel="cli"), data())
    assert create_structure(Context(user=None, channel="cli"), data()).pk


def test_a_four_digit_postal_code_gets_its_zero(operator: User) -> None:
    structure = create_structure(Context(user=operator), data(postal_code="1000"))
    assert structure.postal_code == "01000"


# --- « Paramétrage de la structure » by its admins (issue #15, point 6) ----------------------


def _current(structure: Structure, **overrides: str) -> StructureInput:
    values = {key: getattr(structure, key) or "" for key in ownership.FIELDS}
    values.update(overrides)
    return StructureInput(**values)


def test_an_admin_edits_the_address_phone_and_contact(alice: User, structure_a: Structure) -> None:
    changed = _current(
        structure_a,
        address1="2 avenue des Tilleuls",
        city="albi",
        phone="05 63 00 00 00",
        contact_name="Mme Durand, cadre de santé",
        contact_email="Secretariat@CH-A.fr",
    )
    update_structure(Context(user=alice, ip="10.0.0.1"), structure_a, changed)
    structure_a.refresh_from_db()
    assert structure_a.phone == "0563000000"
    assert structure_a.contact_email == "secretariat@ch-a.fr"
    assert structure_a.city == "ALBI"
    event = AuditEvent.objects.get(action="structure.update")
    assert event.actor == alice and event.structure_id == structure_a.pk
    assert event.detail["fields"] == [
        "address1",
        "city",
        "contact_email",
        "contact_name",
        "phone",
    ]
    assert event.detail["changes"]["phone"] == ["", "0563000000"]


@pytest.mark.parametrize(
    ("field", "value", "label"),
    [
        ("domain", "autre.mssante.fr", "Domaine MSSanté"),
        ("id_number", "750000012", "Numéro d'identifiant"),
        ("id_type", "SIRET", "Type d'identifiant"),
        ("name", "Nouveau nom", "Raison sociale"),
    ],
)
def test_an_admin_cannot_change_an_operator_field(
    alice: User, structure_a: Structure, field: str, value: str, label: str
) -> None:
    before = getattr(structure_a, field)
    with pytest.raises(Forbidden) as exc:
        update_structure(
            Context(user=alice),
            structure_a,
            _current(structure_a, phone="0102030405", **{field: value}),
        )
    assert label in exc.value.message and "opérateur de la plateforme" in exc.value.message
    structure_a.refresh_from_db()
    assert getattr(structure_a, field) == before and structure_a.phone == ""
    assert not AuditEvent.objects.filter(action="structure.update").exists()


def test_an_operator_field_sent_unchanged_is_not_a_change(
    alice: User, structure_a: Structure
) -> None:
    """Written as a person types it (spaces, case): normalised, it is the same value."""
    same = _current(
        structure_a,
        domain=(structure_a.domain or "").upper(),
        name=f" {structure_a.name} ",
        city="Toulouse",
    )
    update_structure(Context(user=alice), structure_a, same)
    structure_a.refresh_from_db()
    assert structure_a.city == "TOULOUSE"


def test_an_admin_of_another_structure_gets_404(bob: User, structure_a: Structure) -> None:
    with pytest.raises(NotFound):
        update_structure(Context(user=bob), structure_a, _current(structure_a, city="Albi"))


def test_the_operator_changes_every_field(operator: User, structure_a: Structure) -> None:
    changed = _current(structure_a, domain="nouveau.mssante.fr", phone="0102030405")
    update_structure(Context(user=operator), structure_a, changed)
    structure_a.refresh_from_db()
    assert (structure_a.domain, structure_a.phone) == ("nouveau.mssante.fr", "0102030405")


def test_bad_phone_and_contact_email_are_refused_beside_their_field(
    alice: User, structure_a: Structure
) -> None:
    with pytest.raises(Invalid) as exc:
        update_structure(
            Context(user=alice),
            structure_a,
            _current(structure_a, phone="05 63 AB", contact_email="pas une adresse"),
        )
    assert {p.field for p in exc.value.errors()} == {"phone", "contact_email"}
