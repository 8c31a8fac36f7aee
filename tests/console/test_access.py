"""Every console URL: outsiders get 404 and change nothing, non-admins get no console,
the operator sees every structure (healthchecks' test_it_validates_ownership)."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import reverse

from caducee.accounts.email_changes import request_email_change
from caducee.accounts.models import (
    Account,
    AccountState,
    ColleagueProposal,
    ConnectionLink,
    Delegation,
)
from caducee.accounts.operations import add_delegate, propose_colleague
from caducee.audit.models import AuditEvent
from caducee.core.context import cli_context
from caducee.people.models import User
from caducee.structures.models import Structure, StructureAdmin
from tests.helpers import ctx_for

pytestmark = pytest.mark.django_db


class World:
    def __init__(
        self,
        structure: Structure,
        per: Account,
        med: Account,
        org: Account,
        admin: User,
        change_id: int,
        proposal_id: int,
    ) -> None:
        self.structure = structure
        self.per = per
        self.med = med
        self.org = org
        self.admin = admin
        self.change_id = change_id
        self.proposal_id = proposal_id


@pytest.fixture
def world(
    structure_a: Structure, alice: User, per_a: Account, med_a: Account, org_a: Account
) -> World:
    add_delegate(cli_context(), per_a, med_a.email)
    change = request_email_change(cli_context(), per_a, "jeanne.nouvelle@ch-a.fr")
    assert med_a.user is not None
    proposal = propose_colleague(ctx_for(med_a.user), org_a, per_a.email)
    return World(structure_a, per_a, med_a, org_a, alice, change.pk, proposal.pk)


S = "console:"


def _other_structure(world: World) -> int:
    """A structure other than the world's (B, when Bob exists): the target of a move."""
    other = Structure.objects.exclude(pk=world.structure.pk).values_list("pk", flat=True).first()
    return other or 0


# (name, args from the world) for every page shown with GET.
GET_PAGES: list[tuple[str, Callable[[World], list[int]]]] = [
    ("structure", lambda w: [w.structure.pk]),
    ("accounts", lambda w: [w.structure.pk]),
    ("account_new", lambda w: [w.structure.pk]),
    ("email_changes", lambda w: [w.structure.pk]),
    ("audit", lambda w: [w.structure.pk]),
    ("candidates", lambda w: [w.structure.pk]),
    ("account", lambda w: [w.structure.pk, w.per.pk]),
    ("account", lambda w: [w.structure.pk, w.org.pk]),
    ("account_change_type", lambda w: [w.structure.pk, w.per.pk]),
    ("account_move", lambda w: [w.structure.pk, w.per.pk]),
    ("activity", lambda w: [w.structure.pk]),
    ("activity_csv", lambda w: [w.structure.pk]),
    ("colleague_proposals", lambda w: [w.structure.pk]),
    ("structure_edit", lambda w: [w.structure.pk]),  # its admins' fields (issue #15)
]
OPERATOR_PAGES: list[tuple[str, Callable[[World], list[int]]]] = [
    ("structure_admins", lambda w: [w.structure.pk]),
]
# (name, args, POST data) for every change.
POSTS: list[tuple[str, Callable[[World], list[int]], Callable[[World], dict[str, str]]]] = [
    ("account_create", lambda w: [w.structure.pk], lambda w: {}),
    ("account", lambda w: [w.structure.pk, w.per.pk], lambda w: {"city": "LYON"}),
    ("account_deactivate", lambda w: [w.structure.pk, w.per.pk], lambda w: {}),
    ("account_reactivate", lambda w: [w.structure.pk, w.per.pk], lambda w: {}),
    ("account_change_type", lambda w: [w.structure.pk, w.per.pk], lambda w: {"type": "MED"}),
    (
        "email_change_request",
        lambda w: [w.structure.pk, w.med.pk],
        lambda w: {"new_email": "x@ch-a.fr"},
    ),
    ("email_change_resend", lambda w: [w.structure.pk, w.change_id], lambda w: {}),
    ("email_change_cancel", lambda w: [w.structure.pk, w.change_id], lambda w: {}),
    (
        "connection_add",
        lambda w: [w.structure.pk, w.org.pk],
        lambda w: {"emails": w.per.email},
    ),
    ("connection_remove", lambda w: [w.structure.pk, w.org.pk, w.med.pk], lambda w: {}),
    (
        "mailbox_settings",
        lambda w: [w.structure.pk, w.med.pk],
        lambda w: {"default": str(w.org.pk)},
    ),
    ("delegate_add", lambda w: [w.structure.pk, w.med.pk], lambda w: {"email": w.per.email}),
    ("delegate_remove", lambda w: [w.structure.pk, w.per.pk, w.med.pk], lambda w: {}),
    (
        "delegate_right",
        lambda w: [w.structure.pk, w.per.pk, w.med.pk],
        lambda w: {"right": "reponse"},
    ),
    ("structure_edit", lambda w: [w.structure.pk], lambda w: {"name": "Renommée"}),
    (
        "structure_admins",
        lambda w: [w.structure.pk],
        lambda w: {"email": "intrus@example.org"},
    ),
    ("structure_admin_remove", lambda w: [w.structure.pk, w.admin.pk], lambda w: {}),
    (
        "account_move",
        lambda w: [w.structure.pk, w.per.pk],
        lambda w: {"structure": str(_other_structure(w))},
    ),
    ("colleague_proposal_approve", lambda w: [w.structure.pk, w.proposal_id], lambda w: {}),
    ("colleague_proposal_refuse", lambda w: [w.structure.pk, w.proposal_id], lambda w: {}),
    (
        "colleague_policy",
        lambda w: [w.structure.pk],
        lambda w: {"colleagues_without_validation": "on"},
    ),
]


