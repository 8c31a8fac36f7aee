"""The lifecycle rules, run for a given day: expiry, warnings, deletion, exemption."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
from django.test import override_settings
from django.utils import timezone

from caducee.accounts.models import Account, AccountState
from caducee.accounts.operations import deactivate_account, reactivate_account
from caducee.audit.models import AuditEvent
from caducee.core.context import cli_context, system_context
from caducee.core.errors import Invalid, NotFound
from caducee.directory.models import DirectoryEntry
from caducee.directory.operations import assign_mssante_address
from caducee.emails.models import OutgoingEmail
from caducee.identity.models import Security
from caducee.identity.operations import account_refusal
from caducee.lifecycle.models import Deletion, LifecycleWarning
from caducee.lifecycle.operations import (
    exempt_from_inactivity,
    remove_inactivity_exemption,
    run_lifecycle,
)
from caducee.mail import store
from caducee.mail.inbound import store_message
from caducee.mail.models import Message
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories
from tests.helpers import ctx_for

pytestmark = pytest.mark.django_db

SERVER = system_context("test")
ACTIVE = date(2025, 3, 10)  # the last activity of the inactive mailboxes
DUE = ACTIVE + timedelta(days=365)  # their deletion date with the default delay


def at_noon(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(12)))


def inactive_since(account: Account, day: date) -> Account:
    """Make the mailbox's last activity `day` (created long before, used once that day)."""
    Account.objects.filter(pk=account.pk).update(
        created_at=at_noon(day - timedelta(days=200)),
        finalised_at=at_noon(day - timedelta(days=100)),
        last_login_at=at_noon(day),
        last_read_at=at_noon(day - timedelta(days=3)),
    )
    account.refresh_from_db()
    return account


def emails(template: str) -> list[str]:
    return sorted(
        OutgoingEmail.objects.filter(template=template).values_list("recipient", flat=True)
    )


def actions(account: Account) -> list[str]:
    return list(
        AuditEvent.objects.filter(target_id=str(account.pk), target_type="account")
        .order_by("seq")
        .values_list("action", flat=True)
    )


@pytest.fixture
def person(structure_a: Structure, alice: User) -> Account:
    account = factories.make_account(structure_a, "PER", "jeanne.dupont@example.org")
    return inactive_since(account, DUE + timedelta(days=400))  # active: out of the way


# --- Expiry -----------------------------------------------------------------------------


def test_expiry_warns_30_and_7_days_before_once_each(person: Account) -> None:
    Account.objects.filter(pk=person.pk).update(expiry_date=date(2026, 6, 30))
    assert run_lifecycle(SERVER, date(2026, 5, 30)).expiry_warnings == 0  # J-31
    summary = run_lifecycle(SERVER, date(2026, 5, 31))  # J-30
    assert summary.expiry_warnings == 1
    assert emails("lifecycle_expiry_warning") == ["alice@ch-a.fr", "jeanne.dupont@example.org"]
    assert run_lifecycle(SERVER, date(2026, 5, 31)).expiry_warnings == 0  # same day again
    assert run_lifecycle(SERVER, date(2026, 6, 15)).expiry_warnings == 0
    assert run_lifecycle(SERVER, date(2026, 6, 23)).expiry_warnings == 1  # J-7
    assert run_lifecycle(SERVER, date(2026, 6, 24)).expiry_warnings == 0
    assert len(emails("lifecycle_expiry_warning")) == 4
    assert set(LifecycleWarning.objects.values_list("days", flat=True)) == {30, 7}
    user_mail = OutgoingEmail.objects.filter(
        template="lifecycle_expiry_warning", recipient=person.email
    ).first()
    assert user_mail is not None
    assert "30/06/2026" in user_mail.subject
    assert "dans 7 jours" in OutgoingEmail.objects.order_by("-pk").first().text  # type: ignore[union-attr]


def test_a_late_first_run_sends_the_7_day_warning_only(person: Account) -> None:
    Account.objects.filter(pk=person.pk).update(expiry_date=date(2026, 6, 30))
    assert run_lifecycle(SERVER, date(2026, 6, 26)).expiry_warnings == 1
    assert list(LifecycleWarning.objects.values_list("days", flat=True)) == [7]
    assert run_lifecycle(SERVER, date(2026, 6, 27)).expiry_warnings == 0


def test_expiry_date_deactivates_with_the_effects_of_a_manual_deactivation(
    person: Account,
) -> None:
    assert person.user is not None
    Account.objects.filter(pk=person.pk).update(expiry_date=date(2026, 6, 30))
    assert run_lifecycle(SERVER, date(2026, 6, 29)).expired == []
    generation = (
        Security.objects.filter(user=person.user)
        .values_list("session_generation", flat=True)
        .first()
        or 0
    )
    summary = run_lifecycle(SERVER, date(2026, 6, 30))
    assert summary.expired == [person.email]
    person.refresh_from_db()
    assert person.state == AccountState.DEACTIVATED
    assert Security.objects.get(user=person.user).session_generation == generation + 1
    assert actions(person)[-2:] == ["account.deactivate", "account.expire"]
    assert account_refusal(person.user).startswith("Votre compte est désactivé")
    assert run_lifecycle(SERVER, date(2026, 7, 1)).expired == []  # once


