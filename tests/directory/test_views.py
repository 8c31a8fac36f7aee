from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from caducee.accounts.models import Account
from caducee.core.context import cli_context
from caducee.directory.models import MailboxListing, Quota
from caducee.directory.operations import assign_mssante_address
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories
from tests.directory.helpers import listed_account
from tests.helpers import client_for

pytestmark = pytest.mark.django_db


def test_directory_page_requires_login(client: Client) -> None:
    response = client.get(reverse("directory:search"))
    assert response.status_code == 302


def test_directory_page_lists_and_filters(structure_a: Structure, charlie: User) -> None:
    listed_account(structure_a, last_name="LAMBERT", first_name="Élise", city="LYON")
    listed_account(structure_a, "MED", last_name="MOREAU")
    client = client_for(charlie)
    page = client.get(reverse("directory:search"), {"q": "lyon"}).content.decode()
    assert "LAMBERT Élise" in page and "MOREAU" not in page
    assert "Code postal" in page or "CP" in page
    partial = client.get(reverse("directory:search"), {"type": "MED"}, HTTP_HX_REQUEST="true")
    text = partial.content.decode()
    assert "MOREAU" in text and "LAMBERT" not in text and "<html" not in text


def test_autocomplete_returns_json(structure_a: Structure, charlie: User) -> None:
    account = listed_account(structure_a, last_name="BERTRAND")
    assign_mssante_address(cli_context(), account, None)
    data = client_for(charlie).get(reverse("directory:autocomplete"), {"q": "bertr"}).json()
    assert data["results"] == [
        {
            "name": "BERTRAND Jeanne",
            "email": account.email,
            "mssante": "jeanne.bertrand@ch-a.mssante.fr",
            "type": "PER",
            "structure": structure_a.name,
            "other_operator": False,
            "label": "BERTRAND Jeanne <jeanne.bertrand@ch-a.mssante.fr>",
        }
    ]


def test_autocomplete_html_for_htmx(structure_a: Structure, charlie: User) -> None:
    listed_account(structure_a, last_name="<B>ROY</B>")
    response = client_for(charlie).get(
        reverse("directory:autocomplete"), {"q": "roy"}, HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert "&lt;B&gt;ROY&lt;/B&gt;" in html and "<B>" not in html
    assert 'role="option"' in html


def test_admin_creates_a_correspondence(structure_a: Structure, alice: User) -> None:
    account = factories.make_account(structure_a, "PER", first_name="Noé", last_name="PETIT")
    url = reverse("directory:address", args=[structure_a.pk, account.pk])
    client = client_for(alice)
    assert "Créer la correspondance" in client.get(url).content.decode()
    response = client.post(url, {"action": "assign", "particle": ""})
    assert response.status_code == 302
    account.refresh_from_db()
    assert account.mssante_particle == "noe.petit"
    bad = client.post(url, {"action": "assign", "particle": "<script>"})
    assert bad.status_code == 422 and "Adresse MSSanté refusée" in bad.content.decode()
    client.post(url, {"action": "options", "red_list": "on", "dematerialisation": "on"})
    assert MailboxListing.objects.get(account=account).red_list


def test_row_actions_partial(structure_a: Structure) -> None:
    from django.template.loader import render_to_string

    per = factories.make_account(structure_a, "PER")
    med = factories.make_account(structure_a, "MED")
    html = render_to_string(
        "directory/_row_actions.html", {"account": per, "structure": structure_a}
    )
    assert "mssante-add" in html
    med_html = render_to_string(
        "directory/_row_actions.html", {"account": med, "structure": structure_a}
    )
    assert "mssante" not in med_html
    assign_mssante_address(cli_context(), per, None)
    html = render_to_string(
        "directory/_row_actions.html", {"account": per, "structure": structure_a}
    )
    assert "mssante-edit" in html
    menu = render_to_string("directory/_structure_menu.html", {"structure": structure_a})
    for label in ("Informations MSSanté", "Rapport d'alimentation", "Correspondances MSSanté"):
        assert label in menu


def test_admin_of_b_gets_404_on_a(structure_a: Structure, bob: User) -> None:
    account = factories.make_account(structure_a, "PER")
    client = client_for(bob)
    for url in (
        reverse("directory:report", args=[structure_a.pk]),
        reverse("directory:quotas", args=[structure_a.pk]),
        reverse("directory:correspondences", args=[structure_a.pk]),
        reverse("directory:address", args=[structure_a.pk, account.pk]),
        reverse("directory:export", args=[structure_a.pk, "fhir"]),
    ):
        assert client.get(url).status_code == 404, url
    assert (
        client.post(
            reverse("directory:address", args=[structure_a.pk, account.pk]), {"particle": "x"}
        ).status_code
        == 404
    )
    account.refresh_from_db()
    assert account.mssante_particle == ""


def test_report_page_and_csv(structure_a: Structure, alice: User) -> None:
    account = listed_account(structure_a)
    assign_mssante_address(cli_context(), account, None)
    Account.objects.filter(pk=account.pk).update(rpps="")
    Account.objects.filter(pk=account.pk).update(adeli="")
    client = client_for(alice)
    url = reverse("directory:report", args=[structure_a.pk])
    page = client.get(url).content.decode()
    assert "BAL PER sans RPPS" in page and 'id="count-blocking">1<' in page
    assert reverse("console:home") in page or "Corriger" in page
    only = client.get(url, {"criticite": "non bloquante"}).content.decode()
    assert "BAL PER sans RPPS" not in only
    csv = client.get(url, {"format": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    assert "person_id" in csv.content.decode()


def test_operator_sees_every_report_and_sets_quotas(
    structure_a: Structure, structure_b: Structure, operator: User, alice: User
) -> None:
    client = client_for(operator)
    assert client.get(reverse("directory:report", args=[structure_b.pk])).status_code == 200
    url = reverse("directory:quotas", args=[structure_a.pk])
    response = client.post(url, {"limit_PER_INT": "10", "limit_ORG": "", "limit_APP": "2"})
    assert response.status_code == 302
    assert dict(Quota.objects.values_list("group", "limit")) == {"PER_INT": 10, "APP": 2}
    bad = client.post(url, {"limit_PER_INT": "dix"})
    assert bad.status_code == 422 and "nombre entier" in bad.content.decode()
    page = client_for(alice).get(url).content.decode()
    assert "Illimité" in page and "Personnel et personnel interne" in page
    assert '<input name="limit_' not in page
    alice_post = client_for(alice).post(url, {"limit_PER_INT": "1000"})
    assert alice_post.status_code == 422
    assert Quota.objects.get(group="PER_INT").limit == 10


def test_my_listing_red_list(structure_a: Structure) -> None:
    account = listed_account(structure_a, last_name="DISCRET")
    assert account.user is not None
    client = client_for(account.user)
    url = reverse("directory:my_listing")
    assert client.post(url, {"red_list": "on"}).status_code == 302
    assert MailboxListing.objects.get(account=account).red_list
    page = client.get(reverse("directory:search"), {"q": "discret"}).content.decode()
    assert "0 résultats" in page and "DISCRET Jeanne</strong>" not in page
