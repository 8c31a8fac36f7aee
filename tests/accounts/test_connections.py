"""The person themself sets their default mailbox and receipt notifications (webmail
« Paramètres », issue #15 point 8); nobody else but the structure's admins."""

from __future__ import annotations

import pytest

from caducee.accounts.models import Account, ConnectionLink
from caducee.accounts.operations import (
    deactivate_account,
    set_default_mailbox,
    set_receipt_notification,
    update_mailbox_settings,
)
from caducee.audit.models import AuditEvent
from caducee.core.context import cli_context
from caducee.core.errors import NotFound
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories
from tests.helpers import ctx_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def person(structure_a: Structure) -> Account:
    return factories.make_account(structure_a, "MED", "secretaire@ch-a.fr")


@pytest.fixture
def org(structure_a: Structure, person: Account) -> Account:
    return factories.make_account(
        structure_a, "ORG", "secretariat@ch-a.fr", connection_accounts=person.email
    )


def me(account: Account) -> User:
    assert account.user is not None
    return account.user


def test_the_person_sets_her_own_settings(person: Account, org: Account) -> None:
    ctx = ctx_for(me(person))
    update_mailbox_settings(ctx, person, org.pk, [org.pk])
    person.refresh_from_db()
    assert person.default_mailbox == org
    assert ConnectionLink.objects.get(mailbox=org, account=person).notify_on_receipt
    events = AuditEvent.objects.filter(actor_label=person.email)
    assert set(events.values_list("action", flat=True)) == {
        "account.default_mailbox",
        "account.receipt_notification",
    }
    set_receipt_notification(ctx, person, org, False)
    set_default_mailbox(ctx, person, person)
    person.refresh_from_db()
    assert person.default_mailbox is None
    assert not ConnectionLink.objects.get(mailbox=org, account=person).notify_on_receipt


def test_she_cannot_choose_a_mailbox_she_does_not_open(
    person: Account, structure_a: Structure
) -> None:
    other = factories.make_account(structure_a, "ORG", "autre@ch-a.fr")
    with pytest.raises(NotFound):
        set_default_mailbox(ctx_for(me(person)), person, other)
    with pytest.raises(NotFound):
        update_mailbox_settings(ctx_for(me(person)), person, other.pk, [])


def test_nobody_else_sets_them_but_the_structures_admins(
    person: Account, org: Account, structure_a: Structure, alice: User, bob: User
) -> None:
    colleague = factories.make_account(structure_a, "PER", "collegue@ch-a.fr")
    for ctx in (ctx_for(me(colleague)), ctx_for(bob)):
        with pytest.raises(NotFound):
            update_mailbox_settings(ctx, person, org.pk, [org.pk])
        with pytest.raises(NotFound):
            set_receipt_notification(ctx, person, org, True)
    update_mailbox_settings(ctx_for(alice), person, org.pk, [])
    person.refresh_from_db()
    assert person.default_mailbox == org


def test_a_deactivated_person_changes_nothing(person: Account, org: Account) -> None:
    deactivate_account(cli_context(), person)
    person.refresh_from_db()
    with pytest.raises(NotFound):
        set_default_mailbox(ctx_for(me(person)), person, org)
