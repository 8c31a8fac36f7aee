"""Coordination pages through Django's test client: the coordinator's flow and errors."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from caducee.audit.models import AuditEvent
from caducee.coordination import operations
from caducee.coordination.models import Contact, ExternalAccount, Partner, Record, RightsProfile
from caducee.core.context import cli_context
from caducee.people.models import User
from caducee.structures.models import Structure
from tests.coordination.conftest import make_record, profile
from tests.helpers import client_for, ctx_for
from tests.smtp_sink import SmtpSink, url_in


@pytest.mark.parametrize("few", [3, 100])
def test_the_record_list_pages_the_same_whether_few_or_many(
    camille: User, structure_a: Structure, few: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Up to FEW_RECORDS the ids are read once and the page fetched by id; beyond, COUNT and
    OFFSET: the same pages in the same order either way."""
    from caducee.coordination.views import records as views

    monkeypatch.setattr(views, "PAGE_SIZE", 2)
    monkeypatch.setattr(views, "FEW_RECORDS", few)
    for n in (5, 1, 4, 2, 3):
        make_record(structure_a, f"Nom{n}", "Jeanne", "01/02/1940")
    client = client_for(camille)
    shown = []
    for number in ("1", "2", "3", "9"):
        text = client.get(reverse("coordination:home"), {"page": number}).content.decode()
        shown.append(re.findall(r">(NOM\d)<", text))
        assert "5 dossiers" in text
    assert shown == [["NOM1", "NOM2"], ["NOM3", "NOM4"], ["NOM5"], ["NOM5"]]


class TestRecordsPages:
    def test_create_and_list(self, camille: User, structure_a: Structure) -> None:
        client = client_for(camille)
        page = client.get(reverse("coordination:record_create"))
        assert page.status_code == 200 and "Nouveau dossier usager" in page.content.decode()
        bad = client.post(
            reverse("coordination:record_create"),
            {"last_name": "", "first_name": "Jeanne", "birth_date": "hier"},
        )
        text = bad.content.decode()
        assert "Indiquez le nom de la personne." in text and "illisible" in text
        done = client.post(
            reverse("coordination:record_create"),
            {
                "last_name": "Martin",
                "first_name": "Jeanne",
                "birth_date": "12/03/1941",
                "team": [str(camille.pk)],
            },
        )
        record = Record.objects.get()
        assert done.status_code == 302 and done["Location"] == reverse(
            "coordination:record", args=[record.pk]
        )
        listing = client.get(reverse("coordination:home"), {"q": "mar"}).content.decode()
        assert "MARTIN" in listing
        assert (
            "MARTIN" not in client.get(reverse("coordination:home"), {"q": "zzz"}).content.decode()
        )

    def test_liaison_and_documents(self, camille: User, record_a: Record) -> None:
        client = client_for(camille)
        url = reverse("coordination:liaison", args=[record_a.pk])
        assert client.post(url, {"text": "Visite du kiné.", "occurred_on": ""}).status_code == 302
        page = client.get(url).content.decode()
        assert "Visite du kiné." in page and "camille.coord@ch-a.fr" in page
        docs = reverse("coordination:documents", args=[record_a.pk])
        from django.core.files.uploadedfile import SimpleUploadedFile

        upload = SimpleUploadedFile("compte-rendu.txt", b"CR de sortie", "text/plain")
        assert client.post(docs, {"title": "CR", "file": upload}).status_code == 302
        document = record_a.documents.get()
        download = client.get(reverse("coordination:document", args=[record_a.pk, document.pk]))
        assert download.status_code == 200
        assert b"".join(download.streaming_content) == b"CR de sortie"  # type: ignore[attr-defined]
        assert "attachment" in download["Content-Disposition"]
        missing = client.post(docs, {"title": "rien"})
        assert missing.status_code == 422 and "Choisissez un fichier" in missing.content.decode()

    def test_reader_sees_but_cannot_write(self, lucas: User, record_a: Record) -> None:
        client = client_for(lucas)
        assert client.get(reverse("coordination:record", args=[record_a.pk])).status_code == 200
        page = client.get(reverse("coordination:liaison", args=[record_a.pk])).content.decode()
        assert "Nouvelle entrée" not in page
        refused = client.post(reverse("coordination:liaison", args=[record_a.pk]), {"text": "x"})
        assert refused.status_code == 403
        assert "profil de droits" in refused.content.decode()
        assert (
            client.get(reverse("coordination:record_edit", args=[record_a.pk])).status_code == 403
        )

    def test_anonymous_goes_to_login(self, record_a: Record) -> None:
        response = Client().get(reverse("coordination:record", args=[record_a.pk]))
        assert response.status_code == 302 and "/connexion/" in response["Location"]


