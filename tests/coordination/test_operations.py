"""Coordination operations: permission, validation, writes and their audit events."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from caducee.audit.models import AuditEvent
from caducee.coordination import operations
from caducee.coordination.models import (
    Contact,
    ExternalAccount,
    ExternalStatus,
    LiaisonEntry,
    Partner,
    Record,
    RightsProfile,
)
from caducee.coordination.permissions import PERMISSIONS
from caducee.core.context import Context, cli_context
from caducee.core.errors import Forbidden, Invalid, NotFound
from caducee.people.models import User
from caducee.referentials.text import first_free
from caducee.structures.models import Structure
from tests.coordination.conftest import member, profile
from tests.helpers import ctx_for
from tests.smtp_sink import SmtpSink, url_in


def last_event(action: str | None = None) -> AuditEvent:
    events = AuditEvent.objects.order_by("-seq")
    if action:
        events = events.filter(action=action)
    event = events.first()
    assert event is not None
    return event


class TestDefaults:
    def test_external_structure_is_created_once_without_domain(self, db: None) -> None:
        first = operations.external_home_structure()
        again = operations.external_home_structure()
        assert first.pk == again.pk
        assert first.name == "Utilisateur externe"
        assert first.is_external and first.domain is None
        assert first.id_type == "SIRET" and first.id_number == operations.EXTERNAL_SIRET
        from caducee.referentials.identifiers import validate_siret

        assert validate_siret(first.id_number) == first.id_number

    def test_default_profiles(self, structure_a: Structure) -> None:
        profiles = {p.name: p for p in operations.ensure_default_profiles(structure_a)}
        assert set(profiles) == {
            "Coordinateur interne",
            "Lecteur interne",
            "Partenaire externe lecture seule",
            "Partenaire externe contributeur",
        }
        assert profiles["Coordinateur interne"].permission_set == set(PERMISSIONS)
        assert profiles["Partenaire externe lecture seule"].permission_set == {
            "record.read",
            "liaison.read",
        }
        assert profiles["Partenaire externe contributeur"].permission_set == {
            "record.read",
            "liaison.read",
            "liaison.write",
            "document.add",
        }
        assert operations.ensure_default_profiles(structure_a)  # idempotent
        assert RightsProfile.objects.filter(structure=structure_a).count() == 4


class TestProfiles:
    def test_admin_creates_updates_and_deletes(self, alice: User, structure_a: Structure) -> None:
        created = operations.create_profile(
            ctx_for(alice), structure_a, "Secrétariat", "interne", ["record.read", "record.create"]
        )
        assert last_event().action == "coordination.profile_create"
        operations.update_profile(ctx_for(alice), created, "Secrétariat", ["record.read"])
        assert created.permission_set == {"record.read"}
        assert last_event().detail["before"]["permissions"] == ["record.read", "record.create"]
        operations.delete_profile(ctx_for(alice), created)
        assert last_event().action == "coordination.profile_delete"
        assert not RightsProfile.objects.filter(pk=created.pk).exists()

    def test_external_profile_cannot_hold_internal_rights(
        self, alice: User, structure_a: Structure
    ) -> None:
        with pytest.raises(Invalid) as exc:
            operations.create_profile(
                ctx_for(alice),
                structure_a,
                "Trop large",
                "externe",
                ["record.read", "partner.manage"],
            )
        assert "Rattacher" in exc.value.problems[0].message

    def test_unknown_permission_and_duplicate_name(
        self, alice: User, structure_a: Structure
    ) -> None:
        with pytest.raises(Invalid) as exc:
            operations.create_profile(
                ctx_for(alice), structure_a, "Lecteur interne", "interne", ["record.fly"]
            )
        codes = {p.code for p in exc.value.problems}
        assert codes == {"unique", "unknown"}

    def test_used_profile_is_not_deleted(
        self, alice: User, camille: User, structure_a: Structure
    ) -> None:
        with pytest.raises(Invalid):
            operations.delete_profile(ctx_for(alice), profile(structure_a, "Coordinateur interne"))

    def test_other_structure_admin_gets_404(self, bob: User, structure_a: Structure) -> None:
        with pytest.raises(NotFound):
            operations.create_profile(ctx_for(bob), structure_a, "X", "interne", [])

    def test_member_not_admin_is_refused(self, camille: User, structure_a: Structure) -> None:
        with pytest.raises(Forbidden):
            operations.create_profile(ctx_for(camille), structure_a, "X", "interne", [])


class TestMemberships:
    def test_admin_gives_a_profile_to_an_account_of_the_structure(
        self, alice: User, structure_a: Structure
    ) -> None:
        from tests.factories import make_account

        account = make_account(structure_a, "PER", "dr.who@ch-a.fr")
        reader = profile(structure_a, "Lecteur interne")
        membership = operations.set_membership(
            ctx_for(alice), structure_a, "DR.WHO@ch-a.fr", reader
        )
        assert membership.user == account.user
        event = last_event()
        assert event.action == "coordination.membership_set" and event.actor == alice
        operations.remove_membership(ctx_for(alice), membership)
        assert last_event().action == "coordination.membership_remove"

    def test_person_of_another_structure_is_refused(
        self, alice: User, structure_a: Structure, structure_b: Structure
    ) -> None:
        from tests.factories import make_account

        make_account(structure_b, "PER", "ailleurs@clinique-b.fr")
        with pytest.raises(Invalid):
            operations.set_membership(
                ctx_for(alice),
                structure_a,
                "ailleurs@clinique-b.fr",
                profile(structure_a, "Lecteur interne"),
            )


class TestRecords:
    def test_coordinator_creates_and_searches(self, camille: User, structure_a: Structure) -> None:
        record = operations.create_record(
            ctx_for(camille),
            structure_a,
            operations.RecordInput(
                last_name="  martin ",
                first_name="Jeanne",
                birth_date="12/03/1941",
                postal_code="81000",
                city="albi",
                phone="05 63 00 00 00",
                team=[camille.pk],
            ),
        )
        assert record.last_name == "MARTIN" and record.city == "ALBI"
        assert record.phone == "0563000000"
        assert list(record.team.all()) == [camille]
        event = last_event()
        assert event.action == "coordination.record_create" and event.actor == camille
        ctx = ctx_for(camille)
        assert list(operations.search_records(ctx, "mart")) == [record]
        assert list(operations.search_records(ctx, "12/03/1941")) == [record]
        assert list(operations.search_records(ctx, "durand")) == []
        # A command on the server sees every record; a context without a person does not.
        assert list(operations.search_records(cli_context(), "mart")) == [record]
        assert list(operations.search_records(Context(user=None, channel="api"))) == []

    def test_bad_input_is_explained(self, camille: User, structure_a: Structure) -> None:
        with pytest.raises(Invalid) as exc:
            operations.create_record(
                ctx_for(camille),
                structure_a,
                operations.RecordInput(
                    last_name="", first_name="A", birth_date="31/02/1990", postal_code="810"
                ),
            )
        fields = {p.field for p in exc.value.problems}
        assert fields == {"last_name", "birth_date", "postal_code"}
        assert Record.objects.count() == 0
        # The platform's one postal-code rule: 4 digits get their leading zero back.
        record = operations.create_record(
            ctx_for(camille),
            structure_a,
            operations.RecordInput(
                last_name="Petit", first_name="Léa", birth_date="02/01/1950", postal_code="1000"
            ),
        )
        assert record.postal_code == "01000"

    def test_team_must_be_of_the_structure(
        self, camille: User, bob: User, structure_a: Structure
    ) -> None:
        with pytest.raises(Invalid):
            operations.create_record(
                ctx_for(camille),
                structure_a,
                operations.RecordInput(
                    last_name="X", first_name="Y", birth_date="01/01/1950", team=[bob.pk]
                ),
            )

    def test_reader_cannot_create(self, lucas: User, structure_a: Structure) -> None:
        with pytest.raises(Forbidden):
            operations.create_record(
                ctx_for(lucas),
                structure_a,
                operations.RecordInput(last_name="X", first_name="Y", birth_date="01/01/1950"),
            )

    def test_other_structure_gets_404(self, bob: User, structure_a: Structure) -> None:
        with pytest.raises(NotFound):
            operations.create_record(
                ctx_for(bob),
                structure_a,
                operations.RecordInput(last_name="X", first_name="Y", birth_date="01/01/1950"),
            )

    def test_update_is_audited_with_changes(self, camille: User, record_a: Record) -> None:
        operations.update_record(
            ctx_for(camille),
            record_a,
            operations.RecordInput(
                last_name="Martin", first_name="Jeanne", birth_date="12/03/1941", city="Castres"
            ),
        )
        event = last_event()
        assert event.action == "coordination.record_update"
        assert event.detail["changes"] == {"city": ["", "CASTRES"]}


class TestLiaison:
    def test_entry_names_the_person(self, camille: User, record_a: Record) -> None:
        entry = operations.add_liaison_entry(
            ctx_for(camille), record_a, "Passage infirmier : tension stable.", "01/02/2024"
        )
        assert entry.author == camille
        assert "camille.coord@ch-a.fr" in entry.author_label
        assert str(entry.occurred_on) == "2024-02-01"
        assert last_event().action == "coordination.liaison_add"
        entry.text = "changé"
        with pytest.raises(ValueError, match="ne peut pas être modifiée"):
            entry.save()

    def test_empty_or_future_entry_is_refused(self, camille: User, record_a: Record) -> None:
        with pytest.raises(Invalid):
            operations.add_liaison_entry(ctx_for(camille), record_a, "   ")
        with pytest.raises(Invalid):
            operations.add_liaison_entry(ctx_for(camille), record_a, "texte", "01/01/2999")
        assert LiaisonEntry.objects.count() == 0

    def test_reader_reads_but_does_not_write(self, lucas: User, record_a: Record) -> None:
        assert list(operations.liaison_entries(ctx_for(lucas), record_a)) == []
        with pytest.raises(Forbidden):
            operations.add_liaison_entry(ctx_for(lucas), record_a, "texte")


class TestDocuments:
    def test_stored_under_home_with_safe_name(self, camille: User, record_a: Record) -> None:
        document = operations.attach_document(
            ctx_for(camille),
            record_a,
            "Ordonnance",
            "../../etc/ordo donnance.PDF",
            io.BytesIO(b"%PDF-1.4 contenu"),
            "application/pdf",
        )
        # The default storage keeps today's layout: CADUCEE_HOME/files/coordination/…
        path = Path(settings.MEDIA_ROOT) / "coordination" / document.stored_name
        assert path.read_bytes() == b"%PDF-1.4 contenu"
        assert not [p for p in path.parent.iterdir() if p != path]  # no temporary left
        assert path.suffix == ".pdf" and ".." not in document.stored_name
        assert document.original_name == "ordo donnance.PDF"
        assert document.size == 16 and len(document.sha256) == 64
        assert last_event().action == "coordination.document_add"

    @override_settings(COORDINATION_MAX_UPLOAD_MB=1)
    def test_size_limit(self, camille: User, record_a: Record) -> None:
        with pytest.raises(Invalid) as exc:
            operations.attach_document(
                ctx_for(camille), record_a, "Gros", "gros.bin", io.BytesIO(b"x" * (1024 * 1024 + 1))
            )
        assert "1 Mo" in exc.value.message
        assert record_a.documents.count() == 0
        folder = Path(settings.MEDIA_ROOT) / "coordination" / str(record_a.structure_id)
        leftovers = list(folder.rglob("*")) if folder.exists() else []
        assert not [p for p in leftovers if p.is_file()]

    def test_empty_file_is_refused(self, camille: User, record_a: Record) -> None:
        with pytest.raises(Invalid):
            operations.attach_document(ctx_for(camille), record_a, "", "vide.txt", io.BytesIO(b""))

    def test_reader_cannot_add(self, lucas: User, record_a: Record) -> None:
        with pytest.raises(Forbidden):
            operations.attach_document(ctx_for(lucas), record_a, "", "a.txt", io.BytesIO(b"a"))


class TestContacts:
    def test_create_normalises(self, camille: User, structure_a: Structure) -> None:
        contact = operations.create_contact(
            ctx_for(camille),
            structure_a,
            operations.ContactInput(last_name="corre", first_name="François", email="F@X.FR"),
        )
        assert contact.last_name == "CORRE" and contact.email == "f@x.fr"
        assert last_event().action == "coordination.contact_create"

    def test_bad_email(self, camille: User, structure_a: Structure) -> None:
        with pytest.raises(Invalid) as exc:
            operations.create_contact(
                ctx_for(camille),
                structure_a,
                operations.ContactInput(last_name="X", email="pas-une-adresse"),
            )
        assert exc.value.problems[0].field == "email"

    def test_reader_cannot_manage_contacts(self, lucas: User, structure_a: Structure) -> None:
        with pytest.raises(Forbidden):
            operations.create_contact(
                ctx_for(lucas), structure_a, operations.ContactInput(last_name="X")
            )

    def test_search_by_first_letters(self, corre: Contact, structure_a: Structure) -> None:
        assert operations.search_contacts(structure_a, "Cor") == [corre]
        assert operations.search_contacts(structure_a, "fran") == [corre]
        assert operations.search_contacts(structure_a, "rre") == []

    def test_regional_directory_entries_are_found_and_imported(
        self, camille: User, structure_a: Structure, structure_b: Structure
    ) -> None:
        from caducee.accounts.models import AccountState
        from tests.factories import make_account

        visible = make_account(structure_b, "PER", "p.lefevre@clinique-b.fr", last_name="LEFEVRE")
        visible.visible = True
        visible.state = AccountState.VALID
        visible.save()
        hidden = make_account(structure_b, "PER", "l.lefort@clinique-b.fr", last_name="LEFORT")
        found = operations.directory_candidates("lef")
        assert visible in found and hidden not in found
        contact = operations.import_directory_contact(ctx_for(camille), structure_a, visible.pk)
        assert contact.email == "p.lefevre@clinique-b.fr" and contact.directory_account == visible
        assert contact.structure == structure_a
        assert last_event().action == "coordination.contact_import"
        again = operations.import_directory_contact(ctx_for(camille), structure_a, visible.pk)
        assert again.pk == contact.pk
        with pytest.raises(NotFound):
            operations.import_directory_contact(ctx_for(camille), structure_a, hidden.pk)


class TestPartners:
    def test_attach_detach_and_access(
        self, camille: User, record_a: Record, corre: Contact
    ) -> None:
        partner = operations.attach_partner(ctx_for(camille), record_a, corre, "medecin_traitant")
        event = last_event()
        assert event.action == "coordination.partner_attach" and event.actor == camille
        with pytest.raises(Invalid):
            operations.attach_partner(ctx_for(camille), record_a, corre, "pharmacien")
        operations.set_partner_access(ctx_for(camille), partner, False)
        partner.refresh_from_db()
        assert not partner.access_enabled
        assert last_event().detail["enabled"] is False
        operations.detach_partner(ctx_for(camille), partner)
        assert not Partner.objects.exists()
        assert last_event().action == "coordination.partner_detach"

    def test_contact_type_is_required(
        self, camille: User, record_a: Record, corre: Contact
    ) -> None:
        with pytest.raises(Invalid):
            operations.attach_partner(ctx_for(camille), record_a, corre, "")

    def test_contact_of_another_structure_is_unknown(
        self, bob: User, record_a: Record, record_c: Record, structure_b: Structure
    ) -> None:
        other = operations.create_contact(
            cli_context(), structure_b, operations.ContactInput(last_name="Autre")
        )
        with pytest.raises(NotFound):
            operations.attach_partner(cli_context(), record_a, other, "autre")
        with pytest.raises(NotFound):
            operations.attach_partner(ctx_for(bob), record_a, other, "autre")

    def test_reader_cannot_manage_partners(
        self, lucas: User, record_a: Record, corre: Contact
    ) -> None:
        with pytest.raises(Forbidden):
            operations.attach_partner(ctx_for(lucas), record_a, corre, "autre")


class TestIdentifier:
    def test_initial_and_name_without_accents(self, db: None) -> None:
        assert operations.suggest_identifier("François", "Corre") == "fcorre"
        assert operations.suggest_identifier("Élodie", "Le Bihan-Noël") == "elebihannoel"
        assert operations.suggest_identifier("", "") == "partenaire"

    def test_made_unique_with_a_number(self, fcorre_account: ExternalAccount) -> None:
        assert operations.suggest_identifier("Fanny", "Corre") == "fcorre2"

    def test_first_free_suffix(self) -> None:
        assert first_free("fcorre", set()) == "fcorre"
        assert first_free("fcorre", {"fcorre", "fcorre2", "fcorre4"}) == "fcorre3"


@pytest.mark.parametrize("origin", ["auto", "manual"])
def test_one_creation_event_per_external_account(
    origin: str, alice: User, camille: User, corre_partner: Partner, structure_a: Structure
) -> None:
    """`_new_external` writes the creation event itself: once, with the path's details."""
    chosen = profile(structure_a, "Partenaire externe lecture seule")
    if origin == "auto":
        operations.create_external_account(ctx_for(camille), corre_partner, "fcorre", chosen)
    else:
        operations.create_external_account_manual(
            ctx_for(alice), corre_partner.contact, "fcorre", chosen
        )
    events = AuditEvent.objects.filter(action="coordination.external_create")
    assert events.count() == 1
    detail = events.get().detail
    assert detail["origin"] == origin and detail["identifier"] == "fcorre"
    assert detail["home_structure"] == "Utilisateur externe"
    assert ("record" in detail) == (origin == "auto")
    assert ("opens_structure_data" in detail) == (origin == "manual")