# Console URLs without a structure in their path: the home and the operator's global pages,
# checked by test_a_person_without_role_gets_no_console, tests/console/test_scheduler.py,
# tests/console/test_activity.py and tests/console/test_domains.py.
GLOBAL_URLS = {"home", "structures", "structure_create", "scheduler"}
GLOBAL_URLS |= {"platform_activity", "platform_activity_csv"}
GLOBAL_URLS |= {"domains"}


def test_every_console_url_is_in_the_ownership_tables() -> None:
    """A new console URL fails here until it is added to GET_PAGES, OPERATOR_PAGES or POSTS."""
    from caducee.console.urls import urlpatterns

    names = {pattern.name for pattern in urlpatterns}
    covered = {name for name, *_ in [*GET_PAGES, *OPERATOR_PAGES, *POSTS]}
    assert names - covered - GLOBAL_URLS == set()
    assert names >= GLOBAL_URLS  # no stale exemption


def _url(name: str, args: list[int], world: World) -> str:
    if name == "account_create":
        return reverse(S + name, args=[*args, "PER"])
    if name == "activity_csv":
        return reverse(S + name, args=[*args, "boites"])
    return reverse(S + name, args=args)


def _snapshot() -> tuple[object, ...]:
    return (
        AuditEvent.objects.count(),
        list(Account.objects.order_by("pk").values_list("email", "state", "city", "type")),
        ConnectionLink.objects.count(),
        Delegation.objects.count(),
        list(Delegation.objects.order_by("pk").values_list("right", flat=True)),
        StructureAdmin.objects.count(),
        list(Structure.objects.order_by("pk").values_list("name", flat=True)),
        list(Account.objects.values_list("default_mailbox_id", flat=True)),
        list(ColleagueProposal.objects.order_by("pk").values_list("status", flat=True)),
        list(Structure.objects.values_list("colleagues_without_validation", flat=True)),
    )


@pytest.mark.parametrize(("name", "args"), GET_PAGES + OPERATOR_PAGES)
def test_it_validates_ownership_on_pages(
    client: Client, world: World, bob: User, name: str, args: Callable[[World], list[int]]
) -> None:
    client.force_login(bob)
    response = client.get(_url(name, args(world), world))
    assert response.status_code == 404
    assert "Page introuvable" in response.content.decode()