def test_an_expiry_date_in_the_past_deactivates_at_the_next_run(person: Account) -> None:
    Account.objects.filter(pk=person.pk).update(expiry_date=date(2026, 1, 1))
    assert run_lifecycle(SERVER, date(2026, 3, 1)).expired == [person.email]


def test_changing_the_expiry_date_warns_again_for_the_new_date(person: Account) -> None:
    Account.objects.filter(pk=person.pk).update(expiry_date=date(2026, 6, 30))
    run_lifecycle(SERVER, date(2026, 6, 23))
    Account.objects.filter(pk=person.pk).update(expiry_date=date(2026, 6, 29))
    assert run_lifecycle(SERVER, date(2026, 6, 23)).expiry_warnings == 1


# --- Inactivity ---------------------------------------------------------------------------


@pytest.fixture
def idle(structure_a: Structure, alice: User) -> Account:
    account = factories.make_account(structure_a, "PER", "paul.martin@example.org")
    assign_mssante_address(cli_context(), account, "paul.martin")
    store_message(account, b"From: a@b.fr\r\nSubject: Bonjour\r\n\r\nTexte\r\n")
    account.refresh_from_db()
    return inactive_since(account, ACTIVE)


def test_inactivity_warns_30_and_7_days_before_then_deletes(
    idle: Account, django_capture_on_commit_callbacks: Any
) -> None:
    assert run_lifecycle(SERVER, DUE - timedelta(days=31)).inactivity_warnings == 0
    assert run_lifecycle(SERVER, DUE - timedelta(days=30)).inactivity_warnings == 1
    assert emails("lifecycle_inactivity_warning") == ["alice@ch-a.fr", "paul.martin@example.org"]
    assert run_lifecycle(SERVER, DUE - timedelta(days=30)).inactivity_warnings == 0
    assert run_lifecycle(SERVER, DUE - timedelta(days=7)).inactivity_warnings == 1
    assert run_lifecycle(SERVER, DUE - timedelta(days=1)).deleted == []
    paths = list(Message.objects.filter(mailbox=idle).values_list("path", flat=True))
    assert paths and store.full_path(paths[0]).exists()

    with django_capture_on_commit_callbacks(execute=True):  # message files go on commit
        summary = run_lifecycle(SERVER, DUE)

    assert summary.deleted == [idle.email]
    idle.refresh_from_db()
    assert idle.state == AccountState.DELETED
    assert idle.deleted_at is not None
    assert idle.mssante_particle == ""
    assert not idle.visible
    assert not Message.objects.filter(mailbox=idle).exists()
    assert not store.full_path(paths[0]).exists()
    assert not DirectoryEntry.objects.filter(account_id=idle.pk).exists()
    deletion = Deletion.objects.get(account=idle)
    assert deletion.mssante_address == "paul.martin@ch-a.mssante.fr"
    assert timezone.localtime(deletion.last_activity_at).date() == ACTIVE
    event = AuditEvent.objects.filter(action="account.delete").get()
    assert event.detail["messages"] == 1
    assert event.detail["mssante_address"] == "paul.martin@ch-a.mssante.fr"
    assert "directory.address_remove" in actions(idle)
    assert idle.user is not None
    assert "supprimé pour inactivité" in account_refusal(idle.user)
    assert run_lifecycle(SERVER, DUE + timedelta(days=1)).deleted == []  # a tombstone stays


def test_activity_after_a_warning_postpones_the_deletion(idle: Account) -> None:
    run_lifecycle(SERVER, DUE - timedelta(days=30))
    Account.objects.filter(pk=idle.pk).update(last_received_at=at_noon(DUE - timedelta(days=20)))
    assert run_lifecycle(SERVER, DUE).deleted == []
    idle.refresh_from_db()
    assert idle.state != AccountState.DELETED


def test_a_mailbox_never_warned_is_deleted_a_week_after_its_first_warning(idle: Account) -> None:
    late = DUE + timedelta(days=100)  # the rule starts counting long after the due date
    assert run_lifecycle(SERVER, late).inactivity_warnings == 1
    assert run_lifecycle(SERVER, late + timedelta(days=6)).deleted == []
    assert run_lifecycle(SERVER, late + timedelta(days=7)).deleted == [idle.email]
    mail = OutgoingEmail.objects.filter(recipient=idle.email).get()
    assert (late + timedelta(days=7)).strftime("%d/%m/%Y") in mail.subject


def test_never_used_mailboxes_count_from_their_creation(
    structure_a: Structure, alice: User
) -> None:
    account = factories.make_account(structure_a, "PER", "jamais@example.org")
    Account.objects.filter(pk=account.pk).update(
        created_at=at_noon(ACTIVE), finalised_at=None, last_login_at=None
    )
    assert run_lifecycle(SERVER, DUE - timedelta(days=7)).inactivity_warnings == 1


@override_settings(INACTIVITY_DAYS=0)
def test_the_delay_setting_zero_switches_deletion_off(idle: Account) -> None:
    summary = run_lifecycle(SERVER, DUE + timedelta(days=400))
    assert summary.deleted == [] and summary.inactivity_warnings == 0


