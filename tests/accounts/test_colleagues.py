"""Colleagues proposed on an ORG mailbox by its users; admins approve or refuse, or the
structure adds them without validation (issue #15 point 8)."""

from __future__ import annotations

import pytest

from caducee.accounts.colleagues import proposable_mailboxes, responsible_accounts
from caducee.accounts.models import Account, AccountState, ColleagueProposal, ConnectionLink
from caducee.accounts.operations import (
    approve_colleague_proposal,
    deactivate_account,
    propose_colleague,
    refuse_colleague_proposal,
    set_colleague_policy,
)
from caducee.audit.models import AuditEvent
from caducee.core.context import cli_context
from caducee.core.errors import Invalid, NotFound
from caducee.emails.models import OutgoingEmail
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories
from tests.helpers import ctx_for

pytestmark = pytest.mark.django_db


@pytest.fixture
def secretary(structure_a: Structure) -> Account:
    return factories.make_account(structure_a, "MED", "secretaire@ch-a.fr")


@pytest.fixture
def doctor(structure_a: Structure) -> Account:
    """The responsible of the ORG mailbox: her RPPS is its « Identifiant resp »."""
    return factories.make_account(structure_a, "PER", "dr.martin@ch-a.fr")


@pytest.fixture
def org(structure_a: Structure, secretary: Account, doctor: Account) -> Account:
    return factories.make_account(
        structure_a,
        "ORG",
        "secretariat@ch-a.fr",
        connection_accounts=secretary.email,
        resp_identifier=doctor.rpps,
    )


@pytest.fixture
def colleague(structure_a: Structure) -> Account:
    return factories.make_account(structure_a, "MED", "colleague@ch-a.fr")


def user(account: Account) -> User:
    assert account.user is not None
    return account.user


def test_a_connection_account_proposes_and_the_admins_are_told(
    org: Account, secretary: Account, colleague: Account, alice: User
) -> None:
    proposal = propose_colleague(ctx_for(user(secretary)), org, "Colleague@ch-a.fr ")
    assert proposal.status == ColleagueProposal.Status.PENDING
    assert proposal.proposed_by_email == secretary.email
    assert not ConnectionLink.objects.filter(mailbox=org, account=colleague).exists()
    event = AuditEvent.objects.get(action="account.colleague_propose")
    assert event.actor_label == secretary.email and event.target_id == str(org.pk)
    assert event.detail["connection_account"] == colleague.email
    notice = OutgoingEmail.objects.get(recipient=alice.email, template="colleague_proposal")
    assert colleague.email in notice.text and secretary.email in notice.text
    assert f"/console/structures/{org.structure_id}/propositions-collegues/" in notice.text


def test_the_responsible_may_propose_without_being_a_connection_account(
    org: Account, doctor: Account, colleague: Account
) -> None:
    assert list(responsible_accounts(org)) == [doctor]
    assert proposable_mailboxes(doctor) == [org]
    proposal = propose_colleague(ctx_for(user(doctor)), org, colleague.email)
    assert proposal.status == ColleagueProposal.Status.PENDING


def test_anyone_else_gets_404(
    org: Account, colleague: Account, structure_b: Structure, alice: User
) -> None:
    outsider = factories.make_account(structure_b, "PER", "x@clinique-b.fr")
    for ctx in (ctx_for(user(colleague)), ctx_for(user(outsider)), ctx_for(alice)):
        with pytest.raises(NotFound):
            propose_colleague(ctx, org, colleague.email)
    assert not ColleagueProposal.objects.exists()


def test_the_colleague_must_be_a_live_nominative_account_of_the_structure(
    org: Account, secretary: Account, colleague: Account, structure_b: Structure
) -> None:
    other = factories.make_account(structure_b, "PER", "y@clinique-b.fr")
    app = factories.make_account(org.structure, "APP", "logiciel@ch-a.fr")
    ctx = ctx_for(user(secretary))
    for email, code in (
        ("", "required"),
        (other.email, "unknown_account"),  # another structure looks unknown
        (app.email, "unknown_account"),
        (secretary.email, "already_linked"),
    ):
        with pytest.raises(Invalid) as info:
            propose_colleague(ctx, org, email)
        assert [p.code for p in info.value.problems] == [code], email
    deactivate_account(cli_context(), colleague)
    with pytest.raises(Invalid):
        propose_colleague(ctx, org, colleague.email)


def test_one_pending_proposal_per_colleague(
    org: Account, secretary: Account, doctor: Account, colleague: Account
) -> None:
    propose_colleague(ctx_for(user(secretary)), org, colleague.email)
    with pytest.raises(Invalid) as info:
        propose_colleague(ctx_for(user(doctor)), org, colleague.email)
    assert info.value.problems[0].code == "already_proposed"


