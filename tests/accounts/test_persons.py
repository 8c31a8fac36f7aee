"""The "rights outside the admin's structures" rule: create, type change, email change.

Security review C1: an admin of A bound a new mailbox to the login of a person with rights
elsewhere (operator, admin of B, external partner, mailbox of B), then changed its address
and took the login over. Each victim kind, through each operation.
"""

from __future__ import annotations

from typing import Any

import pytest

from caducee.accounts.email_changes import request_email_change
from caducee.accounts.models import Account, EmailChangeRequest
from caducee.accounts.operations import change_type, create_account
from caducee.accounts.persons import has_rights_outside, person_rights, rights_outside
from caducee.api.models import ApiToken
from caducee.api.tokens import issue_token
from caducee.audit.models import AuditEvent
from caducee.core.context import Context, cli_context
from caducee.core.errors import Invalid
from caducee.people.models import User
from caducee.structures.models import Structure, StructureAdmin
from tests import factories
from tests.factories import VICTIM_KINDS

pytestmark = pytest.mark.django_db

GENERIC = "ne peut pas être utilisée pour ce compte"


def _alice(structure_a: Structure) -> Context:
    return Context(user=factories.make_admin(structure_a, "alice@ch-a.fr"), ip="127.0.0.1")


def _messages(exc: pytest.ExceptionInfo[Invalid]) -> str:
    return " ".join([exc.value.message, *(p.message for p in exc.value.problems)])


@pytest.mark.parametrize("kind", VICTIM_KINDS)
@pytest.mark.parametrize("mailbox_type", ["MED", "PER", "ORG"])
def test_a_new_mailbox_is_never_bound_to_a_login_with_rights_elsewhere(
    structure_a: Structure, structure_b: Structure, kind: str, mailbox_type: str
) -> None:
    victim = factories.make_victim(kind, structure_b)
    ctx = _alice(structure_a)
    before = AuditEvent.objects.count()
    data = factories.account_data(mailbox_type, victim.email)
    if mailbox_type == "ORG":
        data["connection_accounts"] = factories.make_account(structure_a, "MED").email
        before = AuditEvent.objects.count()
    with pytest.raises(Invalid) as exc:
        create_account(ctx, structure_a, data)
    text = _messages(exc)
    assert GENERIC in text
    for revealing in ("Clinique B", "adresse de connexion", "Un compte", "structure", "déjà"):
        assert revealing not in text
    assert [p.code for p in exc.value.problems if p.field == "email"] == ["unavailable"]
    assert not Account.objects.filter(structure=structure_a, email=victim.email).exists()
    victim.refresh_from_db()
    assert victim.is_active and victim.email.endswith((".test",))
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize("kind", VICTIM_KINDS)
def test_the_refusal_is_the_same_for_every_kind(
    structure_a: Structure, structure_b: Structure, kind: str
) -> None:
    victim = factories.make_victim(kind, structure_b)
    with pytest.raises(Invalid) as exc:
        create_account(
            _alice(structure_a), structure_a, factories.account_data("MED", victim.email)
        )
    generic = f"L'adresse {victim.email} ne peut pas être utilisée pour ce compte"
    assert exc.value.problems[0].message.startswith(generic)


def test_a_login_whose_rights_are_all_in_the_admins_structures_is_bound(
    structure_a: Structure,
) -> None:
    ctx = _alice(structure_a)
    colleague = factories.make_admin(structure_a, "co-admin@ch-a.fr")
    account = create_account(
        ctx, structure_a, factories.account_data("MED", colleague.email)
    ).account
    assert account.user == colleague


def test_an_admin_of_both_structures_may_bind_a_login_of_either(
    structure_a: Structure, structure_b: Structure
) -> None:
    ctx = _alice(structure_a)
    assert ctx.user is not None
    StructureAdmin.objects.create(user=ctx.user, structure=structure_b)
    admin_b = factories.make_admin(structure_b, "adminb@clinique-b.test")
    account = create_account(ctx, structure_a, factories.account_data("MED", admin_b.email)).account
    assert account.user == admin_b


def test_the_operator_may_bind_an_admin_but_not_another_operator(
    structure_a: Structure, structure_b: Structure
) -> None:
    operator = factories.make_operator()
    admin_b = factories.make_admin(structure_b, "adminb@clinique-b.test")
    ctx = Context(user=operator)
    assert create_account(ctx, structure_a, factories.account_data("MED", admin_b.email))
    other = factories.make_operator("op2@plateforme.test")
    with pytest.raises(Invalid, match="Le compte n'a pas été créé"):
        create_account(ctx, structure_a, factories.account_data("MED", other.email))
    # Their own login: nobody is taken over.
    own = create_account(ctx, structure_a, factories.account_data("MED", operator.email))
    assert own.account.user == operator


def test_a_person_with_a_mailbox_in_scope_gets_no_second_one(structure_a: Structure) -> None:
    ctx = _alice(structure_a)
    first = factories.make_account(structure_a, "MED", "un@ch-a.fr")
    assert first.user is not None
    first.user.email = "login@ch-a.fr"  # a login address that is no mailbox's address
    first.user.save()
    with pytest.raises(Invalid) as exc:
        create_account(ctx, structure_a, factories.account_data("PER", "login@ch-a.fr"))
    assert "a déjà sa boîte nominative" in _messages(exc)


