"""Coordination API: contacts (« Annuaire »), the regional directory and a record's partners."""

from __future__ import annotations

from typing import Any

from caducee.accounts.models import Account, AccountState
from caducee.coordination.models import Contact, Partner, Record
from caducee.people.models import User
from caducee.structures.models import Structure
from tests.coordination.test_api_records import API, last_event, post, put
from tests.factories import make_account
from tests.helpers import bearer_client

CORRE = {"last_name": "Corre", "first_name": "François", "email": "f.corre@cabinet.fr"}


def listed_account(structure: Structure) -> Account:
    account = make_account(structure, "PER", "p.lefevre@clinique-b.fr", last_name="LEFEVRE")
    account.visible = True
    account.state = AccountState.VALID
    account.save()
    return account


class TestContacts:
    def test_create_update_list_search_and_events(
        self, camille: User, structure_a: Structure
    ) -> None:
        client = bearer_client(camille)
        created = post(client, f"/structures/{structure_a.pk}/contacts", CORRE)
        assert created.status_code == 201, created.content
        contact = created.json()
        assert contact["last_name"] == "CORRE" and contact["external_account"] == ""
        assert last_event("coordination.contact_create").actor == camille
        changed = put(client, f"/contacts/{contact['id']}", {**CORRE, "phone": "0561000000"})
        assert changed.status_code == 200 and changed.json()["phone"] == "0561000000"
        assert "phone" in last_event("coordination.contact_update").detail["changes"]
        everyone = client.get(f"{API}/structures/{structure_a.pk}/contacts").json()
        assert [c["id"] for c in everyone] == [contact["id"]]
        found = client.get(f"{API}/structures/{structure_a.pk}/contacts?q=fran").json()
        assert [c["id"] for c in found] == [contact["id"]]
        assert client.get(f"{API}/structures/{structure_a.pk}/contacts?q=zz").json() == []
        bad = post(client, f"/structures/{structure_a.pk}/contacts", {"last_name": ""})
        assert bad.status_code == 422

    def test_directory_search_and_import(
        self, camille: User, structure_a: Structure, structure_b: Structure
    ) -> None:
        account = listed_account(structure_b)
        client = bearer_client(camille)
        found = client.get(f"{API}/structures/{structure_a.pk}/directory?q=lef").json()
        assert [a["account_id"] for a in found] == [account.pk]
        imported = post(
            client, f"/structures/{structure_a.pk}/contacts/import", {"account_id": account.pk}
        )
        assert imported.status_code == 201, imported.content
        assert imported.json()["directory_account_id"] == account.pk
        assert last_event("coordination.contact_import").actor == camille
        missing = post(
            client, f"/structures/{structure_a.pk}/contacts/import", {"account_id": 999999}
        )
        assert missing.status_code == 404

    def test_refusals(
        self,
        lucas: User,
        camille: User,
        bob: User,
        fcorre: User,
        structure_a: Structure,
        structure_b: Structure,
        corre: Contact,
    ) -> None:
        reader = bearer_client(lucas)
        assert post(reader, f"/structures/{structure_a.pk}/contacts", CORRE).status_code == 403
        assert put(reader, f"/contacts/{corre.pk}", CORRE).status_code == 403
        imported = post(reader, f"/structures/{structure_a.pk}/contacts/import", {"account_id": 1})
        assert imported.status_code == 403
        # The reader may read the directory of contacts.
        assert reader.get(f"{API}/structures/{structure_a.pk}/contacts").status_code == 200
        coordinator = bearer_client(camille)
        b = structure_b.pk
        for answer in (
            coordinator.get(f"{API}/structures/{b}/contacts"),
            coordinator.get(f"{API}/structures/{b}/directory?q=lef"),
            post(coordinator, f"/structures/{b}/contacts", CORRE),
            post(coordinator, f"/structures/{b}/contacts/import", {"account_id": 1}),
            put(bearer_client(bob), f"/contacts/{corre.pk}", CORRE),
            put(coordinator, "/contacts/999999", CORRE),
        ):
            assert answer.status_code == 404, answer.content
        partner = bearer_client(fcorre)
        for answer in (
            partner.get(f"{API}/structures/{structure_a.pk}/contacts"),
            post(partner, f"/structures/{structure_a.pk}/contacts", CORRE),
            put(partner, f"/contacts/{corre.pk}", CORRE),
        ):
            assert answer.status_code == 404, answer.content
        corre.refresh_from_db()
        assert corre.last_name == "CORRE" and Contact.objects.count() == 1


