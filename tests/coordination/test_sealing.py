"""Sealing of external accounts: `fcorre` is a partner of record A and not of record B.

Every page of the coordination module is requested as fcorre, on record A's objects and on
record B's; only the reading pages of record A answer. The table below must name every URL
of the module, so that a new page cannot be added without deciding its sealing.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from django.test import Client
from django.urls import URLPattern, reverse

from caducee.audit.models import AuditEvent
from caducee.coordination import operations
from caducee.coordination.models import (
    ExternalGrant,
    Membership,
    Partner,
    Record,
)
from caducee.coordination.urls import urlpatterns
from caducee.core.context import cli_context
from caducee.people.models import User
from caducee.structures.models import Structure
from tests.coordination.conftest import World, member, profile
from tests.helpers import ctx_for

BACKEND = "caducee.coordination.auth.ExternalIdentifierBackend"


def fcorre_client(user: User) -> Client:
    client = Client()
    client.force_login(user, backend=BACKEND)
    return client


# url name → (arguments on A's side, arguments on B's side); None: same for both.
Args = Callable[[World], list[object]]
SEALED: dict[str, tuple[Args, Args]] = {
    "record_create": (lambda w: [], lambda w: []),
    "record_edit": (lambda w: [w.record_a.pk], lambda w: [w.record_b.pk]),
    "partners": (lambda w: [w.record_a.pk], lambda w: [w.record_b.pk]),
    "partner_attach": (lambda w: [w.record_a.pk], lambda w: [w.record_b.pk]),
    "partner_directory": (lambda w: [w.record_a.pk], lambda w: [w.record_b.pk]),
    "partner_detach": (
        lambda w: [w.record_a.pk, w.partner_a.pk],
        lambda w: [w.record_b.pk, w.partner_b.pk],
    ),
    "partner_access": (
        lambda w: [w.record_a.pk, w.partner_a.pk],
        lambda w: [w.record_b.pk, w.partner_b.pk],
    ),
    "partner_external": (
        lambda w: [w.record_a.pk, w.partner_a.pk],
        lambda w: [w.record_b.pk, w.partner_b.pk],
    ),
    "partner_suspend": (
        lambda w: [w.record_a.pk, w.partner_a.pk],
        lambda w: [w.record_b.pk, w.partner_b.pk],
    ),
    "contacts": (lambda w: [], lambda w: []),
    "contact_create": (lambda w: [], lambda w: []),
    "contact_import": (lambda w: [], lambda w: []),
    "contact_edit": (
        lambda w: [w.partner_a.contact_id],
        lambda w: [w.partner_b.contact_id],
    ),
    "profiles": (lambda w: [], lambda w: []),
    "profile_create": (lambda w: [], lambda w: []),
    "profile_edit": (
        lambda w: [w.external.profile_id],
        lambda w: [w.membership.profile_id],
    ),
    "profile_delete": (
        lambda w: [w.external.profile_id],
        lambda w: [w.membership.profile_id],
    ),
    "members": (lambda w: [], lambda w: []),
    "member_remove": (lambda w: [w.membership.pk], lambda w: [w.membership.pk]),
    "externals": (lambda w: [], lambda w: []),
    "external_create": (lambda w: [], lambda w: []),
    "external_edit": (lambda w: [w.external.pk], lambda w: [w.external.pk]),
    "external_resend": (lambda w: [w.external.pk], lambda w: [w.external.pk]),
    "external_suspend": (lambda w: [w.external.pk], lambda w: [w.external.pk]),
}
# Pages an external partner uses on record A; on record B they answer 404.
OPEN_ON_A: dict[str, tuple[Args, Args]] = {
    "record": (lambda w: [w.record_a.pk], lambda w: [w.record_b.pk]),
    "liaison": (lambda w: [w.record_a.pk], lambda w: [w.record_b.pk]),
    "documents": (lambda w: [w.record_a.pk], lambda w: [w.record_b.pk]),
    "document": (
        lambda w: [w.record_a.pk, w.doc_a.pk],
        lambda w: [w.record_b.pk, w.doc_b.pk],
    ),
}
# Not about a record: the list (checked below), the public activation page and the
# partner's acceptance of an invitation (its own only: test_invitations_are_the_partners_own).
OTHERS = {"home", "activate", "invitation_accept"}


def test_the_table_names_every_page_of_the_module() -> None:
    names = {p.name for p in urlpatterns if isinstance(p, URLPattern)}
    assert names == set(SEALED) | set(OPEN_ON_A) | OTHERS


@pytest.mark.parametrize("name", sorted(SEALED))
def test_internal_pages_answer_404_to_an_external_account(world: World, name: str) -> None:
    client = fcorre_client(world.external.user)
    before = (Partner.objects.count(), Membership.objects.count(), Record.objects.count())
    for args in SEALED[name]:
        url = reverse(f"coordination:{name}", args=args(world))
        assert client.get(url).status_code in {404, 405}, url
        assert client.post(url, {"enabled": "1", "account": "1"}).status_code == 404, url
    assert (Partner.objects.count(), Membership.objects.count(), Record.objects.count()) == before
    assert not ExternalGrant.objects.exists()
    world.partner_a.refresh_from_db()
    assert world.partner_a.access_enabled


@pytest.mark.parametrize("name", sorted(OPEN_ON_A))
def test_record_pages_open_on_a_only(world: World, name: str) -> None:
    client = fcorre_client(world.external.user)
    on_a, on_b = OPEN_ON_A[name]
    assert client.get(reverse(f"coordination:{name}", args=on_a(world))).status_code == 200
    assert client.get(reverse(f"coordination:{name}", args=on_b(world))).status_code == 404
    if name != "document" and name != "record":
        post_b = client.post(reverse(f"coordination:{name}", args=on_b(world)), {"text": "x"})
        assert post_b.status_code == 404
    crossed = reverse("coordination:document", args=[world.record_a.pk, world.doc_b.pk])
    assert client.get(crossed).status_code == 404


def test_list_shows_only_partner_records(world: World) -> None:
    page = fcorre_client(world.external.user).get(reverse("coordination:home")).content.decode()
    assert "MARTIN" in page
    assert "DURAND" not in page and "BERNARD" not in page
    assert "Annuaire" not in page and "Profils de droits" not in page
    assert (
        "Partenaires"
        not in fcorre_client(world.external.user)
        .get(reverse("coordination:record", args=[world.record_a.pk]))
        .content.decode()
    )


def test_contributor_writes_in_the_log_and_adds_documents(world: World) -> None:
    client = fcorre_client(world.external.user)
    url = reverse("coordination:liaison", args=[world.record_a.pk])
    assert client.post(url, {"text": "Renouvellement d'ordonnance."}).status_code == 302
    entry = world.record_a.liaison_entries.get()
    assert entry.author == world.external.user
    event = AuditEvent.objects.filter(action="coordination.liaison_add").last()
    assert event is not None and event.detail["external_identifier"] == "fcorre"
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("ordo.pdf", b"%PDF", "application/pdf")
    docs = reverse("coordination:documents", args=[world.record_a.pk])
    assert client.post(docs, {"title": "Ordonnance", "file": upload}).status_code == 302


def test_read_only_profile_cannot_write(world: World, structure_a: Structure) -> None:
    world.external.profile = profile(structure_a, "Partenaire externe lecture seule")
    world.external.save()
    client = fcorre_client(world.external.user)
    url = reverse("coordination:liaison", args=[world.record_a.pk])
    assert client.get(url).status_code == 200
    assert "Nouvelle entrée" not in client.get(url).content.decode()
    assert client.post(url, {"text": "x"}).status_code == 404
    assert world.record_a.liaison_entries.count() == 0


def test_reads_are_audited_naming_the_person(world: World) -> None:
    client = fcorre_client(world.external.user)
    client.get(reverse("coordination:record", args=[world.record_a.pk]))
    client.get(reverse("coordination:document", args=[world.record_a.pk, world.doc_a.pk]))
    read = AuditEvent.objects.filter(action="coordination.record_read").get()
    assert read.actor == world.external.user
    assert read.target_id == str(world.record_a.pk)
    assert read.detail["external_identifier"] == "fcorre"
    assert read.detail["person"] == "François CORRE"
    assert AuditEvent.objects.filter(action="coordination.document_read").count() == 1


def test_access_removal_and_detach_apply_to_an_open_session(world: World, camille: User) -> None:
    client = fcorre_client(world.external.user)
    url = reverse("coordination:record", args=[world.record_a.pk])
    assert client.get(url).status_code == 200
    operations.set_partner_access(ctx_for(camille), world.partner_a, False)
    assert client.get(url).status_code == 404
    assert "MARTIN" not in client.get(reverse("coordination:home")).content.decode()
    operations.set_partner_access(ctx_for(camille), world.partner_a, True)
    assert client.get(url).status_code == 200
    operations.detach_partner(ctx_for(camille), world.partner_a)
    assert client.get(url).status_code == 404


def test_suspended_account_is_logged_out(world: World, camille: User) -> None:
    client = fcorre_client(world.external.user)
    url = reverse("coordination:record", args=[world.record_a.pk])
    assert client.get(url).status_code == 200
    changes = operations.ExternalChanges("François", "Corre", world.external.profile, None, True)
    operations.modify_external_account(ctx_for(camille), world.external, changes)
    response = client.get(url)
    assert response.status_code == 302 and "/connexion/" in response["Location"]


def test_no_limit_on_the_number_of_records(world: World, structure_a: Structure) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = fcorre_client(world.external.user)
    client.get(reverse("coordination:home"))  # the first request stamps the session
    with CaptureQueriesContext(connection) as one_record:
        client.get(reverse("coordination:home"))
    contact = world.partner_a.contact
    extra = [
        operations.create_record(
            cli_context(),
            structure_a,
            operations.RecordInput(last_name=f"Usager{i}", first_name="X", birth_date="01/01/1950"),
        )
        for i in range(60)
    ]
    for record in extra:
        operations.attach_partner(cli_context(), record, contact, "medecin_traitant")
    with CaptureQueriesContext(connection) as many_records:
        first = client.get(reverse("coordination:home")).content.decode()
    assert len(many_records) == len(one_record)  # no query per record
    second = client.get(reverse("coordination:home"), {"page": 2}).content.decode()
    assert "61 dossiers" in first
    assert all(r.last_name in first + second for r in extra)
    assert "DURAND" not in first + second


def test_attached_to_a_regular_structure_sees_its_records(
    alice: User, world: World, structure_a: Structure
) -> None:
    contact = operations.create_contact(
        cli_context(), structure_a, operations.ContactInput(last_name="Interim", email="i@x.fr")
    )
    credentials = operations.create_external_account_manual(
        ctx_for(alice),
        contact,
        "interim",
        profile(structure_a, "Partenaire externe lecture seule"),
        structure_a,
    )
    page = fcorre_client(credentials.external.user).get(reverse("coordination:home"))
    text = page.content.decode()
    assert "MARTIN" in text and "DURAND" in text and "BERNARD" not in text


def test_no_structure_list_nor_account_through_the_api(world: World) -> None:
    client = fcorre_client(world.external.user)
    assert client.get("/api/v1/structures").status_code == 404
    from tests.factories import make_account

    staff = make_account(world.record_a.structure, "PER", "staff@ch-a.fr")
    assert client.get(f"/api/v1/accounts/{staff.pk}").status_code == 404


def test_one_account_for_every_structure_that_invites_it(
    world: World, structure_b: Structure, bob: User, camille: User
) -> None:
    """Structure B adds the same person to its directory: nothing links it to fcorre by
    email (M2). B invites the address; fcorre accepts; then B's record opens to the same
    account, with B's profile, and B alone can suspend it for B's records."""
    contact_b = operations.create_contact(
        cli_context(),
        structure_b,
        operations.ContactInput(last_name="Corre", email="francois.corre@cabinet-centre.fr"),
    )
    assert contact_b.external_account is None
    partner_c = operations.attach_partner(cli_context(), world.record_c, contact_b, "autre")
    client = fcorre_client(world.external.user)
    record_c = reverse("coordination:record", args=[world.record_c.pk])
    assert client.get(record_c).status_code == 404
    coord_b = member(structure_b, "coord.b@clinique-b.fr", "Coordinateur interne")
    reader_b = profile(structure_b, "Partenaire externe lecture seule")
    assert (
        operations.create_external_account(ctx_for(coord_b), partner_c, "fcorreb", reader_b) is None
    )
    assert client.get(record_c).status_code == 404  # invited, not accepted yet
    home = client.get(reverse("coordination:home")).content.decode()
    assert structure_b.name in home and "Accepter" in home
    grant = ExternalGrant.objects.get(structure=structure_b)
    accepted = client.post(reverse("coordination:invitation_accept", args=[grant.pk]))
    assert accepted.status_code == 302
    assert client.get(record_c).status_code == 200
    liaison_c = reverse("coordination:liaison", args=[world.record_c.pk])
    assert client.post(liaison_c, {"text": "x"}).status_code == 404  # B's read-only profile
    record_a = reverse("coordination:record", args=[world.record_a.pk])
    operations.set_structure_suspension(ctx_for(coord_b), structure_b, world.external, True)
    assert client.get(record_c).status_code == 404
    assert client.get(record_a).status_code == 200  # A's records do not depend on B
    operations.set_structure_suspension(ctx_for(coord_b), structure_b, world.external, False)
    assert client.get(record_c).status_code == 200
    assert client.get(reverse("coordination:record", args=[world.record_b.pk])).status_code == 404


def test_invitations_are_the_partners_own(
    world: World, structure_b: Structure, camille: User
) -> None:
    stranger = operations.create_contact(
        cli_context(),
        structure_b,
        operations.ContactInput(last_name="Corre", email="francois.corre@cabinet-centre.fr"),
    )
    partner_c = operations.attach_partner(cli_context(), world.record_c, stranger, "autre")
    coord_b = member(structure_b, "coord.b@clinique-b.fr", "Coordinateur interne")
    operations.create_external_account(
        ctx_for(coord_b),
        partner_c,
        "fcorreb",
        profile(structure_b, "Partenaire externe lecture seule"),
    )
    grant = ExternalGrant.objects.get(structure=structure_b)
    url = reverse("coordination:invitation_accept", args=[grant.pk])
    internal = Client()
    internal.force_login(camille)
    assert internal.post(url).status_code == 404
    grant.refresh_from_db()
    assert grant.accepted_at is None
    assert fcorre_client(world.external.user).get(url).status_code == 405