class TestStructureIsolation:
    def test_other_structure_gets_404_everywhere(
        self, bob: User, record_a: Record, corre_partner: Partner, structure_b: Structure
    ) -> None:
        from tests.coordination.conftest import member

        coord_b = member(structure_b, "coord.b@clinique-b.fr", "Coordinateur interne")
        for user in (bob, coord_b):
            client = client_for(user)
            for name in (
                "record",
                "record_edit",
                "liaison",
                "documents",
                "partners",
                "partner_attach",
            ):
                assert (
                    client.get(reverse(f"coordination:{name}", args=[record_a.pk])).status_code
                    == 404
                )
            detach = reverse("coordination:partner_detach", args=[record_a.pk, corre_partner.pk])
            assert client.post(detach).status_code == 404
            assert Partner.objects.filter(pk=corre_partner.pk).exists()
            listing = client.get(reverse("coordination:home")).content.decode()
            assert "MARTIN" not in listing
            contact = reverse("coordination:contact_edit", args=[corre_partner.contact_id])
            assert client.get(contact).status_code == 404


class TestPartnersTab:
    def test_attach_proposes_account_then_create(
        self,
        camille: User,
        record_a: Record,
        corre: Contact,
        smtp_sink: SmtpSink,
        django_capture_on_commit_callbacks: object,
    ) -> None:
        client = client_for(camille)
        attach = reverse("coordination:partner_attach", args=[record_a.pk])
        results = client.get(attach, {"q": "Cor"}, headers={"HX-Request": "true"}).content.decode()
        assert "CORRE François" in results and "<html" not in results
        card = client.get(attach, {"contact": corre.pk}).content.decode()
        assert "Type de contact" in card and "Médecin généraliste" in card
        missing_type = client.post(attach, {"contact": corre.pk, "contact_type": ""})
        assert "Choisissez un type de contact." in missing_type.content.decode()
        added = client.post(attach, {"contact": corre.pk, "contact_type": "medecin_traitant"})
        partner = Partner.objects.get()
        assert added["Location"].endswith(f"?proposer={partner.pk}")
        dialog = client.get(added["Location"]).content.decode()
        assert "Créer un compte externe ?" in dialog and "n'a pas de compte" in dialog
        form_url = reverse("coordination:partner_external", args=[record_a.pk, partner.pk])
        form = client.get(form_url).content.decode()
        assert 'value="fcorre"' in form
        no_profile = client.post(form_url, {"identifier": "fcorre", "profile": ""})
        assert (
            no_profile.status_code == 422 and "Choisissez un profil" in no_profile.content.decode()
        )
        contributor = profile(record_a.structure, "Partenaire externe contributeur")
        with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
            created = client.post(form_url, {"identifier": "fcorre", "profile": contributor.pk})
        assert created.status_code == 302
        listing = client.get(reverse("coordination:partners", args=[record_a.pk])).content.decode()
        assert "Pas encore connecté" in listing and 'class="mark wait"' in listing
        assert smtp_sink.wait_for("francois.corre@cabinet-centre.fr")

    def test_access_marks_and_detach(self, camille: User, fcorre_account: ExternalAccount) -> None:
        client = client_for(camille)
        partner = Partner.objects.get()
        record = partner.record
        listing = reverse("coordination:partners", args=[record.pk])
        page = client.get(listing).content.decode()
        assert "Compte actif" in page and 'class="mark ok"' in page
        access_url = reverse("coordination:partner_access", args=[record.pk, partner.pk])
        client.post(access_url, {"enabled": "0"})
        page = client.get(listing).content.decode()
        assert "Accès au dossier retiré" in page and 'class="mark off"' in page
        assert "Rétablir l'accès au dossier" in page
        client.post(access_url, {"enabled": "1"})
        assert "Compte actif" in client.get(listing).content.decode()
        client.post(reverse("coordination:partner_detach", args=[record.pk, partner.pk]))
        page = client.get(listing).content.decode()
        assert "détaché" in page and f'id="partner-{partner.pk}"' not in page

    def test_regional_directory_entry_can_be_selected(
        self, camille: User, record_a: Record, structure_b: Structure
    ) -> None:
        from caducee.accounts.models import AccountState
        from tests.factories import make_account

        account = make_account(structure_b, "PER", "p.lefevre@clinique-b.fr", last_name="LEFEVRE")
        account.visible = True
        account.state = AccountState.VALID
        account.save()
        client = client_for(camille)
        page = client.get(
            reverse("coordination:partner_attach", args=[record_a.pk]), {"q": "lef"}
        ).content.decode()
        assert "Annuaire régional" in page and "p.lefevre@clinique-b.fr" in page
        chosen = client.post(
            reverse("coordination:partner_directory", args=[record_a.pk]), {"account": account.pk}
        )
        contact = Contact.objects.get(directory_account=account)
        assert chosen["Location"].endswith(f"?contact={contact.pk}")