class TestAutomaticCreation:
    def test_creates_pending_account_and_mails_activation(
        self,
        camille: User,
        corre_partner: Partner,
        structure_a: Structure,
        smtp_sink: SmtpSink,
        django_capture_on_commit_callbacks: object,
    ) -> None:
        contributor = profile(structure_a, "Partenaire externe contributeur")
        with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
            external = operations.create_external_account(
                ctx_for(camille), corre_partner, "fcorre", contributor
            )
            assert external is not None
        assert external.status == ExternalStatus.PENDING
        assert external.home_structure.name == "Utilisateur externe"
        assert external.owner_structure == structure_a
        assert external.user.email == "francois.corre@cabinet-centre.fr"
        assert not external.user.has_usable_password()
        corre_partner.contact.refresh_from_db()
        assert corre_partner.contact.external_account == external
        event = last_event("coordination.external_create")
        assert event.actor == camille and event.detail["identifier"] == "fcorre"
        mail = smtp_sink.wait_for("francois.corre@cabinet-centre.fr")
        assert "Activez" in mail.subject
        assert "/coordination/activation/" in url_in(mail)
        assert "fcorre" in mail.text and mail.html

    def test_needs_an_email_and_a_profile(
        self, camille: User, record_a: Record, structure_a: Structure
    ) -> None:
        no_mail = operations.create_contact(
            cli_context(), structure_a, operations.ContactInput(last_name="Sansmail")
        )
        partner = operations.attach_partner(cli_context(), record_a, no_mail, "autre")
        with pytest.raises(Invalid) as exc:
            operations.create_external_account(
                ctx_for(camille),
                partner,
                "xsansmail",
                profile(structure_a, "Partenaire externe lecture seule"),
            )
        assert "adresse mail" in exc.value.message
        mailed = operations.create_contact(
            cli_context(),
            structure_a,
            operations.ContactInput(last_name="Avecmail", email="a@b.fr"),
        )
        partner = operations.attach_partner(cli_context(), record_a, mailed, "autre")
        with pytest.raises(Invalid):
            operations.create_external_account(ctx_for(camille), partner, "aavecmail", None)
        with pytest.raises(Invalid):
            operations.create_external_account(
                ctx_for(camille), partner, "aavecmail", profile(structure_a, "Lecteur interne")
            )
        assert not ExternalAccount.objects.exists()
        assert not User.objects.filter(email="a@b.fr").exists()

    def test_identifier_rules(
        self,
        camille: User,
        corre_partner: Partner,
        structure_a: Structure,
        fcorre_account: ExternalAccount,
    ) -> None:
        other = operations.create_contact(
            cli_context(),
            structure_a,
            operations.ContactInput(last_name="Corre", first_name="Fanny", email="fanny@x.fr"),
        )
        partner = operations.attach_partner(cli_context(), corre_partner.record, other, "aidant")
        reader = profile(structure_a, "Partenaire externe lecture seule")
        with pytest.raises(Invalid) as exc:
            operations.create_external_account(ctx_for(camille), partner, "FCorre", reader)
        assert "fcorre2" in exc.value.message
        with pytest.raises(Invalid):
            operations.create_external_account(ctx_for(camille), partner, "f corre@x", reader)
        external = operations.create_external_account(ctx_for(camille), partner, "fcorre2", reader)
        assert external is not None
        assert external.identifier == "fcorre2"

    def test_without_the_right(
        self, lucas: User, corre_partner: Partner, structure_a: Structure
    ) -> None:
        with pytest.raises(Forbidden):
            operations.create_external_account(
                ctx_for(lucas),
                corre_partner,
                "fcorre",
                profile(structure_a, "Partenaire externe lecture seule"),
            )

    def test_internal_persons_email_gets_a_notice_not_an_account(
        self,
        camille: User,
        record_a: Record,
        structure_a: Structure,
        smtp_sink: SmtpSink,
        django_capture_on_commit_callbacks: object,
    ) -> None:
        """No error tells the coordinator that the address is someone's login: the address
        owner is told by email, and no external account is made of their login."""
        contact = operations.create_contact(
            cli_context(),
            structure_a,
            operations.ContactInput(last_name="Coord", email=camille.email),
        )
        partner = operations.attach_partner(cli_context(), record_a, contact, "autre")
        with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
            result = operations.create_external_account(
                ctx_for(camille),
                partner,
                "ccoord",
                profile(structure_a, "Partenaire externe lecture seule"),
            )
        assert result is None and not ExternalAccount.objects.exists()
        contact.refresh_from_db()
        assert contact.invited_at is not None and contact.external_account is None
        assert last_event().action == "coordination.external_invite"
        mail = smtp_sink.wait_for(camille.email)
        assert "propre adresse" in mail.text