@pytest.mark.parametrize(("name", "args", "data"), POSTS)
def test_it_validates_ownership_on_changes(
    client: Client,
    world: World,
    bob: User,
    name: str,
    args: Callable[[World], list[int]],
    data: Callable[[World], dict[str, str]],
) -> None:
    client.force_login(bob)
    before = _snapshot()
    response = client.post(_url(name, args(world), world), data(world))
    assert response.status_code == 404
    assert _snapshot() == before


@pytest.mark.parametrize(("name", "args"), GET_PAGES)
def test_the_admin_sees_her_pages(
    client: Client, world: World, name: str, args: Callable[[World], list[int]]
) -> None:
    client.force_login(world.admin)
    assert client.get(_url(name, args(world), world)).status_code == 200


@pytest.mark.parametrize(("name", "args"), OPERATOR_PAGES)
def test_operator_pages_are_hidden_from_admins(
    client: Client, world: World, name: str, args: Callable[[World], list[int]]
) -> None:
    client.force_login(world.admin)
    assert client.get(_url(name, args(world), world)).status_code == 404


@pytest.mark.parametrize(("name", "args"), GET_PAGES + OPERATOR_PAGES)
def test_the_operator_sees_every_structure(
    client: Client,
    world: World,
    operator: User,
    bob: User,
    name: str,
    args: Callable[[World], list[int]],
) -> None:
    client.force_login(operator)
    assert client.get(_url(name, args(world), world)).status_code == 200


@pytest.mark.parametrize(("name", "args"), GET_PAGES + OPERATOR_PAGES)
def test_a_person_without_role_gets_404(
    client: Client, world: World, charlie: User, name: str, args: Callable[[World], list[int]]
) -> None:
    client.force_login(charlie)
    assert client.get(_url(name, args(world), world)).status_code == 404


@pytest.mark.parametrize(("name", "args", "data"), POSTS)
def test_a_person_without_role_changes_nothing(
    client: Client,
    world: World,
    charlie: User,
    name: str,
    args: Callable[[World], list[int]],
    data: Callable[[World], dict[str, str]],
) -> None:
    client.force_login(charlie)
    before = _snapshot()
    assert client.post(_url(name, args(world), world), data(world)).status_code == 404
    assert _snapshot() == before


def test_a_person_without_role_gets_no_console(client: Client, charlie: User) -> None:
    client.force_login(charlie)
    response = client.get(reverse("console:home"))
    assert response.status_code == 403
    assert "Pas d'accès à l'administration" in response.content.decode()
    assert client.get(reverse("console:structures")).status_code == 404
    assert client.get(reverse("console:structure_create")).status_code == 404


def test_anonymous_visitors_are_sent_to_login(client: Client, world: World) -> None:
    for url in (
        reverse("console:home"),
        reverse("console:accounts", args=[world.structure.pk]),
        reverse("console:account", args=[world.structure.pk, world.per.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("identity:login"))
    before = _snapshot()
    client.post(reverse("console:account_deactivate", args=[world.structure.pk, world.per.pk]))
    assert _snapshot() == before


def test_an_account_of_b_is_not_found_under_structure_a(
    client: Client, world: World, operator: User, per_b: Account
) -> None:
    """Even the operator cannot reach an account through another structure's URL."""
    client.force_login(operator)
    url = reverse("console:account", args=[world.structure.pk, per_b.pk])
    assert client.get(url).status_code == 404


def test_changes_need_post(client: Client, world: World) -> None:
    client.force_login(world.admin)
    url = reverse("console:account_deactivate", args=[world.structure.pk, world.per.pk])
    assert client.get(url).status_code == 405
    world.per.refresh_from_db()
    assert world.per.state == AccountState.PREREGISTERED


def test_forms_are_csrf_protected(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.admin)
    url = reverse("console:account_deactivate", args=[world.structure.pk, world.per.pk])
    assert client.post(url).status_code == 403
    world.per.refresh_from_db()
    assert world.per.state == AccountState.PREREGISTERED
