"""« Liste de vos utilisateurs »: counters, search, filters, keyset pagination, query count."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from caducee.accounts.email_changes import cancel_email_change, request_email_change
from caducee.accounts.models import Account, AccountState, EmailChangeRequest
from caducee.accounts.operations import deactivate_account
from caducee.core.context import cli_context
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories

pytestmark = pytest.mark.django_db


def _list(client: Client, structure: Structure, **params: str) -> str:
    url = reverse("console:accounts", args=[structure.pk])
    response = client.get(url, params)
    assert response.status_code == 200
    return response.content.decode()


def _bulk(structure: Structure, count: int, **fields: Any) -> None:
    Account.objects.bulk_create(
        Account(
            structure=structure,
            email=f"bulk{n:05d}@ch-a.fr",
            last_name="VOLUME",
            first_name=f"N{n}",
            type="MED",
            state=AccountState.VALID,
            profession="L10",
            **fields,
        )
        for n in range(count)
    )


def test_counters_count_each_state_and_link_to_the_filtered_list(
    client: Client, alice: User, structure_a: Structure, per_a: Account, org_a: Account
) -> None:
    deactivate_account(cli_context(), per_a)
    factories.make_account(structure_a, "PER", "pre@ch-a.fr")
    request_email_change(cli_context(), org_a, "accueil@ch-a.fr")
    client.force_login(alice)
    page = _list(client, structure_a)
    assert "Utilisateurs valides <strong>1</strong>" in page  # the ORG mailbox
    assert "Utilisateurs préinscrits <strong>2</strong>" in page
    assert "Utilisateurs à valider <strong>0</strong>" in page
    assert "Utilisateurs rejetés <strong>0</strong>" in page
    assert "Utilisateurs désactivés <strong>1</strong>" in page
    assert "Demandes de changement de mail <strong>1</strong>" in page
    assert 'href="?etat=preinscrit"' in page
    assert reverse("console:email_changes", args=[structure_a.pk]) in page


def test_filters_by_state_and_type(
    client: Client, alice: User, structure_a: Structure, per_a: Account, org_a: Account
) -> None:
    client.force_login(alice)
    page = _list(client, structure_a, etat="preinscrit")
    assert per_a.email in page and org_a.email not in page
    page = _list(client, structure_a, type="ORG")
    assert org_a.email in page and per_a.email not in page
    page = _list(client, structure_a)
    assert per_a.email in page and org_a.email in page
    assert '<option value="">TOUS</option>' in page


@pytest.mark.parametrize("field", ["email", "last_name", "first_name", "rpps"])
def test_search_by_email_name_first_name_and_numbers(
    client: Client, alice: User, structure_a: Structure, per_a: Account, med_a: Account, field: str
) -> None:
    client.force_login(alice)
    value = getattr(per_a, field)
    if field == "last_name":
        value = "dupont"
    page = _list(client, structure_a, q=value)
    assert per_a.email in page
    assert med_a.email not in page


def test_search_by_adeli(client: Client, alice: User, structure_a: Structure) -> None:
    number = factories.adeli()
    account = factories.make_account(structure_a, "PER", "adeli@ch-a.fr", rpps="", adeli=number)
    client.force_login(alice)
    assert account.email in _list(client, structure_a, q=number)


def test_the_list_never_shows_another_structure(
    client: Client, alice: User, structure_a: Structure, per_a: Account, per_b: Account
) -> None:
    client.force_login(alice)
    page = _list(client, structure_a, q="clinique-b")
    assert per_b.email not in page


def test_rows_show_the_columns_of_the_seed(
    client: Client, alice: User, structure_a: Structure, per_a: Account
) -> None:
    client.force_login(alice)
    page = _list(client, structure_a)
    for header in ("Mail", "Statut", "Type de BAL", "Nom", "Prénom", "Profession", "RPPS"):
        assert f"<th>{header}</th>" in page
    assert "Médecin" in page  # profession label, not its code
    assert "Préinscrit" in page
    assert per_a.rpps in page
    assert reverse("console:account_deactivate", args=[structure_a.pk, per_a.pk]) in page
    assert "Créer un nouvel utilisateur" in page


def test_pagination_walks_forward_and_back(
    client: Client, alice: User, structure_a: Structure
) -> None:
    _bulk(structure_a, 120)
    client.force_login(alice)
    first = _list(client, structure_a)
    assert "bulk00000@" in first and "bulk00049@" in first and "bulk00050@" not in first
    assert "apres=bulk00049%40ch-a.fr" in first
    second = _list(client, structure_a, apres="bulk00049@ch-a.fr")
    assert "bulk00050@" in second and "bulk00099@" in second and "bulk00049@" not in second
    third = _list(client, structure_a, apres="bulk00099@ch-a.fr")
    assert "bulk00119@" in third and 'rel="next"' not in third
    back = _list(client, structure_a, avant="bulk00100@ch-a.fr")
    assert "bulk00050@" in back and "bulk00099@" in back and "bulk00100@" not in back
    back_to_first = _list(client, structure_a, avant="bulk00050@ch-a.fr")
    assert "bulk00000@" in back_to_first and 'rel="prev"' not in back_to_first


def test_the_list_costs_a_bounded_number_of_queries(
    client: Client,
    alice: User,
    structure_a: Structure,
    django_assert_max_num_queries: Any,
) -> None:
    _bulk(structure_a, 300)
    client.force_login(alice)
    url = reverse("console:accounts", args=[structure_a.pk])
    # Session, person, structure access, counters (2), one page of rows, plus the few
    # queries of the header and action partials: never one per row.
    with django_assert_max_num_queries(15):
        response = client.get(url, {"apres": "bulk00100@ch-a.fr", "type": "MED"})
    assert response.status_code == 200
    assert response.content.decode().count("bulk0") >= 50


def test_the_number_of_queries_does_not_grow_with_the_rows(
    client: Client, alice: User, structure_a: Structure
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _bulk(structure_a, 2)
    client.force_login(alice)
    url = reverse("console:accounts", args=[structure_a.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    Account.objects.bulk_create(
        Account(
            structure=structure_a,
            email=f"more{n:03d}@ch-a.fr",
            last_name="X",
            first_name="Y",
            type="PER",
            state=AccountState.PREREGISTERED,
            profession="10",
            rpps=factories.rpps(),
            mssante_particle=f"more{n}",
        )
        for n in range(80)
    )
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)


def test_email_change_requests_are_listed_by_state(
    client: Client, alice: User, structure_a: Structure
) -> None:
    ctx = cli_context()
    pending = request_email_change(ctx, factories.make_account(structure_a, "PER"), "p@x.fr")
    cancelled = request_email_change(ctx, factories.make_account(structure_a, "PER"), "c@x.fr")
    cancel_email_change(ctx, cancelled)
    expired = request_email_change(ctx, factories.make_account(structure_a, "PER"), "e@x.fr")
    EmailChangeRequest.objects.filter(pk=expired.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    client.force_login(alice)
    url = reverse("console:email_changes", args=[structure_a.pk])

    def rows(**query: str) -> list[str]:
        page = client.get(url, query).content.decode()
        return re.findall(r'<tr data-state="(\w+)">', page)

    assert sorted(rows()) == ["cancelled", "expired", "pending"]
    assert rows(etat="expired") == ["expired"]
    assert rows(etat="cancelled") == ["cancelled"]
    assert rows(etat="pending", q="p@x") == ["pending"]
    assert rows(q="nulle-part") == []
    page = client.get(url, {"etat": "expired"}).content.decode()
    assert "Expirée" in page and "Renvoyer le lien" in page  # still pending: resend revives it
    refused = client.get(url, {"etat": "perdu"}, follow=True).content.decode()
    assert "État « perdu » inconnu" in refused
    assert pending.state == "pending"