class TestActivation:
    def test_activation_sets_names_password_and_mails_recap(
        self,
        camille: User,
        corre_partner: Partner,
        structure_a: Structure,
        smtp_sink: SmtpSink,
        django_capture_on_commit_callbacks: object,
    ) -> None:
        with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
            external = operations.create_external_account(
                ctx_for(camille),
                corre_partner,
                "fcorre",
                profile(structure_a, "Partenaire externe contributeur"),
            )
            assert external is not None
        token = url_in(smtp_sink.wait_for(external.user.email)).rstrip("/").rsplit("/", 1)[1]
        assert operations.activation_target(token) == external
        with pytest.raises(Invalid):
            operations.activate_external_account(cli_context(), token, "", "")
        with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
            credentials = operations.activate_external_account(
                cli_context(), token, "Corre", "François"
            )
        external.refresh_from_db()
        assert external.status == ExternalStatus.ACTIVE and external.activated_at
        assert external.user.check_password(credentials.password)
        assert len(credentials.password) >= 20
        assert credentials.login_url.endswith("/connexion/")
        event = last_event("coordination.external_activate")
        assert event.actor == external.user and event.detail["person"] == "François CORRE"
        recap = smtp_sink.wait_for(external.user.email, match=lambda m: "activé" in m.subject)
        assert "fcorre" in recap.text
        assert credentials.password not in recap.text and credentials.password not in recap.html
        with pytest.raises(NotFound):  # single use
            operations.activate_external_account(cli_context(), token, "Corre", "François")

    def test_expired_link(
        self, camille: User, corre_partner: Partner, structure_a: Structure
    ) -> None:
        from datetime import timedelta

        from django.utils import timezone

        from caducee.identity.models import ActionLink

        external = operations.create_external_account(
            ctx_for(camille),
            corre_partner,
            "fcorre",
            profile(structure_a, "Partenaire externe contributeur"),
        )
        assert external is not None
        link = ActionLink.objects.get(user=external.user, purpose=operations.ACTIVATION_PURPOSE)
        days = (link.expires_at - timezone.now()).days
        assert days in {
            settings.COORDINATION_EXTERNAL_ACTIVATION_DAYS - 1,
            settings.COORDINATION_EXTERNAL_ACTIVATION_DAYS,
        }
        ActionLink.objects.filter(pk=link.pk).update(
            expires_at=timezone.now() - timedelta(seconds=1)
        )
        operations.resend_activation(ctx_for(camille), external)
        assert last_event().action == "coordination.external_activation_resent"