@override_settings(INACTIVITY_DAYS=100)
def test_the_delay_is_a_setting(idle: Account) -> None:
    assert run_lifecycle(SERVER, ACTIVE + timedelta(days=93)).inactivity_warnings == 1


def test_an_exempt_mailbox_is_neither_warned_nor_deleted(idle: Account, alice: User) -> None:
    exempt_from_inactivity(ctx_for(alice), idle, "  BAL de garde,   utilisée l'hiver ")
    idle.refresh_from_db()
    assert idle.inactivity_exempt_reason == "BAL de garde, utilisée l'hiver"
    summary = run_lifecycle(SERVER, DUE + timedelta(days=30))
    assert summary.deleted == [] and summary.inactivity_warnings == 0
    event = AuditEvent.objects.get(action="account.inactivity_exempt")
    assert event.detail["reason"] == "BAL de garde, utilisée l'hiver"
    assert event.actor_label == "alice@ch-a.fr"

    remove_inactivity_exemption(ctx_for(alice), idle)
    assert AuditEvent.objects.get(action="account.inactivity_exempt_remove").detail == {
        "reason": "BAL de garde, utilisée l'hiver"
    }
    assert run_lifecycle(SERVER, DUE + timedelta(days=30)).inactivity_warnings == 1


def test_an_exemption_needs_a_reason(idle: Account, alice: User) -> None:
    with pytest.raises(Invalid, match="motif"):
        exempt_from_inactivity(ctx_for(alice), idle, "   ")
    with pytest.raises(Invalid, match="250"):
        exempt_from_inactivity(ctx_for(alice), idle, "x" * 251)


def test_another_structure_cannot_exempt(idle: Account, bob: User) -> None:
    with pytest.raises(NotFound):
        exempt_from_inactivity(ctx_for(bob), idle, "motif")
    with pytest.raises(NotFound):
        remove_inactivity_exemption(ctx_for(bob), idle)


def test_a_deleted_account_stays_deleted(idle: Account, alice: User) -> None:
    run_lifecycle(SERVER, DUE - timedelta(days=7))
    run_lifecycle(SERVER, DUE)
    idle.refresh_from_db()
    assert deactivate_account(ctx_for(alice), idle).state == AccountState.DELETED
    assert reactivate_account(ctx_for(alice), idle).state == AccountState.DELETED
    with pytest.raises(Invalid, match="supprimé"):
        exempt_from_inactivity(ctx_for(alice), idle, "trop tard")


def test_only_the_operator_or_the_server_runs_the_rules(
    alice: User, operator: User, idle: Account
) -> None:
    with pytest.raises(NotFound):
        run_lifecycle(ctx_for(alice), DUE)
    assert run_lifecycle(ctx_for(operator), DUE - timedelta(days=7)).inactivity_warnings == 1
    run_event = AuditEvent.objects.get(action="lifecycle.run")
    assert run_event.actor_label == operator.email
    assert run_event.detail["inactivity_warnings"] == 1


def test_a_run_with_nothing_to_do_writes_no_audit_event(person: Account) -> None:
    run_lifecycle(SERVER, date(2026, 1, 1))
    assert not AuditEvent.objects.filter(action="lifecycle.run").exists()


def test_the_loaduser_export_leaves_deleted_mailboxes_out(idle: Account, person: Account) -> None:
    from caducee.loadusers.exporting import export_rows

    run_lifecycle(SERVER, DUE - timedelta(days=7))
    run_lifecycle(SERVER, DUE)
    emails_exported = {row[0] for row in export_rows(idle.structure)}
    assert idle.email not in emails_exported
    assert person.email in emails_exported


def test_one_failing_mailbox_does_not_stop_the_others(
    idle: Account, structure_a: Structure
) -> None:
    other = inactive_since(factories.make_account(structure_a, "PER", "autre@example.org"), ACTIVE)
    run_lifecycle(SERVER, DUE - timedelta(days=7))
    # An inconsistent row (a deletion record for a live mailbox) makes its deletion fail.
    Deletion.objects.create(account=idle, last_activity_at=at_noon(ACTIVE), deleted_on=ACTIVE)
    with pytest.raises(Invalid, match="Échec pour 1 compte") as refused:
        run_lifecycle(SERVER, DUE)
    assert "paul.martin@example.org" in refused.value.message
    other.refresh_from_db()
    idle.refresh_from_db()
    assert other.state == AccountState.DELETED
    assert idle.state != AccountState.DELETED  # its transaction was rolled back whole
    assert idle.mssante_particle == "paul.martin"
    assert Message.objects.filter(mailbox=idle).exists()


def test_a_tombstone_cannot_be_edited(idle: Account, alice: User) -> None:
    from caducee.accounts.operations import update_account

    run_lifecycle(SERVER, DUE - timedelta(days=7))
    run_lifecycle(SERVER, DUE)
    idle.refresh_from_db()
    with pytest.raises(Invalid, match="ne peut plus être modifié"):
        update_account(ctx_for(alice), idle, {"city": "LYON"})