@pytest.mark.parametrize("kind", VICTIM_KINDS)
def test_the_server_command_answers_for_the_structure_it_acts_on(
    structure_a: Structure, structure_b: Structure, kind: str
) -> None:
    victim = factories.make_victim(kind, structure_b)
    assert has_rights_outside(cli_context(), structure_a, victim)
    # Acting on B, only rights no structure holds remain outside.
    assert has_rights_outside(cli_context(), structure_b, victim) == (
        kind in {"operator", "external"}
    )


def test_rights_of_persons_in_bulk(structure_a: Structure, structure_b: Structure) -> None:
    people = [factories.make_victim(kind, structure_b) for kind in VICTIM_KINDS]
    plain = User.objects.create_user("plain@example.org")
    rights = person_rights([p.pk for p in [*people, plain]])
    scope_b = {structure_b.pk}
    outside = {p.email for p in people if rights_outside(p.pk, rights[p.pk], scope_b, None)}
    assert outside == {"op@plateforme.test", "gp@cabinet.test"}
    assert not rights_outside(plain.pk, rights[plain.pk], {structure_a.pk}, None)


# --- type change ------------------------------------------------------------------------


def _org_data(structure: Structure) -> dict[str, Any]:
    data = factories.account_data("ORG")
    data["connection_accounts"] = factories.make_account(structure, "MED").email
    return {k: v for k, v in data.items() if k not in {"type", "email"}}


@pytest.mark.parametrize("kind", VICTIM_KINDS)
def test_a_type_change_never_deactivates_a_login_with_rights_elsewhere(
    structure_a: Structure, structure_b: Structure, kind: str
) -> None:
    account = factories.make_account(structure_a, "MED", "bascule@ch-a.fr")
    person = account.user
    assert person is not None
    factories.give_rights_elsewhere(kind, person, structure_b)
    change_type(cli_context(), account, "ORG", _org_data(structure_a))
    person.refresh_from_db()
    account.refresh_from_db()
    assert account.user is None and account.type == "ORG"
    assert person.is_active


def test_a_type_change_still_deactivates_a_login_left_without_rights(
    structure_a: Structure,
) -> None:
    account = factories.make_account(structure_a, "MED", "bascule@ch-a.fr")
    person = account.user
    assert person is not None
    issue_token(cli_context(), person, "script")
    change_type(cli_context(), account, "ORG", _org_data(structure_a))
    person.refresh_from_db()
    assert not person.is_active
    # the login switched off also loses its tokens, so re-enabling it brings none back
    assert not ApiToken.objects.filter(user=person, revoked_at__isnull=True).exists()
    event = AuditEvent.objects.filter(action="identity.access_revoked").latest("seq")
    assert event.detail["reason"] == "connexion désactivée (plus aucun droit)"


@pytest.mark.parametrize("kind", VICTIM_KINDS)
def test_a_shared_mailbox_turned_nominative_is_not_bound_to_a_login_elsewhere(
    structure_a: Structure, structure_b: Structure, kind: str
) -> None:
    org = factories.make_account(structure_a, "ORG", "secretariat@ch-a.fr")
    victim = factories.make_victim(kind, structure_b)
    if kind == "mailbox_elsewhere":
        # The only way a shared mailbox has a person's address: it was that person's login.
        victim.account.email = "ancienne@clinique-b.test"
        victim.account.save()
    victim.email = org.email
    victim.save()
    with pytest.raises(Invalid) as exc:
        change_type(_alice(structure_a), org, "MED", {"profession": "L10"})
    assert GENERIC in _messages(exc)
    org.refresh_from_db()
    assert org.type == "ORG" and org.user is None


# --- email change -----------------------------------------------------------------------


@pytest.mark.parametrize("kind", VICTIM_KINDS)
def test_an_email_change_never_reaches_a_login_with_rights_elsewhere(
    structure_a: Structure, structure_b: Structure, kind: str
) -> None:
    account = factories.make_account(structure_a, "MED", "cible@ch-a.fr")
    person = account.user
    assert person is not None
    factories.give_rights_elsewhere(kind, person, structure_b)
    with pytest.raises(Invalid) as exc:
        request_email_change(_alice(structure_a), account, "attaquant@evil.test")
    text = _messages(exc)
    assert "ne peut pas être changée depuis votre console" in text
    assert "Clinique B" not in text
    assert not EmailChangeRequest.objects.exists()
    person.refresh_from_db()
    assert person.email == "cible@ch-a.fr"


def test_an_email_change_to_an_address_used_elsewhere_reveals_nothing(
    structure_a: Structure, structure_b: Structure
) -> None:
    account = factories.make_account(structure_a, "MED", "cible@ch-a.fr")
    factories.make_account(structure_b, "MED", "med@clinique-b.test")
    factories.make_admin(structure_b, "adminb@clinique-b.test")
    ctx = _alice(structure_a)
    for taken in ("med@clinique-b.test", "adminb@clinique-b.test"):
        with pytest.raises(Invalid) as exc:
            request_email_change(ctx, account, taken)
        assert GENERIC in _messages(exc)
        assert "déjà utilisée sur la plateforme" not in _messages(exc)


def test_an_email_change_to_an_address_pending_elsewhere_reveals_nothing(
    structure_a: Structure, structure_b: Structure
) -> None:
    mine = factories.make_account(structure_a, "MED", "cible@ch-a.fr")
    theirs = factories.make_account(structure_b, "MED", "med@clinique-b.test")
    request_email_change(cli_context(), theirs, "nouvelle@example.org")
    with pytest.raises(Invalid) as exc:
        request_email_change(_alice(structure_a), mine, "nouvelle@example.org")
    assert GENERIC in _messages(exc) and "demande" not in _messages(exc)