class TestManualCreation:
    def test_admin_creates_an_active_account(
        self, fcorre_credentials: operations.Credentials, alice: User
    ) -> None:
        external = fcorre_credentials.external
        assert external.status == ExternalStatus.ACTIVE and external.origin == "manual"
        assert external.home_structure.is_external
        assert external.user.check_password(fcorre_credentials.password)
        event = last_event("coordination.external_create")
        assert event.actor == alice and event.detail["origin"] == "manual"
        assert event.detail["opens_structure_data"] is False

    def test_non_admin_is_refused(
        self, camille: User, corre: Contact, structure_a: Structure
    ) -> None:
        with pytest.raises(Forbidden):
            operations.create_external_account_manual(
                ctx_for(camille),
                corre,
                "fcorre",
                profile(structure_a, "Partenaire externe lecture seule"),
            )

    def test_attached_to_another_structure_is_flagged(
        self, alice: User, corre: Contact, structure_a: Structure
    ) -> None:
        credentials = operations.create_external_account_manual(
            ctx_for(alice),
            corre,
            "fcorre",
            profile(structure_a, "Partenaire externe lecture seule"),
            structure_a,
        )
        assert credentials.external.home_structure == structure_a
        assert last_event().detail["opens_structure_data"] is True

    def test_cannot_attach_to_a_structure_not_administered(
        self, alice: User, corre: Contact, structure_a: Structure, structure_b: Structure
    ) -> None:
        with pytest.raises(NotFound):
            operations.create_external_account_manual(
                ctx_for(alice),
                corre,
                "fcorre",
                profile(structure_a, "Partenaire externe lecture seule"),
                structure_b,
            )