class TestActivationPage:
    def test_activation_shows_password_once(
        self,
        camille: User,
        corre_partner: Partner,
        structure_a: Structure,
        smtp_sink: SmtpSink,
        django_capture_on_commit_callbacks: object,
    ) -> None:
        with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
            operations.create_external_account(
                cli_context(),
                corre_partner,
                "fcorre",
                profile(structure_a, "Partenaire externe lecture seule"),
            )
        url = url_in(smtp_sink.wait_for("francois.corre@cabinet-centre.fr"))
        path = url.split("://", 1)[1].split("/", 1)[1]
        client = Client()
        form = client.get(f"/{path}")
        assert form.status_code == 200 and "Activer mon compte" in form.content.decode()
        assert 'value="CORRE"' in form.content.decode()
        with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
            done = client.post(f"/{path}", {"last_name": "Corre", "first_name": "François"})
        text = done.content.decode()
        assert done["Cache-Control"] == "no-store"
        password = re.search(r'id="password" class="secret">([^<]+)<', text)
        assert password is not None
        assert "fcorre" in text and "/connexion/" in text and "KeePass" in text
        external = ExternalAccount.objects.get()
        assert external.user.check_password(password.group(1))
        again = client.get(f"/{path}")
        assert again.status_code == 410 and "déjà été utilisé" in again.content.decode()
        recap = smtp_sink.wait_for(external.user.email, match=lambda m: "activé" in m.subject)
        assert password.group(1) not in recap.text + recap.html
        listing = client_for(camille).get(
            reverse("coordination:partners", args=[corre_partner.record_id])
        )
        assert "Compte actif" in listing.content.decode()

    def test_unknown_link(self, db: None) -> None:
        assert Client().get(reverse("coordination:activate", args=["nope"])).status_code == 404


