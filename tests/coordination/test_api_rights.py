"""Coordination API: rights profiles, memberships, external accounts and invitations."""

from __future__ import annotations

from caducee.coordination import operations
from caducee.coordination.models import (
    Contact,
    ExternalAccount,
    ExternalGrant,
    ExternalStatus,
    Membership,
    Partner,
    Record,
    RightsProfile,
)
from caducee.core.context import cli_context
from caducee.people.models import User
from caducee.structures.models import Structure
from tests.coordination.conftest import profile
from tests.coordination.test_api_records import API, last_event, post, put
from tests.factories import make_account
from tests.helpers import bearer_client, ctx_for

READER = ["record.read", "liaison.read"]


class TestProfiles:
    def test_list_create_update_delete_and_events(
        self, alice: User, structure_a: Structure
    ) -> None:
        client = bearer_client(alice)
        url = f"/structures/{structure_a.pk}/profiles"
        listed = client.get(API + url)
        assert listed.status_code == 200 and len(listed.json()) == 4
        created = post(client, url, {"name": "Secrétariat", "permissions": READER})
        assert created.status_code == 201, created.content
        made = created.json()
        assert made["kind"] == "interne" and made["permissions"] == READER
        assert last_event("coordination.profile_create").actor == alice
        changed = put(client, f"/profiles/{made['id']}", {"name": "Accueil", "permissions": []})
        assert changed.status_code == 200 and changed.json()["name"] == "Accueil"
        assert last_event("coordination.profile_update").detail["after"]["name"] == "Accueil"
        deleted = client.delete(f"{API}/profiles/{made['id']}")
        assert deleted.status_code == 204
        assert last_event("coordination.profile_delete").actor == alice
        assert not RightsProfile.objects.filter(pk=made["id"]).exists()

    def test_invalid_and_in_use_are_422(
        self, alice: User, camille: User, structure_a: Structure
    ) -> None:
        client = bearer_client(alice)
        url = f"/structures/{structure_a.pk}/profiles"
        bad = post(client, url, {"name": "X", "kind": "externe", "permissions": ["record.create"]})
        assert bad.status_code == 422 and bad.json()["problems"][0]["code"] == "external"
        used = profile(structure_a, "Coordinateur interne")
        refused = client.delete(f"{API}/profiles/{used.pk}")
        assert refused.status_code == 422 and "attribué" in refused.json()["detail"]

    def test_refusals(self, camille: User, bob: User, fcorre: User, structure_a: Structure) -> None:
        reader = profile(structure_a, "Lecteur interne")
        url = f"/structures/{structure_a.pk}/profiles"
        coordinator = bearer_client(camille)  # works in A, administers nothing: 403
        for answer in (
            coordinator.get(API + url),
            post(coordinator, url, {"name": "Y"}),
            put(coordinator, f"/profiles/{reader.pk}", {"name": "Z"}),
            coordinator.delete(f"{API}/profiles/{reader.pk}"),
        ):
            assert answer.status_code == 403, answer.content
        for client in (bearer_client(bob), bearer_client(fcorre)):  # B's admin, a partner
            for answer in (
                client.get(API + url),
                post(client, url, {"name": "Y"}),
                put(client, f"/profiles/{reader.pk}", {"name": "Z"}),
                client.delete(f"{API}/profiles/{reader.pk}"),
            ):
                assert answer.status_code == 404, answer.content
        assert put(bearer_client(bob), "/profiles/999999", {"name": "Z"}).status_code == 404
        reader.refresh_from_db()
        assert reader.name == "Lecteur interne"


