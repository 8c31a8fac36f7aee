"""The quota page and `set_quotas`: all groups saved together, or none."""

from __future__ import annotations

import pytest
from django.urls import reverse

from caducee.audit.models import AuditEvent
from caducee.core.context import Context, cli_context
from caducee.core.errors import Forbidden, Invalid
from caducee.directory.models import Quota
from caducee.directory.operations import set_quotas
from caducee.people.models import User
from caducee.structures.models import Structure
from tests.helpers import client_for

pytestmark = pytest.mark.django_db


def test_set_quotas_writes_every_group_and_audits_each(
    structure_a: Structure, operator: User
) -> None:
    set_quotas(Context(user=operator), structure_a, {"PER_INT": 5, "ORG": 2, "APP": None})
    assert dict(Quota.objects.values_list("group", "limit")) == {"PER_INT": 5, "ORG": 2}
    events = AuditEvent.objects.filter(action="directory.quota")
    assert [e.detail["group"] for e in events.order_by("pk")] == ["PER_INT", "ORG"]


def test_a_wrong_third_group_saves_nothing(structure_a: Structure, operator: User) -> None:
    with pytest.raises(Invalid) as caught:
        set_quotas(Context(user=operator), structure_a, {"PER_INT": 5, "ORG": 2, "APP": -1})
    assert [p.field for p in caught.value.problems] == ["limit_APP"]
    assert not Quota.objects.exists()
    assert not AuditEvent.objects.filter(action="directory.quota").exists()


def test_the_page_saves_nothing_when_the_third_field_is_wrong(
    structure_a: Structure, operator: User
) -> None:
    url = reverse("directory:quotas", args=[structure_a.pk])
    response = client_for(operator).post(
        url, {"limit_PER_INT": "5", "limit_ORG": "2", "limit_APP": "beaucoup"}
    )
    assert response.status_code == 422
    assert "« Applicatif » : saisissez un nombre entier" in response.content.decode()
    assert not Quota.objects.exists()  # fails before: the first two groups were saved


def test_an_admin_gets_one_refusal_on_the_page(structure_a: Structure, alice: User) -> None:
    url = reverse("directory:quotas", args=[structure_a.pk])
    response = client_for(alice).post(url, {"limit_PER_INT": "5"})
    assert response.status_code == 422
    assert response.content.decode().count("Seul l&#x27;opérateur") == 1
    assert not Quota.objects.exists()


def test_a_cli_context_carrying_a_person_is_not_the_server(
    structure_a: Structure, alice: User
) -> None:
    """`caducee … --as alice` acts as alice, not as the server: no quota power."""
    ctx = cli_context(alice)
    assert not ctx.is_server and cli_context().is_server
    with pytest.raises(Forbidden):
        set_quotas(ctx, structure_a, {"ORG": 1})
    set_quotas(cli_context(), structure_a, {"ORG": 1})
    assert Quota.objects.get(structure=structure_a, group="ORG").limit == 1