class TestAdminPages:
    def test_profiles_crud(self, alice: User, structure_a: Structure) -> None:
        client = client_for(alice)
        page = client.get(reverse("coordination:profiles")).content.decode()
        assert "Partenaire externe contributeur" in page and "Coordinateur interne" in page
        refused = client.post(
            reverse("coordination:profile_create"),
            {"name": "Ext large", "kind": "externe", "permissions": ["partner.manage"]},
        )
        assert refused.status_code == 422
        client.post(
            reverse("coordination:profile_create"),
            {"name": "Secrétariat", "kind": "interne", "permissions": ["record.read"]},
        )
        created = RightsProfile.objects.get(name="Secrétariat")
        client.post(
            reverse("coordination:profile_edit", args=[created.pk]),
            {"name": "Secrétariat", "permissions": ["record.read", "record.create"]},
        )
        created.refresh_from_db()
        assert created.permission_set == {"record.read", "record.create"}
        client.post(reverse("coordination:profile_delete", args=[created.pk]))
        assert not RightsProfile.objects.filter(pk=created.pk).exists()

    def test_members(self, alice: User, structure_a: Structure) -> None:
        from tests.factories import make_account

        make_account(structure_a, "PER", "dr.x@ch-a.fr")
        client = client_for(alice)
        reader = profile(structure_a, "Lecteur interne")
        client.post(
            reverse("coordination:members"), {"email": "dr.x@ch-a.fr", "profile": reader.pk}
        )
        assert "dr.x@ch-a.fr" in client.get(reverse("coordination:members")).content.decode()

    def test_manual_creation_shows_credentials_once(
        self, alice: User, corre: Contact, structure_a: Structure
    ) -> None:
        client = client_for(alice)
        url = reverse("coordination:external_create")
        search = client.get(url, {"q": "cor"}).content.decode()
        assert "CORRE François" in search
        form = client.get(url, {"contact": corre.pk}).content.decode()
        assert 'value="fcorre"' in form and "Utilisateur externe" in form
        assert "aura accès aux données de celle-ci" in form
        reader = profile(structure_a, "Partenaire externe lecture seule")
        # The pages only read: « Utilisateur externe » is created by the first save.
        assert not Structure.objects.filter(is_external=True).exists()
        done = client.post(
            url,
            {"contact": corre.pk, "identifier": "fcorre", "profile": reader.pk, "home": "externe"},
        )
        text = done.content.decode()
        password = re.search(r'id="password" class="secret">([^<]+)<', text)
        assert password is not None and done["Cache-Control"] == "no-store"
        external = ExternalAccount.objects.get()
        assert external.user.check_password(password.group(1)) and external.is_active
        assert external.home_structure == Structure.objects.get(is_external=True)
        edit = client.get(
            reverse("coordination:external_edit", args=[external.pk])
        ).content.decode()
        assert "demande le droit « Modifier un compte externe »" in edit

    def test_non_admin_has_no_admin_pages(self, camille: User) -> None:
        client = client_for(camille)
        for name in ("profiles", "profile_create", "members", "external_create"):
            assert client.get(reverse(f"coordination:{name}")).status_code == 404

    def test_audit_names_the_person(self, camille: User, record_a: Record) -> None:
        client_for(camille).post(
            reverse("coordination:liaison", args=[record_a.pk]), {"text": "ok"}
        )
        event = AuditEvent.objects.filter(action="coordination.liaison_add").get()
        assert event.actor == camille and event.actor_label == camille.email


@pytest.mark.parametrize("value", ["fcorre", "FCorre "])
def test_identifier_login_backend(fcorre_credentials: operations.Credentials, value: str) -> None:
    from django.contrib.auth import authenticate

    user = fcorre_credentials.external.user
    assert authenticate(username=value, password=fcorre_credentials.password) == user
    assert authenticate(username=value, password="mauvais mot de passe") is None
    assert authenticate(username="inconnu", password=fcorre_credentials.password) is None