class TestModification:
    def test_needs_its_own_right(
        self, alice: User, fcorre_account: ExternalAccount, structure_a: Structure
    ) -> None:
        reader = profile(structure_a, "Partenaire externe lecture seule")
        changes = operations.ExternalChanges("François", "Corre", reader, None, False)
        with pytest.raises(Forbidden) as exc:
            operations.modify_external_account(ctx_for(alice), fcorre_account, changes)
        assert "Modifier un compte externe" in exc.value.message
        from caducee.coordination.models import Membership

        Membership.objects.create(
            user=alice, structure=structure_a, profile=profile(structure_a, "Coordinateur interne")
        )
        operations.modify_external_account(ctx_for(alice), fcorre_account, changes)
        fcorre_account.refresh_from_db()
        assert fcorre_account.profile == reader
        assert last_event().action == "coordination.external_modify"

    def test_suspension_blocks_login(
        self, camille: User, fcorre_credentials: operations.Credentials, structure_a: Structure
    ) -> None:
        from django.contrib.auth import authenticate

        external = fcorre_credentials.external
        assert (
            authenticate(username="fcorre", password=fcorre_credentials.password) == external.user
        )
        changes = operations.ExternalChanges("François", "Corre", external.profile, None, True)
        operations.modify_external_account(ctx_for(camille), external, changes)
        assert authenticate(username="fcorre", password=fcorre_credentials.password) is None

    def test_suspension_revokes_api_tokens_and_app_passwords(
        self, camille: User, fcorre_credentials: operations.Credentials
    ) -> None:
        from caducee.api.models import ApiToken
        from caducee.api.tokens import issue_token

        external = fcorre_credentials.external
        issue_token(cli_context(), external.user, "script")
        changes = operations.ExternalChanges("François", "Corre", external.profile, None, True)
        operations.modify_external_account(ctx_for(camille), external, changes)
        assert not ApiToken.objects.filter(user=external.user, revoked_at__isnull=True).exists()
        event = AuditEvent.objects.filter(action="identity.access_revoked").latest("seq")
        assert event.detail["reason"] == "compte externe suspendu"

    def test_other_structure_does_not_see_it(
        self, bob: User, fcorre_account: ExternalAccount, structure_b: Structure
    ) -> None:
        member(structure_b, "coord.b@clinique-b.fr", "Coordinateur interne")
        with pytest.raises(NotFound):
            operations.modify_external_account(
                ctx_for(bob),
                fcorre_account,
                operations.ExternalChanges("F", "C", fcorre_account.profile, None, False),
            )


