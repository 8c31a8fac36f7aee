"""The header shows only the spaces the person may open."""

from __future__ import annotations

from django.test import Client

from caducee.people.models import User
from caducee.structures.models import Structure
from tests.factories import make_account


def header(client: Client, user: User) -> str:
    client.force_login(user)
    return client.get("/annuaire/", follow=True).content.decode()


def test_an_admin_sees_administration(client: Client, alice: User) -> None:
    page = header(client, alice)
    assert ">Administration<" in page and ">Annuaire<" in page


def test_a_person_without_role_sees_no_administration(client: Client, charlie: User) -> None:
    page = header(client, charlie)
    assert ">Administration<" not in page and ">Coordination<" not in page
    assert ">Annuaire<" in page


def test_a_mailbox_owner_sees_the_webmail(client: Client, structure_a: Structure) -> None:
    account = make_account(structure_a, "MED")
    assert account.user is not None
    page = header(client, account.user)
    assert ">Messagerie<" in page and ">Administration<" not in page
