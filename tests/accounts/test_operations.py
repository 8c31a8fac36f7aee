from __future__ import annotations

import pytest

from caducee.accounts.models import Account, AccountState, ConnectionLink
from caducee.accounts.operations import (
    add_connection_accounts,
    add_delegate,
    change_type,
    create_account,
    deactivate_account,
    reactivate_account,
    remove_connection_account,
    remove_delegate,
    set_default_mailbox,
    set_receipt_notification,
    update_account,
)
from caducee.audit.models import AuditEvent
from caducee.core.errors import Invalid, NotFound
from caducee.people.models import User
from caducee.structures.models import Structure
from tests.factories import account_data, make_account
from tests.helpers import ctx_for


def last_event() -> AuditEvent:
    return AuditEvent.objects.order_by("-seq").first()  # type: ignore[return-value]


class TestCreate:
    def test_it_creates_a_preregistered_nominative_account(
        self, alice: User, structure_a: Structure
    ) -> None:
        outcome = create_account(ctx_for(alice), structure_a, account_data("PER", "Jean@X.fr"))
        account = outcome.account
        assert account.email == "jean@x.fr"
        assert account.state == AccountState.PREREGISTERED
        assert account.user is not None and account.user.email == "jean@x.fr"
        assert not account.user.has_usable_password()
        event = last_event()
        assert event.action == "account.create"
        assert event.actor == alice and event.ip == "127.0.0.1"
        assert event.structure == structure_a

    def test_org_is_valid_at_once_and_never_logs_in(
        self, alice: User, structure_a: Structure
    ) -> None:
        org = make_account(structure_a, "ORG", ctx=ctx_for(alice))
        assert org.state == AccountState.VALID
        assert org.user is None
        assert org.connection_links.count() == 1

    def test_one_account_per_email(self, alice: User, structure_a: Structure) -> None:
        make_account(structure_a, "MED", "dup@x.fr")
        with pytest.raises(Invalid) as exc:
            create_account(ctx_for(alice), structure_a, account_data("PER", "DUP@x.fr"))
        assert [p.code for p in exc.value.errors()] == ["unique"]

    def test_org_needs_connection_account(self, alice: User, structure_a: Structure) -> None:
        with pytest.raises(Invalid) as exc:
            create_account(ctx_for(alice), structure_a, account_data("ORG", connection_accounts=""))
        assert {p.field for p in exc.value.errors()} == {"connection_accounts"}

    def test_connection_account_must_exist_and_be_nominative(
        self, alice: User, structure_a: Structure
    ) -> None:
        other_org = make_account(structure_a, "ORG")
        with pytest.raises(Invalid) as exc:
            create_account(
                ctx_for(alice),
                structure_a,
                account_data("ORG", connection_accounts=f"nobody@x.fr;{other_org.email}"),
            )
        codes = sorted(p.code for p in exc.value.errors())
        assert codes == ["not_nominative", "unknown_account"]

    def test_it_validates_ownership(self, alice: User, structure_b: Structure) -> None:
        with pytest.raises(NotFound):
            create_account(ctx_for(alice), structure_b, account_data("PER"))
        assert not Account.objects.exists()

    def test_connection_accounts_of_another_structure_are_unknown(
        self, alice: User, structure_a: Structure, structure_b: Structure
    ) -> None:
        outsider = make_account(structure_b, "MED")
        with pytest.raises(Invalid):
            create_account(
                ctx_for(alice), structure_a, account_data("ORG", connection_accounts=outsider.email)
            )


class TestUpdate:
    def test_it_updates_and_audits_changes(self, alice: User, structure_a: Structure) -> None:
        account = make_account(structure_a, "MED")
        outcome = update_account(ctx_for(alice), account, {"city": "lyon", "department": "69"})
        account.refresh_from_db()
        assert account.city == "LYON" and account.region == "84"
        assert outcome.changes["city"] == ["PARIS", "LYON"]
        assert last_event().detail["changes"]["city"] == ["PARIS", "LYON"]

    def test_no_change_no_event(self, alice: User, structure_a: Structure) -> None:
        account = make_account(structure_a, "MED")
        before = AuditEvent.objects.count()
        update_account(ctx_for(alice), account, {"city": "PARIS"})
        assert AuditEvent.objects.count() == before

    def test_type_is_not_changed_by_update(self, alice: User, structure_a: Structure) -> None:
        account = make_account(structure_a, "MED")
        with pytest.raises(Invalid):
            update_account(ctx_for(alice), account, {"type": "PER"})

    def test_it_validates_ownership(self, bob: User, structure_a: Structure) -> None:
        account = make_account(structure_a, "MED")
        with pytest.raises(NotFound):
            update_account(ctx_for(bob), account, {"city": "LYON"})


