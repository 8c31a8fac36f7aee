"""« Rattacher à une autre structure »: `accounts.moves.move_account` and `preview_move`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from caducee.accounts.models import Account, ConnectionLink, Delegation
from caducee.accounts.moves import move_targets
from caducee.accounts.operations import (
    add_connection_accounts,
    add_delegate,
    create_account,
    deactivate_account,
    move_account,
    preview_move,
    set_default_mailbox,
)
from caducee.audit.models import AuditEvent
from caducee.audit.verify import verify_chain
from caducee.core.context import cli_context
from caducee.core.errors import Invalid, NotFound
from caducee.directory import publication
from caducee.directory.addresses import mssante_address
from caducee.directory.models import DirectoryEntry, MailboxListing
from caducee.directory.operations import assign_mssante_address, set_quota
from caducee.directory.search import search
from caducee.mail import store
from caducee.mail.inbound import store_message
from caducee.mail.models import Message
from caducee.people.models import User
from caducee.structures.models import Structure, StructureAdmin
from tests import factories
from tests.conftest import PASSWORD
from tests.directory.fhir_sink import running_sink
from tests.directory.helpers import listed_account
from tests.helpers import ctx_for
from tests.smtp_sink import SmtpSink

pytestmark = pytest.mark.django_db


@pytest.fixture
def both(structure_a: Structure, structure_b: Structure) -> User:
    """Dora administers A and B."""
    dora = factories.make_admin(structure_a, "dora@ch-a.fr", PASSWORD)
    StructureAdmin.objects.create(user=dora, structure=structure_b)
    return dora


def with_address(structure: Structure, kind: str = "PER", **overrides: Any) -> Account:
    account = listed_account(structure, kind, **overrides)
    assign_mssante_address(cli_context(), account, None)
    account.refresh_from_db()
    return account


class TestPermission:
    def test_the_operator_moves(
        self, operator: User, structure_a: Structure, structure_b: Structure
    ) -> None:
        account = factories.make_account(structure_a, "PER")
        plan = move_account(ctx_for(operator), account, structure_b)
        assert Account.objects.get(pk=account.pk).structure == structure_b
        assert plan.source == structure_a and plan.target == structure_b

    def test_an_admin_of_both_moves(
        self, both: User, structure_a: Structure, structure_b: Structure
    ) -> None:
        account = factories.make_account(structure_a, "PER")
        move_account(ctx_for(both), account, structure_b)
        assert Account.objects.get(pk=account.pk).structure == structure_b

    def test_an_admin_of_the_source_only_gets_404_for_the_target(
        self, alice: User, structure_a: Structure, structure_b: Structure
    ) -> None:
        account = factories.make_account(structure_a, "PER")
        with pytest.raises(NotFound):
            preview_move(ctx_for(alice), account, structure_b)
        with pytest.raises(NotFound):
            move_account(ctx_for(alice), account, structure_b)
        assert Account.objects.get(pk=account.pk).structure == structure_a

    def test_an_admin_of_the_target_only_gets_404_for_the_account(
        self, bob: User, structure_a: Structure, structure_b: Structure
    ) -> None:
        account = factories.make_account(structure_a, "PER")
        with pytest.raises(NotFound):
            move_account(ctx_for(bob), account, structure_b)
        assert Account.objects.get(pk=account.pk).structure == structure_a

    def test_a_person_without_role_gets_404(
        self, charlie: User, structure_a: Structure, structure_b: Structure
    ) -> None:
        account = factories.make_account(structure_a, "PER")
        with pytest.raises(NotFound):
            move_account(ctx_for(charlie), account, structure_b)

    def test_the_same_structure_is_refused(self, both: User, structure_a: Structure) -> None:
        account = factories.make_account(structure_a, "PER")
        with pytest.raises(Invalid) as exc:
            move_account(ctx_for(both), account, structure_a)
        assert "déjà rattaché" in exc.value.message

    def test_the_external_structure_is_refused(
        self, operator: User, structure_a: Structure
    ) -> None:
        from caducee.coordination.operations import external_home_structure

        account = factories.make_account(structure_a, "PER")
        with pytest.raises(Invalid) as exc:
            move_account(ctx_for(operator), account, external_home_structure())
        assert "utilisateurs externes" in exc.value.message

    def test_rights_in_a_third_structure_leave_it_to_the_operator(
        self, both: User, operator: User, structure_a: Structure, structure_b: Structure
    ) -> None:
        third = factories.make_structure("Cabinet C", domain="cabinet-c.mssante.fr")
        account = factories.make_account(structure_a, "PER")
        assert account.user is not None
        StructureAdmin.objects.create(user=account.user, structure=third)
        with pytest.raises(Invalid) as exc:
            move_account(ctx_for(both), account, structure_b)
        assert "seul l'opérateur" in exc.value.message
        move_account(ctx_for(operator), account, structure_b)
        assert Account.objects.get(pk=account.pk).structure == structure_b

    def test_targets_are_the_actors_other_structures(
        self, both: User, alice: User, structure_a: Structure, structure_b: Structure
    ) -> None:
        account = factories.make_account(structure_a, "PER")
        assert list(move_targets(ctx_for(both), account)) == [structure_b]
        assert list(move_targets(ctx_for(alice), account)) == []


class TestAddress:
    def test_the_address_takes_the_new_domain(
        self, both: User, structure_a: Structure, structure_b: Structure
    ) -> None:
        account = with_address(structure_a, first_name="Léa", last_name="Martin")
        assert mssante_address(account) == "lea.martin@ch-a.mssante.fr"
        plan = preview_move(ctx_for(both), account, structure_b)
        assert plan.new_address == "lea.martin@clinique-b.mssante.fr"
        assert Account.objects.get(pk=account.pk).structure == structure_a  # preview only
        move_account(ctx_for(both), account, structure_b)
        moved = Account.objects.select_related("structure").get(pk=account.pk)
        assert mssante_address(moved) == "lea.martin@clinique-b.mssante.fr"

    def test_a_particle_taken_on_the_new_domain_gets_a_number(
        self, both: User, structure_a: Structure, structure_b: Structure
    ) -> None:
        with_address(structure_b, first_name="Léa", last_name="Martin")  # lea.martin@B
        account = with_address(structure_a, first_name="Léa", last_name="Martin")
        assert account.mssante_particle == "lea.martin2"  # unique on the platform
        other = with_address(structure_a, first_name="Paul", last_name="Durand")
        Account.objects.filter(pk=other.pk).update(mssante_particle="paul.durand")
        taken = with_address(structure_b, first_name="Paul", last_name="Durand")
        assert taken.mssante_particle == "paul.durand2"
        # paul.durand is free on B (B has paul.durand2): kept as is.
        plan = move_account(ctx_for(both), other, structure_b)
        assert plan.new_address == "paul.durand@clinique-b.mssante.fr"
        Account.objects.filter(pk=taken.pk).update(mssante_particle="lea.martin2")
        plan = move_account(ctx_for(both), account, structure_b)
        assert plan.new_address == "lea.martin3@clinique-b.mssante.fr"
        assert any(w.code == "particle_taken" for w in plan.warnings)

    def test_a_test_account_keeps_its_test_prefix(
        self, both: User, structure_a: Structure, structure_b: Structure
    ) -> None:
        data = factories.account_data("PER", first_name="Essai", last_name="Test")
        account = create_account(cli_context(), structure_a, data, is_test=True).account
        assign_mssante_address(cli_context(), account, None)
        account.refresh_from_db()
        plan = move_account(ctx_for(both), account, structure_b)
        assert plan.new_address == "test.essai.test@clinique-b.mssante.fr"

    def test_a_target_without_domain_removes_the_address(
        self, operator: User, structure_a: Structure
    ) -> None:
        bare = factories.make_structure("Sans domaine", domain="")
        assert bare.domain is None
        account = with_address(structure_a)
        plan = move_account(ctx_for(operator), account, bare)
        assert plan.new_address is None
        assert Account.objects.get(pk=account.pk).mssante_particle == ""
        assert [w.code for w in plan.warnings] == ["address_lost"]

    def test_the_regional_directory_follows(
        self, both: User, structure_a: Structure, structure_b: Structure
    ) -> None:
        account = with_address(structure_a, last_name="Zanzibar")
        move_account(ctx_for(both), account, structure_b)
        entry = DirectoryEntry.objects.get(account_id=account.pk)
        assert entry.structure_id == structure_b.pk
        assert entry.mssante_address.endswith("@clinique-b.mssante.fr")
        assert [a.pk for a in search("zanzibar clinique")] == [account.pk]
        assert search("zanzibar ch-a.mssante.fr") == []

    def test_a_published_address_is_withdrawn_then_the_new_one_published(
        self, both: User, structure_a: Structure, structure_b: Structure
    ) -> None:
        account = with_address(
            structure_a, specialty="SM54", address1="1 rue X", phone1="0102030405"
        )
        old = mssante_address(account)
        with running_sink() as sink, override_settings(DIRECTORY_PUSH_URL=sink.url):
            assert publication.push(cli_context(), structure_a).inserted == 1
            plan = preview_move(ctx_for(both), account, structure_b)
            assert "national_withdrawal" in [w.code for w in plan.warnings]
            move_account(ctx_for(both), account, structure_b)
            first = publication.push(cli_context(), structure_b)
            assert (first.inserted, first.deleted) == (0, 1)
            assert f"value='{old}'" in str(sink.accepted[-1])
            second = publication.push(cli_context(), structure_b)
            assert second.inserted == 1
        listing = MailboxListing.objects.get(account=account)
        assert listing.published_address == plan.new_address


class TestPerson:
    def test_login_password_and_messages_stay(
        self,
        both: User,
        structure_a: Structure,
        structure_b: Structure,
        settings: Any,
        tmp_path: Path,
    ) -> None:
        settings.MAIL_ROOT = tmp_path / "mail"
        store._made.clear()
        account = with_address(structure_a)
        person = account.user
        assert person is not None
        person.password = factories.password_hash(PASSWORD)
        person.save()
        message = store_message(account, b"Subject: Bonjour\r\n\r\nTexte\r\n")
        move_account(ctx_for(both), account, structure_b)
        moved = Account.objects.get(pk=account.pk)
        assert moved.user_id == person.pk and moved.email == account.email
        person.refresh_from_db()
        assert person.email == account.email and person.check_password(PASSWORD)
        assert person.is_active
        assert Message.objects.get(pk=message.pk).mailbox_id == account.pk

    def test_the_person_is_told_the_new_address(
        self,
        both: User,
        structure_a: Structure,
        structure_b: Structure,
        smtp_sink: SmtpSink,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        account = with_address(structure_a, first_name="Léa", last_name="Martin")
        since = smtp_sink.count()
        with django_capture_on_commit_callbacks(execute=True):
            move_account(ctx_for(both), account, structure_b)
        notice = smtp_sink.wait_for(account.email, since=since)
        assert notice.subject == "Votre compte Caducée est rattaché à Clinique B"
        assert "Votre adresse MSSanté devient lea.martin@clinique-b.mssante.fr" in notice.text
        assert "(avant : lea.martin@ch-a.mssante.fr)" in notice.text

    def test_admin_role_in_the_old_structure_is_reported(
        self, both: User, structure_a: Structure, structure_b: Structure
    ) -> None:
        account = factories.make_account(structure_a, "PER")
        assert account.user is not None
        StructureAdmin.objects.create(user=account.user, structure=structure_a)
        plan = preview_move(ctx_for(both), account, structure_b)
        assert "still_admin" in [w.code for w in plan.warnings]


class TestLinks:
    def test_links_that_would_cross_structures_are_detached(
        self, both: User, structure_a: Structure, structure_b: Structure
    ) -> None:
        account = factories.make_account(structure_a, "PER", email="jeanne@x.fr")
        colleague = factories.make_account(structure_a, "PER", email="colleague@x.fr")
        org = factories.make_account(structure_a, "ORG", email="secretariat@x.fr")
        add_connection_accounts(cli_context(), org, account.email)
        set_default_mailbox(cli_context(), account, org)
        org_b = factories.make_account(structure_b, "ORG", email="accueil@x.fr")
        add_connection_accounts(cli_context(), org_b, account.email)  # stays: same structure
        add_delegate(cli_context(), account, colleague.email)
        add_delegate(cli_context(), colleague, account.email)
        plan = move_account(ctx_for(both), account, structure_b)
        assert [d.message for d in plan.detached] == [
            "jeanne@x.fr n'est plus compte de connexion de la boîte secretariat@x.fr.",
            "jeanne@x.fr n'est plus délégué de colleague@x.fr.",
            "colleague@x.fr n'est plus délégué de jeanne@x.fr.",
        ]
        assert not ConnectionLink.objects.filter(mailbox=org, account=account).exists()
        assert ConnectionLink.objects.filter(mailbox=org_b, account=account).exists()
        assert not Delegation.objects.filter(account=account).exists()
        assert not Delegation.objects.filter(delegate=account).exists()
        assert Account.objects.get(pk=account.pk).default_mailbox_id is None

    def test_the_last_connection_account_of_an_org_mailbox_cannot_leave(
        self, both: User, structure_a: Structure, structure_b: Structure
    ) -> None:
        org = factories.make_account(structure_a, "ORG")
        member = org.connection_links.get().account
        with pytest.raises(Invalid) as exc:
            move_account(ctx_for(both), member, structure_b)
        assert "seul compte de connexion" in exc.value.message
        with pytest.raises(Invalid) as exc:
            move_account(ctx_for(both), org, structure_b)
        assert "n'aurait plus aucun compte de connexion" in exc.value.message
        add_connection_accounts(
            cli_context(), org, factories.make_account(structure_b, "MED").email
        )
        plan = move_account(ctx_for(both), org, structure_b)
        assert [d.member for d in plan.detached] == [member.email]


class TestQuotaAndAudit:
    def test_the_target_quota_is_respected(
        self, operator: User, structure_a: Structure, structure_b: Structure
    ) -> None:
        factories.make_account(structure_b, "PER")
        set_quota(cli_context(), structure_b, "PER_INT", 1)
        account = factories.make_account(structure_a, "PER")
        with pytest.raises(Invalid) as exc:
            move_account(ctx_for(operator), account, structure_b)
        assert "Quota « Personnel et personnel interne » atteint pour Clinique B" in (
            exc.value.message
        )
        assert Account.objects.get(pk=account.pk).structure == structure_a

    def test_a_deactivated_account_uses_no_place(
        self, operator: User, structure_a: Structure, structure_b: Structure
    ) -> None:
        set_quota(cli_context(), structure_b, "PER_INT", 0)
        account = factories.make_account(structure_a, "PER")
        deactivate_account(cli_context(), account)
        move_account(ctx_for(operator), account, structure_b)
        moved = Account.objects.get(pk=account.pk)
        assert moved.structure == structure_b and moved.is_deactivated

    def test_both_journals_record_the_move(
        self, both: User, structure_a: Structure, structure_b: Structure
    ) -> None:
        account = with_address(structure_a, company_name="Centre hospitalier A")
        move_account(ctx_for(both), account, structure_b)
        out = AuditEvent.objects.get(action="account.move_out")
        into = AuditEvent.objects.get(action="account.move_in")
        assert (out.structure, into.structure) == (structure_a, structure_b)
        assert out.actor == both and into.actor == both
        assert out.target_id == into.target_id == str(account.pk)
        assert out.detail["to_structure"] == "Clinique B"
        assert into.detail["new_address"].endswith("@clinique-b.mssante.fr")
        assert into.detail["changes"]["company_name"] == ["Centre hospitalier A", "Clinique B"]
        assert verify_chain().ok

    def test_the_structure_identifier_follows_when_it_named_the_old_structure(
        self, both: User, structure_a: Structure, structure_b: Structure
    ) -> None:
        account = factories.make_account(
            structure_a,
            "INT",
            resp_structure_id_type="FINESS",
            resp_structure_id=structure_a.id_number,
        )
        plan = move_account(ctx_for(both), account, structure_b)
        assert plan.changes == {"resp_structure_id": [structure_a.id_number, structure_b.id_number]}
        assert Account.objects.get(pk=account.pk).resp_structure_id == structure_b.id_number


@pytest.mark.parametrize("kind", factories.VICTIM_KINDS)
def test_the_one_query_rights_check_agrees_with_persons(
    kind: str, structure_a: Structure, structure_b: Structure
) -> None:
    from caducee.accounts.moves import _person_flags
    from caducee.accounts.persons import person_rights, rights_outside

    account = factories.make_account(structure_a, "PER")
    person = account.user
    assert person is not None
    scope = {structure_a.pk}
    assert _person_flags(person.pk, structure_a, scope)["outside"] is False
    factories.give_rights_elsewhere(kind, person, structure_b)
    rights = person_rights([person.pk])[person.pk]
    assert rights_outside(person.pk, rights, scope, None) is True
    assert _person_flags(person.pk, structure_a, scope)["outside"] is True
    assert _person_flags(person.pk, structure_a, {structure_a.pk, structure_b.pk})["outside"] is (
        kind in {"operator", "external"}
    )