class TestExternalSeal:
    """Security review M2 / L3: invitations, per-structure suspension, no existence oracle."""

    def _pgen_of_b(self, bob: User, structure_b: Structure) -> ExternalAccount:
        gp_b = operations.create_contact(
            cli_context(),
            structure_b,
            operations.ContactInput(last_name="Generaliste", email="gp@cabinet.test"),
        )
        return operations.create_external_account_manual(
            ctx_for(bob), gp_b, "pgen", profile(structure_b, "Partenaire externe contributeur")
        ).external

    def test_manual_creation_says_nothing_about_other_structures(
        self, alice: User, bob: User, structure_a: Structure, structure_b: Structure
    ) -> None:
        self._pgen_of_b(bob, structure_b)
        from tests.factories import make_account

        staff_b = make_account(structure_b, "PER", "staff@clinique-b.fr")
        reader = profile(structure_a, "Partenaire externe lecture seule")
        answers = []
        for email in ("gp@cabinet.test", staff_b.email):
            contact = operations.create_contact(
                cli_context(), structure_a, operations.ContactInput(last_name="X", email=email)
            )
            with pytest.raises(Invalid) as exc:
                operations.create_external_account_manual(ctx_for(alice), contact, "xx", reader)
            text = exc.value.problems[0].message.replace(email, "<email>")
            assert "pgen" not in text and "compte Caducée" not in text
            assert "déjà un compte externe" not in text
            answers.append((exc.value.problems[0].code, text))
        assert answers[0] == answers[1]  # an external account or a login: the same answer

    def test_invitation_of_an_existing_account(
        self,
        camille: User,
        bob: User,
        record_a: Record,
        structure_a: Structure,
        structure_b: Structure,
        smtp_sink: SmtpSink,
        django_capture_on_commit_callbacks: object,
    ) -> None:
        pgen = self._pgen_of_b(bob, structure_b)
        gp_a = operations.create_contact(
            cli_context(),
            structure_a,
            operations.ContactInput(last_name="Generaliste", email="gp@cabinet.test"),
        )
        partner = operations.attach_partner(cli_context(), record_a, gp_a, "medecin_traitant")
        reader = profile(structure_a, "Partenaire externe lecture seule")
        with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
            assert (
                operations.create_external_account(ctx_for(camille), partner, "gp", reader) is None
            )
        event = last_event("coordination.external_invite")
        assert event.structure == structure_a and "pgen" not in str(event.detail)
        assert "pgen" not in event.target_label
        mail = smtp_sink.wait_for("gp@cabinet.test")
        assert structure_a.name in mail.text and "Accepter" in mail.text
        with pytest.raises(Invalid) as exc:  # asked twice: waiting, still no identifier
            operations.create_external_account(ctx_for(camille), partner, "gp", reader)
        assert exc.value.problems[0].code == "invited" and "pgen" not in exc.value.message
        grant = operations.pending_invitations(pgen.user).get()
        with pytest.raises(NotFound):  # only the partner accepts
            operations.accept_invitation(ctx_for(camille), grant.pk)
        operations.accept_invitation(ctx_for(pgen.user), grant.pk)
        accepted = last_event("coordination.external_share_accept")
        assert accepted.actor == pgen.user and accepted.structure == structure_a
        assert not operations.pending_invitations(pgen.user).exists()

    def test_suspension_rights_and_audit(
        self,
        camille: User,
        lucas: User,
        bob: User,
        fcorre_account: ExternalAccount,
        structure_a: Structure,
        structure_b: Structure,
    ) -> None:
        with pytest.raises(Forbidden):  # a reader of A
            operations.set_structure_suspension(ctx_for(lucas), structure_a, fcorre_account, True)
        with pytest.raises(NotFound):  # B has nothing to do with fcorre
            operations.set_structure_suspension(ctx_for(bob), structure_b, fcorre_account, True)
        with pytest.raises(NotFound):  # nor with A
            operations.set_structure_suspension(ctx_for(bob), structure_a, fcorre_account, True)
        operations.set_structure_suspension(ctx_for(camille), structure_a, fcorre_account, True)
        event = last_event()
        assert event.action == "coordination.external_suspend" and event.actor == camille
        assert event.structure == structure_a
        operations.set_structure_suspension(ctx_for(camille), structure_a, fcorre_account, False)
        assert last_event().action == "coordination.external_restore"