def test_approval_opens_the_mailbox_and_tells_the_proposer(
    org: Account, secretary: Account, colleague: Account, alice: User
) -> None:
    proposal = propose_colleague(ctx_for(user(secretary)), org, colleague.email)
    approve_colleague_proposal(ctx_for(alice), proposal)
    proposal.refresh_from_db()
    assert proposal.status == ColleagueProposal.Status.APPROVED
    assert proposal.decided_by == alice and proposal.decided_at is not None
    assert ConnectionLink.objects.filter(mailbox=org, account=colleague).exists()
    event = AuditEvent.objects.get(action="account.colleague_approve")
    assert event.actor_label == alice.email and event.detail["proposed_by"] == secretary.email
    decision = OutgoingEmail.objects.get(recipient=secretary.email, template="colleague_decision")
    assert "validé" in decision.text
    with pytest.raises(Invalid):  # decided once
        approve_colleague_proposal(ctx_for(alice), proposal)


def test_refusal_keeps_the_mailbox_closed(
    org: Account, secretary: Account, colleague: Account, alice: User
) -> None:
    proposal = propose_colleague(ctx_for(user(secretary)), org, colleague.email)
    refuse_colleague_proposal(ctx_for(alice), proposal, "  Pas dans ce service ")
    proposal.refresh_from_db()
    assert proposal.status == ColleagueProposal.Status.REFUSED
    assert proposal.reason == "Pas dans ce service"
    assert not ConnectionLink.objects.filter(mailbox=org, account=colleague).exists()
    assert AuditEvent.objects.filter(action="account.colleague_refuse").count() == 1
    decision = OutgoingEmail.objects.get(recipient=secretary.email, template="colleague_decision")
    assert "refusé" in decision.text and "Pas dans ce service" in decision.text
    # refused: the colleague may be proposed again
    again = propose_colleague(ctx_for(user(secretary)), org, colleague.email)
    assert again.status == ColleagueProposal.Status.PENDING


def test_only_the_structures_admins_decide(
    org: Account, secretary: Account, colleague: Account, bob: User
) -> None:
    proposal = propose_colleague(ctx_for(user(secretary)), org, colleague.email)
    for ctx in (ctx_for(bob), ctx_for(user(secretary))):
        with pytest.raises(NotFound):
            approve_colleague_proposal(ctx, proposal)
        with pytest.raises(NotFound):
            refuse_colleague_proposal(ctx, proposal)
    proposal.refresh_from_db()
    assert proposal.status == ColleagueProposal.Status.PENDING


def test_a_colleague_deactivated_meanwhile_cannot_be_approved(
    org: Account, secretary: Account, colleague: Account, alice: User
) -> None:
    proposal = propose_colleague(ctx_for(user(secretary)), org, colleague.email)
    deactivate_account(cli_context(), colleague)
    with pytest.raises(Invalid):
        approve_colleague_proposal(ctx_for(alice), proposal)
    assert not ConnectionLink.objects.filter(mailbox=org, account=colleague).exists()


def test_the_structure_may_allow_colleagues_without_validation(
    org: Account, secretary: Account, colleague: Account, alice: User, bob: User
) -> None:
    with pytest.raises(NotFound):
        set_colleague_policy(ctx_for(bob), org.structure, True)
    set_colleague_policy(ctx_for(alice), org.structure, True)
    set_colleague_policy(ctx_for(alice), org.structure, True)  # unchanged: not audited again
    assert AuditEvent.objects.filter(action="structure.colleague_policy").count() == 1
    org.structure.refresh_from_db()
    assert org.structure.colleagues_without_validation
    proposal = propose_colleague(ctx_for(user(secretary)), org, colleague.email)
    assert proposal.status == ColleagueProposal.Status.ADDED
    assert ConnectionLink.objects.filter(mailbox=org, account=colleague).exists()
    event = AuditEvent.objects.get(action="account.colleague_add")
    assert event.actor_label == secretary.email
    assert not OutgoingEmail.objects.filter(template="colleague_proposal").exists()


def test_a_deactivated_proposer_or_mailbox_proposes_nothing(
    org: Account, secretary: Account, colleague: Account
) -> None:
    Account.objects.filter(pk=org.pk).update(state=AccountState.DEACTIVATED)
    with pytest.raises(NotFound):
        propose_colleague(ctx_for(user(secretary)), org, colleague.email)
    Account.objects.filter(pk=org.pk).update(state=AccountState.VALID)
    deactivate_account(cli_context(), secretary)
    with pytest.raises(NotFound):
        propose_colleague(ctx_for(user(secretary)), org, colleague.email)


def test_two_proposals_at_the_same_instant_make_one_and_a_french_refusal(
    org: Account, secretary: Account, colleague: Account
) -> None:
    """The check before writing cannot see a proposal committed meanwhile: the database's
    one-pending-proposal constraint refuses the second, in French."""
    from caducee.accounts.colleagues import _create_proposal

    ctx = ctx_for(user(secretary))
    _create_proposal(ctx, org, colleague, direct=False)
    with pytest.raises(Invalid) as info:
        _create_proposal(ctx, org, colleague, direct=False)
    assert "vient d'être proposé" in info.value.message
    assert ColleagueProposal.objects.count() == 1