def test_partners_tab_query_count_does_not_grow(
    camille: User, record_a: Record, structure_a: Structure
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(camille)
    url = reverse("coordination:partners", args=[record_a.pk])

    def add(n: int) -> None:
        contact = operations.create_contact(
            cli_context(),
            structure_a,
            operations.ContactInput(last_name=f"Partenaire{n}", email=f"p{n}@x.fr"),
        )
        operations.attach_partner(cli_context(), record_a, contact, "autre")

    add(0)
    client.get(url)  # warm-up: session and caches
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for n in range(1, 12):
        add(n)
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert "PARTENAIRE11" in page
    assert len(many) == len(few)


def test_every_page_renders_for_a_coordinating_admin(
    alice: User, fcorre_account: ExternalAccount, record_a: Record, structure_a: Structure
) -> None:
    """Alice administers A and coordinates there: each GET page of the module answers 200."""
    from caducee.coordination.models import Membership

    Membership.objects.create(
        user=alice, structure=structure_a, profile=profile(structure_a, "Coordinateur interne")
    )
    partner = Partner.objects.get()
    client = client_for(alice)
    pages = [
        reverse("coordination:home"),
        reverse("coordination:record_create"),
        reverse("coordination:record", args=[record_a.pk]),
        reverse("coordination:record_edit", args=[record_a.pk]),
        reverse("coordination:liaison", args=[record_a.pk]),
        reverse("coordination:documents", args=[record_a.pk]),
        reverse("coordination:partners", args=[record_a.pk]),
        reverse("coordination:partner_attach", args=[record_a.pk]) + "?q=co",
        reverse("coordination:partner_attach", args=[record_a.pk])
        + f"?contact={partner.contact_id}",
        reverse("coordination:contacts") + "?q=co",
        reverse("coordination:contact_create"),
        reverse("coordination:contact_edit", args=[partner.contact_id]),
        reverse("coordination:profiles"),
        reverse("coordination:profile_create") + "?kind=externe",
        reverse("coordination:profile_edit", args=[fcorre_account.profile_id]),
        reverse("coordination:members"),
        reverse("coordination:externals"),
        reverse("coordination:external_create") + "?q=co",
        reverse("coordination:external_edit", args=[fcorre_account.pk]),
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == "no-store", url
    edit = client.get(reverse("coordination:external_edit", args=[fcorre_account.pk]))
    assert "demande le droit" not in edit.content.decode()  # Alice now holds external.modify


def test_admin_role_alone_opens_no_record(
    alice: User, record_a: Record, structure_a: Structure
) -> None:
    client = client_for(alice)
    record = reverse("coordination:record", args=[record_a.pk])
    assert client.get(record).status_code == 404
    assert "MARTIN" not in client.get(reverse("coordination:home")).content.decode()
    coordinator = profile(structure_a, "Coordinateur interne")
    client.post(reverse("coordination:members"), {"email": alice.email, "profile": coordinator.pk})
    assert client.get(record).status_code == 200


class TestInternalReadsAreAudited:
    """Security review M5: a coordinator's reads are in the journal, like a partner's."""

    def test_record_liaison_document_and_list(
        self, camille: User, record_a: Record, record_b: Record
    ) -> None:
        import io

        document = operations.attach_document(
            cli_context(), record_a, "Bilan", "bilan.pdf", io.BytesIO(b"%PDF")
        )
        client = client_for(camille)
        for name in ("record", "liaison", "documents", "partners"):
            assert (
                client.get(reverse(f"coordination:{name}", args=[record_a.pk])).status_code == 200
            )
        download = reverse("coordination:document", args=[record_a.pk, document.pk])
        assert client.get(download).status_code == 200
        reads = AuditEvent.objects.filter(action="coordination.record_read", actor=camille)
        assert sorted(e.detail["page"] for e in reads) == [
            "documents",
            "identity",
            "liaison",
            "partners",
        ]
        downloaded = AuditEvent.objects.get(action="coordination.document_read")
        assert downloaded.actor == camille and downloaded.detail["document"] == document.pk
        before = AuditEvent.objects.count()
        client.get(reverse("coordination:home"))
        assert AuditEvent.objects.count() == before + 1
        listed = AuditEvent.objects.order_by("-seq").first()
        assert listed is not None and listed.action == "coordination.records_list"
        assert listed.detail["count"] == 2


class TestExternalSealPages:
    """Security review M2 / L3 through the partners tab."""

    def test_invitation_answer_and_row_say_nothing_of_another_structure(
        self, camille: User, bob: User, record_a: Record, structure_b: Structure
    ) -> None:
        gp_b = operations.create_contact(
            cli_context(),
            structure_b,
            operations.ContactInput(last_name="Generaliste", email="gp@cabinet.test"),
        )
        operations.create_external_account_manual(
            ctx_for(bob), gp_b, "pgen", profile(structure_b, "Partenaire externe contributeur")
        )
        client = client_for(camille)
        answers = {}
        for email, name in (("gp@cabinet.test", "Generaliste"), ("neuf@cabinet.test", "Neuf")):
            contact = operations.create_contact(
                cli_context(),
                record_a.structure,
                operations.ContactInput(last_name=name, email=email),
            )
            partner = operations.attach_partner(cli_context(), record_a, contact, "autre")
            form = reverse("coordination:partner_external", args=[record_a.pk, partner.pk])
            reader = profile(record_a.structure, "Partenaire externe lecture seule")
            done = client.post(
                form, {"identifier": f"x{name.lower()}", "profile": reader.pk}, follow=True
            )
            page = done.content.decode().replace(email, "<email>")
            answers[name] = re.findall(r"Invitation envoyée[^<]*", page)
            assert "pgen" not in page
            row = re.search(rf'id="partner-{partner.pk}".*?</tr>', page, re.S)
            assert row is not None and "Pas encore connecté" in row.group(0)
            assert "identifiant" not in row.group(0)
        assert answers["Generaliste"] == answers["Neuf"] != []

    def test_suspend_and_restore_from_the_partners_tab(
        self, camille: User, fcorre_account: ExternalAccount
    ) -> None:
        partner = Partner.objects.get()
        record = partner.record
        partner_client = Client()
        partner_client.force_login(
            fcorre_account.user, backend="caducee.coordination.auth.ExternalIdentifierBackend"
        )
        url = reverse("coordination:record", args=[record.pk])
        assert partner_client.get(url).status_code == 200
        client = client_for(camille)
        suspend = reverse("coordination:partner_suspend", args=[record.pk, partner.pk])
        listing = reverse("coordination:partners", args=[record.pk])
        assert "Suspendre l'accès" in client.get(listing).content.decode()
        client.post(suspend, {"suspended": "1"})
        assert partner_client.get(url).status_code == 404  # at once, same session
        page = client.get(listing).content.decode()
        assert "Accès suspendu à nos dossiers" in page and "Rétablir l'accès</button>" in page
        client.post(suspend, {"suspended": "0"})
        assert partner_client.get(url).status_code == 200
        assert AuditEvent.objects.filter(action="coordination.external_suspend").count() == 1
        assert AuditEvent.objects.filter(action="coordination.external_restore").count() == 1

    def test_administrator_suspends_from_the_account_page(
        self, alice: User, bob: User, fcorre_account: ExternalAccount, record_a: Record
    ) -> None:
        from caducee.coordination import access

        edit = reverse("coordination:external_edit", args=[fcorre_account.pk])
        page = client_for(alice).get(edit).content.decode()
        assert "Accès aux dossiers de vos structures" in page
        suspend = reverse("coordination:external_suspend", args=[fcorre_account.pk])
        structure = record_a.structure
        assert client_for(bob).post(suspend, {"structure": structure.pk}).status_code == 404
        client_for(alice).post(suspend, {"structure": structure.pk, "suspended": "1"})
        assert not access.records_for(fcorre_account.user).exists()
        assert "accès suspendu" in client_for(alice).get(edit).content.decode()
        client_for(alice).post(suspend, {"structure": structure.pk, "suspended": "0"})
        assert list(access.records_for(fcorre_account.user)) == [record_a]

    def test_a_link_by_email_alone_is_not_shown(
        self, camille: User, bob: User, record_a: Record, structure_b: Structure
    ) -> None:
        """Old data: A's contact linked by email to B's account shows nothing of it."""
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
            record_a.structure,
            operations.ContactInput(last_name="Generaliste", email="gp@cabinet.test"),
        )
        Contact.objects.filter(pk=gp_a.pk).update(external_account=pgen)
        operations.attach_partner(cli_context(), record_a, gp_a, "medecin_traitant")
        client = client_for(camille)
        for url in (
            reverse("coordination:contacts"),
            reverse("coordination:partners", args=[record_a.pk]),
        ):
            page = client.get(url).content.decode()
            assert "gp@cabinet.test" in page and "pgen" not in page, url
        row = re.search(r'<tr id="partner-.*?</tr>', page, re.S)
        assert row is not None and "Pas de compte externe" in row.group(0)