class TestReadsAreAudited:
    """Security review M5: internal reads are traced too; lists in one event."""

    def test_internal_read_of_a_record_and_a_document(
        self, camille: User, record_a: Record
    ) -> None:
        operations.read_record(ctx_for(camille), record_a, "liaison")
        event = last_event("coordination.record_read")
        assert event.actor == camille and event.detail["page"] == "liaison"
        document = operations.attach_document(
            cli_context(), record_a, "Bilan", "bilan.pdf", io.BytesIO(b"%PDF")
        )
        operations.open_document(ctx_for(camille), document).close()
        read = last_event("coordination.document_read")
        assert read.actor == camille and read.detail["document"] == document.pk

    def test_a_list_is_one_event_per_structure(
        self, camille: User, record_a: Record, record_b: Record, structure_a: Structure
    ) -> None:
        before = AuditEvent.objects.count()
        operations.read_record_list(ctx_for(camille), [record_a, record_b], "api", "")
        assert AuditEvent.objects.count() == before + 1
        event = last_event()
        assert event.action == "coordination.records_list" and event.structure == structure_a
        assert event.detail["count"] == 2
        assert sorted(event.detail["records"]) == sorted([record_a.pk, record_b.pk])
        operations.read_record_list(ctx_for(camille), [], "api", "zzz")
        assert AuditEvent.objects.count() == before + 1