class TestMemberships:
    def test_set_list_remove_and_events(self, alice: User, structure_a: Structure) -> None:
        person = make_account(structure_a, "MED", "nina.med@ch-a.fr").user
        assert person is not None
        client = bearer_client(alice)
        url = f"/structures/{structure_a.pk}/memberships"
        reader = profile(structure_a, "Lecteur interne")
        given = put(client, url, {"email": "nina.med@ch-a.fr", "profile_id": reader.pk})
        assert given.status_code == 200, given.content
        assert given.json()["profile"] == "Lecteur interne"
        assert last_event("coordination.membership_set").target_id == str(person.pk)
        listed = client.get(API + url).json()
        assert [m["email"] for m in listed] == ["nina.med@ch-a.fr"]
        removed = client.delete(f"{API}/memberships/{given.json()['id']}")
        assert removed.status_code == 204
        assert last_event("coordination.membership_remove").actor == alice
        assert not Membership.objects.exists()

    def test_invalid_inputs_are_422(
        self, alice: User, structure_a: Structure, structure_b: Structure
    ) -> None:
        client = bearer_client(alice)
        url = f"/structures/{structure_a.pk}/memberships"
        reader = profile(structure_a, "Lecteur interne")
        for payload in (
            {"email": "personne@ailleurs.fr", "profile_id": reader.pk},
            {"email": "alice@ch-a.fr", "profile_id": profile(structure_b, "Lecteur interne").pk},
            {"email": "alice@ch-a.fr", "profile_id": 999999},
            {
                "email": "alice@ch-a.fr",
                "profile_id": profile(structure_a, "Partenaire externe lecture seule").pk,
            },
        ):
            answer = put(client, url, payload)
            assert answer.status_code == 422, (payload, answer.content)

    def test_refusals(self, camille: User, bob: User, structure_a: Structure) -> None:
        mine = Membership.objects.get(user=camille)
        url = f"/structures/{structure_a.pk}/memberships"
        payload = {"email": camille.email, "profile_id": profile(structure_a, "Lecteur interne").pk}
        coordinator = bearer_client(camille)
        for answer in (
            coordinator.get(API + url),
            put(coordinator, url, payload),
            coordinator.delete(f"{API}/memberships/{mine.pk}"),
        ):
            assert answer.status_code == 403, answer.content
        other = bearer_client(bob)
        for answer in (
            other.get(API + url),
            put(other, url, payload),
            other.delete(f"{API}/memberships/{mine.pk}"),
            other.delete(f"{API}/memberships/999999"),
        ):
            assert answer.status_code == 404, answer.content
        mine.refresh_from_db()
        assert mine.profile.name == "Coordinateur interne"


