"""Coordination operations — Rights profiles and memberships: defaults, profiles, members."""

from __future__ import annotations

import pytest

from caducee.coordination import operations
from caducee.coordination.models import (
    RightsProfile,
)
from caducee.coordination.permissions import PERMISSIONS
from caducee.core.errors import Forbidden, Invalid, NotFound
from caducee.people.models import User
from caducee.structures.models import Structure
from tests.coordination.conftest import last_event, profile
from tests.helpers import ctx_for


class TestDefaults:
    def test_external_structure_is_created_once_without_domain(self, db: None) -> None:
        first = operations.external_home_structure()
        again = operations.external_home_structure()
        assert first.pk == again.pk
        assert first.name == "Utilisateur externe"
        assert first.is_external and first.domain is None
        assert first.id_type == "SIRET" and first.id_number == operations.EXTERNAL_SIRET
        from caducee.referentials.identifiers import validate_siret

        assert validate_siret(first.id_number) == first.id_number

    def test_default_profiles(self, structure_a: Structure) -> None:
        profiles = {p.name: p for p in operations.ensure_default_profiles(structure_a)}
        assert set(profiles) == {
            "Coordinateur interne",
            "Lecteur interne",
            "Partenaire externe lecture seule",
            "Partenaire externe contributeur",
        }
        assert profiles["Coordinateur interne"].permission_set == set(PERMISSIONS)
        assert profiles["Partenaire externe lecture seule"].permission_set == {
            "record.read",
            "liaison.read",
        }
        assert profiles["Partenaire externe contributeur"].permission_set == {
            "record.read",
            "liaison.read",
            "liaison.write",
            "document.add",
        }
        assert operations.ensure_default_profiles(structure_a)  # idempotent
        assert RightsProfile.objects.filter(structure=structure_a).count() == 4


class TestProfiles:
    def test_admin_creates_updates_and_deletes(self, alice: User, structure_a: Structure) -> None:
        created = operations.create_profile(
            ctx_for(alice), structure_a, "Secrétariat", "interne", ["record.read", "record.create"]
        )
        assert last_event().action == "coordination.profile_create"
        operations.update_profile(ctx_for(alice), created, "Secrétariat", ["record.read"])
        assert created.permission_set == {"record.read"}
        assert last_event().detail["before"]["permissions"] == ["record.read", "record.create"]
        operations.delete_profile(ctx_for(alice), created)
        assert last_event().action == "coordination.profile_delete"
        assert not RightsProfile.objects.filter(pk=created.pk).exists()

    def test_external_profile_cannot_hold_internal_rights(
        self, alice: User, structure_a: Structure
    ) -> None:
        with pytest.raises(Invalid) as exc:
            operations.create_profile(
                ctx_for(alice),
                structure_a,
                "Trop large",
                "externe",
                ["record.read", "partner.manage"],
            )
        assert "Rattacher" in exc.value.problems[0].message

    def test_unknown_permission_and_duplicate_name(
        self, alice: User, structure_a: Structure
    ) -> None:
        with pytest.raises(Invalid) as exc:
            operations.create_profile(
                ctx_for(alice), structure_a, "Lecteur interne", "interne", ["record.fly"]
            )
        codes = {p.code for p in exc.value.problems}
        assert codes == {"unique", "unknown"}

    def test_used_profile_is_not_deleted(
        self, alice: User, camille: User, structure_a: Structure
    ) -> None:
        with pytest.raises(Invalid):
            operations.delete_profile(ctx_for(alice), profile(structure_a, "Coordinateur interne"))

    def test_other_structure_admin_gets_404(self, bob: User, structure_a: Structure) -> None:
        with pytest.raises(NotFound):
            operations.create_profile(ctx_for(bob), structure_a, "X", "interne", [])

    def test_member_not_admin_is_refused(self, camille: User, structure_a: Structure) -> None:
        with pytest.raises(Forbidden):
            operations.create_profile(ctx_for(camille), structure_a, "X", "interne", [])


class TestMemberships:
    def test_admin_gives_a_profile_to_an_account_of_the_structure(
        self, alice: User, structure_a: Structure
    ) -> None:
        from tests.factories import make_account

        account = make_account(structure_a, "PER", "dr.who@ch-a.fr")
        reader = profile(structure_a, "Lecteur interne")
        membership = operations.set_membership(
            ctx_for(alice), structure_a, "DR.WHO@ch-a.fr", reader
        )
        assert membership.user == account.user
        event = last_event()
        assert event.action == "coordination.membership_set" and event.actor == alice
        operations.remove_membership(ctx_for(alice), membership)
        assert last_event().action == "coordination.membership_remove"

    def test_person_of_another_structure_is_refused(
        self, alice: User, structure_a: Structure, structure_b: Structure
    ) -> None:
        from tests.factories import make_account

        make_account(structure_b, "PER", "ailleurs@clinique-b.fr")
        with pytest.raises(Invalid):
            operations.set_membership(
                ctx_for(alice),
                structure_a,
                "ailleurs@clinique-b.fr",
                profile(structure_a, "Lecteur interne"),
            )