class TestChangeType:
    def test_med_to_per_lists_what_must_be_filled(
        self, alice: User, structure_a: Structure
    ) -> None:
        account = make_account(structure_a, "MED")
        with pytest.raises(Invalid) as exc:
            change_type(ctx_for(alice), account, "PER")
        assert {p.field for p in exc.value.errors()} == {"rpps"}
        change_type(ctx_for(alice), account, "PER", {"rpps": "10000000009", "profession": "10"})
        account.refresh_from_db()
        assert account.type == "PER" and account.rpps == "10000000009"
        assert last_event().detail["from"] == "MED"

    def test_per_to_org_needs_org_fields_and_drops_login(
        self, alice: User, structure_a: Structure
    ) -> None:
        account = make_account(structure_a, "PER")
        with pytest.raises(Invalid) as exc:
            change_type(ctx_for(alice), account, "ORG")
        assert "rpps" in {p.field for p in exc.value.errors()}  # NC for ORG: must be emptied
        helper = make_account(structure_a, "MED")
        org_fields = account_data("ORG", connection_accounts=helper.email)
        org_fields.pop("email")
        org_fields.update(rpps="", adeli="")
        change_type(ctx_for(alice), account, "ORG", org_fields)
        account.refresh_from_db()
        assert account.type == "ORG" and account.user is None

    def test_connection_account_cannot_become_shared(
        self, alice: User, structure_a: Structure
    ) -> None:
        org = make_account(structure_a, "ORG")
        person = org.connection_links.get().account
        with pytest.raises(Invalid) as exc:
            change_type(ctx_for(alice), person, "APP")
        assert "is_connection_account" in {p.code for p in exc.value.errors()}


class TestLifecycle:
    def test_deactivate_and_reactivate(self, alice: User, structure_a: Structure) -> None:
        account = make_account(structure_a, "PER")
        deactivate_account(ctx_for(alice), account)
        assert account.state == AccountState.DEACTIVATED
        reactivate_account(ctx_for(alice), account)
        assert account.state == AccountState.PREREGISTERED
        actions = list(AuditEvent.objects.values_list("action", flat=True))
        assert actions[-2:] == ["account.deactivate", "account.reactivate"]


class TestConnectionAccounts:
    def test_add_several_and_remove(self, alice: User, structure_a: Structure) -> None:
        org = make_account(structure_a, "ORG")
        a = make_account(structure_a, "PER")
        b = make_account(structure_a, "INT")
        added = add_connection_accounts(ctx_for(alice), org, f"{a.email}, {b.email.upper()}")
        assert {x.email for x in added} == {a.email, b.email}
        assert org.connection_links.count() == 3
        remove_connection_account(ctx_for(alice), org, a)
        assert not ConnectionLink.objects.filter(mailbox=org, account=a).exists()
        assert last_event().action == "account.connection_remove"

    def test_org_keeps_at_least_one(self, alice: User, structure_a: Structure) -> None:
        org = make_account(structure_a, "ORG")
        only = org.connection_links.get().account
        with pytest.raises(Invalid):
            remove_connection_account(ctx_for(alice), org, only)

    def test_only_nominative_accounts(self, alice: User, structure_a: Structure) -> None:
        org = make_account(structure_a, "ORG")
        app = make_account(structure_a, "APP")
        with pytest.raises(Invalid) as exc:
            add_connection_accounts(ctx_for(alice), org, app.email)
        assert exc.value.problems[0].code == "not_nominative"

    def test_default_mailbox_and_receipt_notification(
        self, alice: User, structure_a: Structure
    ) -> None:
        org = make_account(structure_a, "ORG")
        person = org.connection_links.get().account
        set_default_mailbox(ctx_for(alice), person, org)
        person.refresh_from_db()
        assert person.default_mailbox == org
        set_receipt_notification(ctx_for(alice), person, org, True)
        assert ConnectionLink.objects.get(mailbox=org, account=person).notify_on_receipt
        set_default_mailbox(ctx_for(alice), person, None)
        person.refresh_from_db()
        assert person.default_mailbox is None

    def test_default_mailbox_must_be_openable(self, alice: User, structure_a: Structure) -> None:
        org = make_account(structure_a, "ORG")
        stranger = make_account(structure_a, "PER")
        with pytest.raises(NotFound):
            set_default_mailbox(ctx_for(alice), stranger, org)


class TestDelegates:
    def test_add_and_remove(self, alice: User, structure_a: Structure) -> None:
        account = make_account(structure_a, "PER")
        delegate = make_account(structure_a, "MED")
        add_delegate(ctx_for(alice), account, delegate.email)
        assert account.delegations.count() == 1
        remove_delegate(ctx_for(alice), account, delegate)
        assert account.delegations.count() == 0