class TestListeRouge:
    """Security review M4: the coordination directory follows the directory's rule."""

    def test_red_listed_account_is_neither_found_nor_imported(
        self, camille: User, structure_a: Structure, structure_b: Structure
    ) -> None:
        from caducee.accounts.models import AccountState
        from caducee.directory.operations import set_red_list
        from tests.factories import make_account

        account = make_account(structure_b, "PER", "p.lefevre@clinique-b.fr", last_name="LEFEVRE")
        account.visible = True
        account.state = AccountState.VALID
        account.save()
        assert account in operations.directory_candidates("lef")
        set_red_list(cli_context(), account, True)
        assert account not in operations.directory_candidates("lef")
        assert account not in operations.directory_candidates("p.lefevre")
        with pytest.raises(NotFound):
            operations.import_directory_contact(ctx_for(camille), structure_a, account.pk)
        assert not Contact.objects.filter(email=account.email).exists()


def test_a_new_address_replaces_a_pending_invitation(
    camille: User, bob: User, record_a: Record, structure_a: Structure, structure_b: Structure
) -> None:
    gp_b = operations.create_contact(
        cli_context(), structure_b, operations.ContactInput(last_name="Gp", email="gp@cabinet.test")
    )
    operations.create_external_account_manual(
        ctx_for(bob), gp_b, "pgen", profile(structure_b, "Partenaire externe contributeur")
    )
    gp_a = operations.create_contact(
        cli_context(), structure_a, operations.ContactInput(last_name="Gp", email="gp@cabinet.test")
    )
    partner = operations.attach_partner(cli_context(), record_a, gp_a, "medecin_traitant")
    reader = profile(structure_a, "Partenaire externe lecture seule")
    operations.create_external_account(ctx_for(camille), partner, "gpa", reader)
    gp_a.refresh_from_db()
    changed = operations.update_contact(
        ctx_for(camille),
        gp_a,
        operations.ContactInput(last_name="Gp", email="gp.perso@cabinet.test"),
    )
    assert changed.external_account is None and changed.invited_at is None
    partner.refresh_from_db()
    assert operations.create_external_account(ctx_for(camille), partner, "gpa", reader) is not None


def test_the_structures_own_account_is_linked_without_invitation(
    camille: User, fcorre_account: ExternalAccount, record_b: Record, structure_a: Structure
) -> None:
    twin = Contact.objects.create(
        structure=structure_a, last_name="CORRE", email=fcorre_account.user.email
    )
    partner = operations.attach_partner(cli_context(), record_b, twin, "medecin_traitant")
    reader = profile(structure_a, "Partenaire externe lecture seule")
    assert operations.create_external_account(ctx_for(camille), partner, "fc", reader) is None
    twin.refresh_from_db()
    assert twin.external_account == fcorre_account and twin.invited_at is None
    from caducee.coordination.models import ExternalGrant

    assert not ExternalGrant.objects.exists()