class TestExternalAccounts:
    def test_manual_creation_shows_the_password_once(
        self, alice: User, corre: Contact, structure_a: Structure
    ) -> None:
        contributor = profile(structure_a, "Partenaire externe contributeur")
        answer = post(
            bearer_client(alice),
            "/external-accounts",
            {"contact_id": corre.pk, "profile_id": contributor.pk},
        )
        assert answer.status_code == 201, answer.content
        assert answer["Cache-Control"] == "no-store"
        shown = answer.json()
        external = ExternalAccount.objects.get()
        assert shown["external"]["identifier"] == "fcorre" == external.identifier
        assert shown["external"]["home_structure"] == "Utilisateur externe"
        assert external.user.check_password(shown["password"])
        event = last_event("coordination.external_create")
        assert event.actor == alice and event.detail["origin"] == "manual"
        assert shown["password"] not in str(event.detail)

    def test_creation_refusals(
        self, camille: User, bob: User, fcorre: User, corre: Contact, structure_a: Structure
    ) -> None:
        payload = {
            "contact_id": corre.pk,
            "identifier": "fcorre2",
            "profile_id": profile(structure_a, "Partenaire externe contributeur").pk,
        }
        assert post(bearer_client(camille), "/external-accounts", payload).status_code == 403
        for client in (bearer_client(bob), bearer_client(fcorre)):
            assert post(client, "/external-accounts", payload).status_code == 404
        missing = post(bearer_client(bob), "/external-accounts", {"contact_id": 999999})
        assert missing.status_code == 404

    def test_list_read_modify_and_events(
        self, alice: User, fcorre_account: ExternalAccount, structure_a: Structure
    ) -> None:
        client = bearer_client(alice)
        listed = client.get(f"{API}/external-accounts").json()
        assert [a["identifier"] for a in listed] == ["fcorre"]
        url = f"/external-accounts/{fcorre_account.pk}"
        assert client.get(API + url).json()["status"] == "actif"
        reader = profile(structure_a, "Partenaire externe lecture seule")
        changes = {"first_name": "François", "last_name": "Corre", "profile_id": reader.pk}
        # Alice administers A but holds no profile there: « Modifier » needs the right.
        assert put(client, url, changes).status_code == 403
        Membership.objects.create(
            user=alice, structure=structure_a, profile=profile(structure_a, "Coordinateur interne")
        )
        changed = put(client, url, {**changes, "suspended": True})
        assert changed.status_code == 200, changed.content
        assert changed.json()["status"] == ExternalStatus.SUSPENDED
        event = last_event("coordination.external_modify")
        assert event.detail["changes"]["suspended"] == [False, True]
        bad = put(client, url, {**changes, "profile_id": None})
        assert bad.status_code == 422

    def test_resend_activation(
        self, camille: User, alice: User, corre_partner: Partner, structure_a: Structure
    ) -> None:
        contributor = profile(structure_a, "Partenaire externe contributeur")
        pending = operations.create_external_account(
            ctx_for(camille), corre_partner, "fcorre", contributor
        )
        assert pending is not None
        url = f"{API}/external-accounts/{pending.pk}/activation-link"
        answer = bearer_client(alice).post(url)
        assert answer.status_code == 202 and pending.user.email in answer.json()["detail"]
        assert last_event("coordination.external_activation_resent").actor == alice

    def test_resend_refusals(
        self, alice: User, bob: User, lucas: User, fcorre_account: ExternalAccount
    ) -> None:
        url = f"{API}/external-accounts/{fcorre_account.pk}/activation-link"
        already = bearer_client(alice).post(url)
        assert already.status_code == 422  # active: no link to send
        for client in (
            bearer_client(bob),
            bearer_client(lucas),
            bearer_client(fcorre_account.user),
        ):
            assert client.post(url).status_code == 404
            assert client.get(f"{API}/external-accounts/{fcorre_account.pk}").status_code == 404
            listed = client.get(f"{API}/external-accounts")
            assert listed.status_code == 404 or listed.json() == []

    def test_suspension_per_structure(
        self,
        camille: User,
        bob: User,
        fcorre_account: ExternalAccount,
        structure_a: Structure,
        record_a: Record,
    ) -> None:
        url = f"/external-accounts/{fcorre_account.pk}/structures/{structure_a.pk}/suspension"
        closed = put(bearer_client(camille), url, {"suspended": True})
        assert closed.status_code == 200 and closed.json()["suspended"] is True
        assert last_event("coordination.external_suspend").actor == camille
        partner = bearer_client(fcorre_account.user)
        assert partner.get(f"{API}/records/{record_a.pk}").status_code == 404
        assert put(bearer_client(bob), url, {"suspended": False}).status_code == 404
        assert put(partner, url, {"suspended": False}).status_code == 404
        opened = put(bearer_client(camille), url, {"suspended": False})
        assert opened.status_code == 200 and opened.json()["suspended"] is False
        assert last_event("coordination.external_restore").actor == camille

    def test_partner_account_and_invitation(
        self,
        camille: User,
        lucas: User,
        bob: User,
        record_a: Record,
        corre_partner: Partner,
        structure_a: Structure,
        structure_b: Structure,
    ) -> None:
        url = f"/records/{record_a.pk}/partners/{corre_partner.pk}/external-account"
        reader = profile(structure_a, "Partenaire externe lecture seule")
        payload = {"profile_id": reader.pk}
        assert post(bearer_client(lucas), url, payload).status_code == 403
        assert post(bearer_client(bob), url, payload).status_code == 404
        created = post(bearer_client(camille), url, payload)
        assert created.status_code == 202, created.content
        assert last_event("coordination.external_create").detail["origin"] == "auto"
        again = post(bearer_client(camille), url, payload)
        assert again.status_code == 422

        # An address that is already an external account elsewhere: an invitation.
        gp_b = operations.create_contact(
            cli_context(),
            structure_b,
            operations.ContactInput(last_name="Generaliste", email="gp@cabinet.test"),
        )
        pgen = operations.create_external_account_manual(
            ctx_for(bob), gp_b, "pgen", profile(structure_b, "Partenaire externe contributeur")
        ).external
        gp_a = operations.create_contact(
            cli_context(),
            structure_a,
            operations.ContactInput(last_name="Generaliste", email="gp@cabinet.test"),
        )
        partner = operations.attach_partner(cli_context(), record_a, gp_a, "medecin_traitant")
        invited = post(
            bearer_client(camille),
            f"/records/{record_a.pk}/partners/{partner.pk}/external-account",
            payload,
        )
        assert invited.status_code == 202  # the same answer as a creation
        assert last_event("coordination.external_invite").actor == camille
        client = bearer_client(pgen.user)
        waiting = client.get(f"{API}/invitations").json()
        assert [w["structure"] for w in waiting] == [structure_a.name]
        grant_id = waiting[0]["id"]
        assert (
            bearer_client(camille).post(f"{API}/invitations/{grant_id}/accept").status_code == 404
        )
        accepted = client.post(f"{API}/invitations/{grant_id}/accept")
        assert accepted.status_code == 200 and accepted.json()["accepted"] is True
        assert last_event("coordination.external_share_accept").actor == pgen.user
        assert ExternalGrant.objects.get(pk=grant_id).accepted_at is not None
        assert client.get(f"{API}/records/{record_a.pk}").status_code == 200
