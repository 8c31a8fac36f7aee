from __future__ import annotations

import pytest

from caducee.accounts.operations import change_type, deactivate_account
from caducee.audit.models import AuditEvent
from caducee.core.context import Context, cli_context
from caducee.core.errors import Forbidden, Invalid, NotFound
from caducee.directory.models import QuotaGroup
from caducee.directory.operations import set_quota
from caducee.directory.quotas import check_capacity, usage
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories

pytestmark = pytest.mark.django_db


def table(structure: Structure) -> list[tuple[str, int, str]]:
    return [(u.label, u.used, u.limit_label) for u in usage(structure)]


def test_default_is_unlimited_and_counts_groups(structure_a: Structure) -> None:
    factories.make_account(structure_a, "PER")
    factories.make_account(structure_a, "INT")
    factories.make_account(structure_a, "ORG")  # also creates a MED connection account
    assert table(structure_a) == [
        ("Personnel et personnel interne", 2, "Illimité"),
        ("Organisationnel", 1, "Illimité"),
        ("Applicatif", 0, "Illimité"),
    ]


def test_create_account_is_refused_over_quota(structure_a: Structure, operator: User) -> None:
    set_quota(Context(user=operator), structure_a, QuotaGroup.PERSONAL, 1)
    factories.make_account(structure_a, "PER")
    with pytest.raises(Invalid, match="Quota « Personnel et personnel interne » atteint"):
        factories.make_account(structure_a, "INT")
    factories.make_account(structure_a, "MED")  # MED is not counted
    event = AuditEvent.objects.filter(action="directory.quota").last()
    assert event is not None and event.detail == {"group": "PER_INT", "before": None, "after": 1}


def test_deactivated_accounts_free_a_place(structure_a: Structure) -> None:
    set_quota(cli_context(), structure_a, "APP", 1)
    app = factories.make_account(structure_a, "APP")
    with pytest.raises(Invalid):
        factories.make_account(structure_a, "APP")
    deactivate_account(cli_context(), app)
    factories.make_account(structure_a, "APP")


def test_change_type_between_groups_is_checked(structure_a: Structure) -> None:
    set_quota(cli_context(), structure_a, "PER_INT", 1)
    factories.make_account(structure_a, "PER")
    med = factories.make_account(structure_a, "MED")
    with pytest.raises(Invalid, match="Quota"):
        change_type(cli_context(), med, "INT", factories.account_data("INT", email=med.email))


def test_lifting_a_quota(structure_a: Structure) -> None:
    set_quota(cli_context(), structure_a, "ORG", 0)
    with pytest.raises(Invalid):
        check_capacity(structure_a, {"ORG": 1})
    set_quota(cli_context(), structure_a, "ORG", None)
    check_capacity(structure_a, {"ORG": 5})


def test_only_the_operator_sets_quotas(structure_a: Structure, alice: User, bob: User) -> None:
    with pytest.raises(Forbidden):
        set_quota(Context(user=alice), structure_a, "ORG", 3)
    with pytest.raises(NotFound):
        set_quota(Context(user=bob), structure_a, "ORG", 3)
    with pytest.raises(Invalid, match="inconnu"):
        set_quota(cli_context(), structure_a, "MED", 3)
