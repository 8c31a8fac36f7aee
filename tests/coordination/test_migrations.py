"""Data steps of migrations 0002_sec_external_seal (security review M2) and
0003_default_profiles_and_external_home (issue #14: reads stay reads)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.db.models import Model

from caducee.coordination import operations

BEFORE = [("coordination", "0001_initial")]
AFTER = [("coordination", "0002_sec_external_seal")]


@pytest.mark.django_db(transaction=True)
def test_a_regular_home_structure_counts_as_accepted_and_nothing_else() -> None:
    """An account homed in B by B's administrator keeps B's records; a contact of C linked
    by email alone gets no acceptance."""
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    structure = apps.get_model("structures", "Structure")
    user_model = apps.get_model("people", "User")
    profile_model = apps.get_model("coordination", "RightsProfile")
    external_model = apps.get_model("coordination", "ExternalAccount")
    contact_model = apps.get_model("coordination", "Contact")

    def make_structure(name: str, number: str, external: bool = False) -> Model:
        created: Model = structure.objects.create(
            name=name, id_type="SIRET", id_number=number, is_external=external
        )
        return created

    owner = make_structure("A", "11111111111111")
    home = make_structure("B", "22222222222222")
    other = make_structure("C", "33333333333333")
    sealed = make_structure("Utilisateur externe", "44444444444444", external=True)
    profile = profile_model.objects.create(
        structure=owner, name="Partenaire", kind="externe", permissions=["record.read"]
    )
    homed = external_model.objects.create(
        user=user_model.objects.create(email="homed@x.fr"),
        identifier="homed",
        home_structure=home,
        owner_structure=owner,
        profile=profile,
        status="actif",
    )
    plain = external_model.objects.create(
        user=user_model.objects.create(email="plain@x.fr"),
        identifier="plain",
        home_structure=sealed,
        owner_structure=owner,
        profile=profile,
        status="actif",
    )
    contact_model.objects.create(structure=other, last_name="P", external_account=plain)

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    apps = executor.loader.project_state(AFTER).apps
    grants = apps.get_model("coordination", "ExternalGrant").objects.all()
    assert [(g.structure_id, g.external_id) for g in grants] == [(home.pk, homed.pk)]
    assert grants[0].accepted_at is not None


DEFAULTS_BEFORE = [("coordination", "0002_sec_external_seal")]
DEFAULTS_AFTER = [("coordination", "0003_default_profiles_and_external_home")]


@pytest.mark.django_db(transaction=True)
def test_existing_structures_get_their_defaults_and_the_external_structure() -> None:
    """What pages used to create on display: four profiles for each structure that has
    none, « Utilisateur externe » once; a structure with profiles keeps its own."""
    executor = MigrationExecutor(connection)
    executor.migrate(DEFAULTS_BEFORE)
    apps = executor.loader.project_state(DEFAULTS_BEFORE).apps
    structure = apps.get_model("structures", "Structure")
    profile_model = apps.get_model("coordination", "RightsProfile")
    bare = structure.objects.create(name="A", id_type="SIRET", id_number="11111111111111")
    own = structure.objects.create(name="B", id_type="SIRET", id_number="22222222222222")
    profile_model.objects.create(structure=own, name="Maison", kind="interne", permissions=[])

    executor = MigrationExecutor(connection)
    executor.migrate(DEFAULTS_AFTER)
    apps = executor.loader.project_state(DEFAULTS_AFTER).apps
    profiles = apps.get_model("coordination", "RightsProfile").objects
    structures = apps.get_model("structures", "Structure").objects
    assert sorted(profiles.filter(structure_id=bare.pk).values_list("name", flat=True)) == [
        "Coordinateur interne",
        "Lecteur interne",
        "Partenaire externe contributeur",
        "Partenaire externe lecture seule",
    ]
    assert list(profiles.filter(structure_id=own.pk).values_list("name", flat=True)) == ["Maison"]
    dedicated = structures.get(is_external=True)
    assert dedicated.name == "Utilisateur externe" and dedicated.domain is None
    assert dedicated.id_number == operations.EXTERNAL_SIRET
    assert not profiles.filter(structure_id=dedicated.pk).exists()


@pytest.mark.django_db(transaction=True)
def test_a_new_installation_gets_no_structure() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(DEFAULTS_BEFORE)
    executor = MigrationExecutor(connection)
    executor.migrate(DEFAULTS_AFTER)
    apps = executor.loader.project_state(DEFAULTS_AFTER).apps
    assert not apps.get_model("structures", "Structure").objects.exists()
