"""Data step of migration 0002_sec_external_seal (security review M2)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

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

    def make_structure(name: str, number: str, external: bool = False) -> object:
        return structure.objects.create(
            name=name, id_type="SIRET", id_number=number, is_external=external
        )

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
