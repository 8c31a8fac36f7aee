"""« Activité structure » pages: the admin's page per structure, the operator's page across
structures, their CSV downloads; 404 for another structure and for non-operators."""

from __future__ import annotations

from datetime import UTC, datetime

from django.test import Client
from django.urls import reverse

from caducee.accounts.models import Account
from caducee.loadusers.models import ImportJob, JobStatus
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories


def _page(client: Client, user: User, url: str) -> tuple[int, str]:
    client.force_login(user)
    response = client.get(url)
    return response.status_code, response.content.decode()


def test_the_admin_sees_her_structure_s_charts_and_tables(
    client: Client, alice: User, structure_a: Structure, structure_b: Structure
) -> None:
    factories.make_account(structure_a, "MED")
    ImportJob.objects.create(
        structure=structure_a, actor_label="alice", file_name="rh.xlsx", status=JobStatus.DONE
    )
    ImportJob.objects.create(
        structure=structure_b, actor_label="bob", file_name="autre.csv", status=JobStatus.DONE
    )
    status, html = _page(client, alice, reverse("console:activity", args=[structure_a.pk]))
    assert status == 200
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img"') == 5
    for title in (
        "Comptes par état",
        "Comptes par type de BAL",
        "Messages envoyés et reçus par semaine",
        "Boîtes actives, inutilisées et bientôt expirées",
        "Historique des imports",
    ):
        assert f"<caption>{title}</caption>" in html
    assert reverse("console:activity_csv", args=[structure_a.pk, "imports"]) in html
    assert "rh.xlsx" in html and "autre.csv" not in html
    assert 'class="active">Activité structure</a>' in html  # the menu entry


def test_another_structure_s_page_and_csv_are_404(
    client: Client, bob: User, structure_a: Structure
) -> None:
    for url in (
        reverse("console:activity", args=[structure_a.pk]),
        reverse("console:activity_csv", args=[structure_a.pk, "boites"]),
    ):
        assert _page(client, bob, url)[0] == 404


def test_the_csv_download_of_a_table(client: Client, alice: User, structure_a: Structure) -> None:
    factories.make_account(structure_a, "MED")
    client.force_login(alice)
    response = client.get(reverse("console:activity_csv", args=[structure_a.pk, "boites"]))
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="activite-{structure_a.pk}-boites.csv"'
    )
    lines = response.content.decode("utf-8-sig").split("\r\n")
    assert lines[0] == "Boîtes;Nombre" and lines[3] == "Jamais utilisées;1"
    unknown = client.get(reverse("console:activity_csv", args=[structure_a.pk, "inconnu"]))
    assert unknown.status_code == 404


def test_the_operator_sees_every_structure_together(
    client: Client, operator: User, structure_a: Structure, structure_b: Structure
) -> None:
    for structure, name in ((structure_a, "a.csv"), (structure_b, "b.csv")):
        ImportJob.objects.create(
            structure=structure, actor_label="x", file_name=name, status=JobStatus.DONE
        )
    status, html = _page(client, operator, reverse("console:platform_activity"))
    assert status == 200
    assert "Activité de la plateforme" in html and "a.csv" in html and "b.csv" in html
    assert structure_b.name in html  # the imports table names the structure
    client.force_login(operator)
    response = client.get(reverse("console:platform_activity_csv", args=["imports"]))
    assert response.status_code == 200
    assert response.content.decode("utf-8-sig").startswith("Date;Structure;Fichier")
    structures = client.get(reverse("console:structures")).content.decode()
    assert reverse("console:platform_activity") in structures


def test_the_operator_s_pages_are_404_for_an_admin(client: Client, alice: User) -> None:
    for url in (
        reverse("console:platform_activity"),
        reverse("console:platform_activity_csv", args=["boites"]),
    ):
        assert _page(client, alice, url)[0] == 404


def test_the_pages_require_login(client: Client, structure_a: Structure) -> None:
    response = client.get(reverse("console:platform_activity"))
    assert response.status_code == 302 and "/connexion/" in response["Location"]


def test_the_account_page_shows_the_activity_dates(
    client: Client, alice: User, structure_a: Structure
) -> None:
    account = factories.make_account(structure_a, "MED")
    Account.objects.filter(pk=account.pk).update(
        last_received_at=datetime(2026, 12, 3, 10, tzinfo=UTC)
    )
    status, html = _page(
        client, alice, reverse("console:account", args=[structure_a.pk, account.pk])
    )
    assert status == 200
    assert "<dt>Dernier message reçu</dt><dd>03/12/2026</dd>" in html
    assert "<dt>Dernière connexion</dt><dd>jamais</dd>" in html
