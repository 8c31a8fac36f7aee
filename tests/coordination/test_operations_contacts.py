"""Coordination operations: contacts, partners, and the liste rouge of directory candidates."""

from __future__ import annotations

import pytest

from caducee.coordination import operations
from caducee.coordination.models import (
    Contact,
    Partner,
    Record,
)
from caducee.core.context import cli_context
from caducee.core.errors import Forbidden, Invalid, NotFound
from caducee.people.models import User
from caducee.structures.models import Structure
from tests.coordination.conftest import last_event
from tests.helpers import ctx_for


class TestContacts:
    def test_create_normalises(self, camille: User, structure_a: Structure) -> None:
        contact = operations.create_contact(
            ctx_for(camille),
            structure_a,
            operations.ContactInput(last_name="corre", first_name="François", email="F@X.FR"),
        )
        assert contact.last_name == "CORRE" and contact.email == "f@x.fr"
        assert last_event().action == "coordination.contact_create"

    def test_bad_email(self, camille: User, structure_a: Structure) -> None:
        with pytest.raises(Invalid) as exc:
            operations.create_contact(
                ctx_for(camille),
                structure_a,
                operations.ContactInput(last_name="X", email="pas-une-adresse"),
            )
        assert exc.value.problems[0].field == "email"

    def test_reader_cannot_manage_contacts(self, lucas: User, structure_a: Structure) -> None:
        with pytest.raises(Forbidden):
            operations.create_contact(
                ctx_for(lucas), structure_a, operations.ContactInput(last_name="X")
            )

    def test_search_by_first_letters(self, corre: Contact, structure_a: Structure) -> None:
        assert operations.search_contacts(structure_a, "Cor") == [corre]
        assert operations.search_contacts(structure_a, "fran") == [corre]
        assert operations.search_contacts(structure_a, "rre") == []

    def test_regional_directory_entries_are_found_and_imported(
        self, camille: User, structure_a: Structure, structure_b: Structure
    ) -> None:
        from caducee.accounts.models import AccountState
        from tests.factories import make_account

        visible = make_account(structure_b, "PER", "p.lefevre@clinique-b.fr", last_name="LEFEVRE")
        visible.visible = True
        visible.state = AccountState.VALID
        visible.save()
        hidden = make_account(structure_b, "PER", "l.lefort@clinique-b.fr", last_name="LEFORT")
        found = operations.directory_candidates("lef")
        assert visible in found and hidden not in found
        contact = operations.import_directory_contact(ctx_for(camille), structure_a, visible.pk)
        assert contact.email == "p.lefevre@clinique-b.fr" and contact.directory_account == visible
        assert contact.structure == structure_a
        assert last_event().action == "coordination.contact_import"
        again = operations.import_directory_contact(ctx_for(camille), structure_a, visible.pk)
        assert again.pk == contact.pk
        with pytest.raises(NotFound):
            operations.import_directory_contact(ctx_for(camille), structure_a, hidden.pk)


class TestPartners:
    def test_attach_detach_and_access(
        self, camille: User, record_a: Record, corre: Contact
    ) -> None:
        partner = operations.attach_partner(ctx_for(camille), record_a, corre, "medecin_traitant")
        event = last_event()
        assert event.action == "coordination.partner_attach" and event.actor == camille
        with pytest.raises(Invalid):
            operations.attach_partner(ctx_for(camille), record_a, corre, "pharmacien")
        operations.set_partner_access(ctx_for(camille), partner, False)
        partner.refresh_from_db()
        assert not partner.access_enabled
        assert last_event().detail["enabled"] is False
        operations.detach_partner(ctx_for(camille), partner)
        assert not Partner.objects.exists()
        assert last_event().action == "coordination.partner_detach"

    def test_contact_type_is_required(
        self, camille: User, record_a: Record, corre: Contact
    ) -> None:
        with pytest.raises(Invalid):
            operations.attach_partner(ctx_for(camille), record_a, corre, "")

    def test_contact_of_another_structure_is_unknown(
        self, bob: User, record_a: Record, record_c: Record, structure_b: Structure
    ) -> None:
        other = operations.create_contact(
            cli_context(), structure_b, operations.ContactInput(last_name="Autre")
        )
        with pytest.raises(NotFound):
            operations.attach_partner(cli_context(), record_a, other, "autre")
        with pytest.raises(NotFound):
            operations.attach_partner(ctx_for(bob), record_a, other, "autre")

    def test_reader_cannot_manage_partners(
        self, lucas: User, record_a: Record, corre: Contact
    ) -> None:
        with pytest.raises(Forbidden):
            operations.attach_partner(ctx_for(lucas), record_a, corre, "autre")


class TestListeRouge:
    """Security review M4: the coordination directory follows the directory's rule."""

    def test_red_listed_account_is_neither_found_nor_imported(
        self, camille: User, structure_a: Structure, structure_b: Structure
    ) -> None:
        from caducee.accounts.models import AccountState
        from caducee.directory.operations import set_red_list
        from tests.factories import make_account

        account = make_account(structure_b, "PER", "p.lefevre@clinique-b.fr", last_name="LEFEVRE")
        account.visible = True
        account.state = AccountState.VALID
        account.save()
        assert account in operations.directory_candidates("lef")
        set_red_list(cli_context(), account, True)
        assert account not in operations.directory_candidates("lef")
        assert account not in operations.directory_candidates("p.lefevre")
        with pytest.raises(NotFound):
            operations.import_directory_contact(ctx_for(camille), structure_a, account.pk)
        assert not Contact.objects.filter(email=account.email).exists()