def partners_url(record: Record) -> str:
    return f"/records/{record.pk}/partners"


class TestPartners:
    def test_attach_access_detach_and_events(
        self, camille: User, record_a: Record, corre: Contact
    ) -> None:
        client = bearer_client(camille)
        attached = post(
            client, partners_url(record_a), {"contact_id": corre.pk, "contact_type": "pharmacien"}
        )
        assert attached.status_code == 201, attached.content
        partner = attached.json()
        assert partner["access_enabled"] and partner["contact_id"] == corre.pk
        assert last_event("coordination.partner_attach").detail["partner"] == partner["id"]
        again = post(
            client, partners_url(record_a), {"contact_id": corre.pk, "contact_type": "autre"}
        )
        assert again.status_code == 422
        url = f"{partners_url(record_a)}/{partner['id']}"
        closed = put(client, f"{url}/access", {"enabled": False})
        assert closed.status_code == 200 and closed.json()["access_enabled"] is False
        assert last_event("coordination.partner_access").detail["enabled"] is False
        listed = client.get(API + partners_url(record_a)).json()
        assert [p["id"] for p in listed] == [partner["id"]]
        assert last_event("coordination.record_read").detail["page"] == "api:partners"
        detached = client.delete(API + url)
        assert detached.status_code == 204
        assert last_event("coordination.partner_detach").actor == camille
        assert not Partner.objects.exists()

    def test_refusals(
        self,
        lucas: User,
        camille: User,
        fcorre: User,
        record_a: Record,
        record_c: Record,
        corre_partner: Partner,
    ) -> None:
        url = f"{partners_url(record_a)}/{corre_partner.pk}"
        reader = bearer_client(lucas)
        assert reader.get(API + partners_url(record_a)).status_code == 200
        attach = {"contact_id": corre_partner.contact_id, "contact_type": "autre"}
        for answer in (
            post(reader, partners_url(record_a), attach),
            put(reader, f"{url}/access", {"enabled": False}),
            reader.delete(API + url),
        ):
            assert answer.status_code == 403, answer.content
        coordinator = bearer_client(camille)
        # Record C is structure B's; A's contact may not join it; a partner of record A
        # is not found through record C.
        c_url = f"{partners_url(record_c)}/{corre_partner.pk}"
        for answer in (
            coordinator.get(API + partners_url(record_c)),
            post(coordinator, partners_url(record_c), attach),
            put(coordinator, f"{c_url}/access", {"enabled": False}),
            coordinator.delete(API + c_url),
        ):
            assert answer.status_code == 404, answer.content
        partner = bearer_client(fcorre)  # partner of record A: the tab is not theirs
        for answer in (
            partner.get(API + partners_url(record_a)),
            post(partner, partners_url(record_a), attach),
            put(partner, f"{url}/access", {"enabled": False}),
            partner.delete(API + url),
        ):
            assert answer.status_code == 404, answer.content
        corre_partner.refresh_from_db()
        assert corre_partner.access_enabled


def test_a_contact_of_another_structure_cannot_be_attached(
    camille: User, record_a: Record, structure_b: Structure
) -> None:
    from caducee.coordination import operations
    from caducee.core.context import cli_context

    other = operations.create_contact(
        cli_context(), structure_b, operations.ContactInput(last_name="Autre")
    )
    answer: Any = post(
        bearer_client(camille),
        partners_url(record_a),
        {"contact_id": other.pk, "contact_type": "autre"},
    )
    assert answer.status_code == 404
