"""Rules the account operations own (issue #14): every adapter gets them by calling them."""

from __future__ import annotations

import pytest

from caducee.accounts import connections
from caducee.accounts.models import Account, ConnectionLink
from caducee.accounts.operations import (
    create_account,
    deactivate_account,
    openable_mailboxes,
    preview_type_change,
    update_account,
    update_mailbox_settings,
)
from caducee.accounts.values import derive_region
from caducee.audit.models import AuditEvent
from caducee.core.errors import Invalid, NotFound
from caducee.people.models import User
from caducee.structures.models import Structure
from tests.factories import account_data, make_account
from tests.helpers import ctx_for


@pytest.fixture
def med(structure_a: Structure) -> Account:
    return make_account(structure_a, "MED", "secretaire@ch-a.fr")


@pytest.fixture
def two_orgs(structure_a: Structure, med: Account) -> tuple[Account, Account]:
    first = make_account(structure_a, "ORG", "accueil@ch-a.fr", connection_accounts=med.email)
    second = make_account(structure_a, "ORG", "urgences@ch-a.fr", connection_accounts=med.email)
    return first, second


class TestMailboxSettings:
    def test_default_and_notifications_in_one_call(
        self, alice: User, med: Account, two_orgs: tuple[Account, Account]
    ) -> None:
        first, second = two_orgs
        update_mailbox_settings(ctx_for(alice), med, first.pk, [first.pk, second.pk])
        med.refresh_from_db()
        assert med.default_mailbox == first
        assert set(
            ConnectionLink.objects.filter(account=med, notify_on_receipt=True).values_list(
                "mailbox_id", flat=True
            )
        ) == {first.pk, second.pk}

    def test_a_failure_saves_nothing(
        self,
        alice: User,
        med: Account,
        two_orgs: tuple[Account, Account],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        first, second = two_orgs
        real = connections.set_receipt_notification
        calls: list[int] = []

        def failing(*args: object, **kwargs: object) -> None:
            calls.append(1)
            if len(calls) == 2:
                raise RuntimeError("second write fails")
            real(*args, **kwargs)  # type: ignore[arg-type]

        monkeypatch.setattr(connections, "set_receipt_notification", failing)
        with pytest.raises(RuntimeError):
            update_mailbox_settings(ctx_for(alice), med, first.pk, [first.pk, second.pk])
        med.refresh_from_db()
        assert med.default_mailbox is None
        assert not ConnectionLink.objects.filter(account=med, notify_on_receipt=True).exists()

    def test_a_mailbox_it_cannot_open_is_not_found(
        self, alice: User, med: Account, structure_a: Structure
    ) -> None:
        other = make_account(structure_a, "PER")
        with pytest.raises(NotFound):
            update_mailbox_settings(ctx_for(alice), med, other.pk, [])


class TestOpenable:
    def test_the_flag_says_whether_deactivated_boxes_count(
        self, alice: User, med: Account, two_orgs: tuple[Account, Account]
    ) -> None:
        first, second = two_orgs
        deactivate_account(ctx_for(alice), second)
        assert openable_mailboxes(med, include_deactivated=True) == [med, first, second]
        assert openable_mailboxes(med, include_deactivated=False) == [med, first]
        deactivate_account(ctx_for(alice), med)
        med.refresh_from_db()
        assert openable_mailboxes(med, include_deactivated=False) == []


class TestRegion:
    def test_a_new_department_with_the_old_region_re_derives_it(
        self, alice: User, structure_a: Structure
    ) -> None:
        account = make_account(structure_a, "PER", department="75", region="11")
        # What a form sends: every field, the region left as it was.
        outcome = update_account(ctx_for(alice), account, {"department": "13", "region": "11"})
        assert outcome.account.region == "93"

    def test_a_region_changed_with_the_department_is_checked(
        self, alice: User, structure_a: Structure
    ) -> None:
        account = make_account(structure_a, "PER", department="75", region="11")
        with pytest.raises(Invalid) as caught:
            update_account(ctx_for(alice), account, {"department": "13", "region": "84"})
        assert [p.code for p in caught.value.errors()] == ["mismatch"]

    def test_derive_region_rules(self) -> None:
        merged: dict[str, object] = {"department": "13", "region": "11"}
        derive_region(merged, {"department": "13", "region": "11"}, department="75", region="11")
        assert merged["region"] == ""
        merged = {"department": "75", "region": "11"}
        derive_region(merged, {"department": "75", "region": "11"}, department="75", region="11")
        assert merged["region"] == "11"
        merged = {"department": "13", "region": "11"}
        derive_region(merged, {"department": "13"}, department="75", region="11")
        assert merged["region"] == ""


class TestPreviewTypeChange:
    def test_it_lists_what_the_new_type_asks_for(
        self, structure_a: Structure, med: Account
    ) -> None:
        problems = preview_type_change(med, "PER")
        assert "rpps" in {p.field for p in problems if p.is_error}

    def test_a_connection_account_cannot_become_shared(
        self, med: Account, two_orgs: tuple[Account, Account]
    ) -> None:
        codes = {p.code for p in preview_type_change(med, "APP")}
        assert "is_connection_account" in codes


class TestParticle:
    """« MSSanté adresse » goes through the directory's operation (uniqueness, test prefix,
    audit), whichever adapter writes the account."""

    def test_create_routes_it_to_the_directory(self, alice: User, structure_a: Structure) -> None:
        data = account_data("PER", "jean@ch-a.fr", mssante_particle="Jean.Martin")
        account = create_account(ctx_for(alice), structure_a, data).account
        account.refresh_from_db()
        assert account.mssante_particle == "jean.martin"
        actions = list(AuditEvent.objects.order_by("seq").values_list("action", flat=True))
        assert actions[-2:] == ["account.create", "directory.address_assign"]

    def test_a_test_prefix_is_refused_on_a_real_account(
        self, alice: User, structure_a: Structure
    ) -> None:
        data = account_data("PER", "jean@ch-a.fr", mssante_particle="test.jean")
        with pytest.raises(Invalid) as caught:
            create_account(ctx_for(alice), structure_a, data)
        assert caught.value.errors()[0].field == "mssante_particle"
        assert not Account.objects.filter(email="jean@ch-a.fr").exists()

    def test_a_particle_used_elsewhere_is_refused_on_update(
        self, alice: User, structure_a: Structure
    ) -> None:
        make_account(structure_a, "PER", mssante_particle="jean.martin")
        other = make_account(structure_a, "PER")
        with pytest.raises(Invalid):
            update_account(ctx_for(alice), other, {"mssante_particle": "jean.martin"})
        other.refresh_from_db()
        assert other.mssante_particle == ""

    def test_med_gets_no_particle(self, alice: User, structure_a: Structure) -> None:
        med = make_account(structure_a, "MED")
        with pytest.raises(Invalid):
            update_account(ctx_for(alice), med, {"mssante_particle": "secretaire"})
        med.refresh_from_db()
        assert med.mssante_particle == ""
