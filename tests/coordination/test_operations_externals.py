"""Coordination operations: external accounts (identifiers, creation, activation, changes)."""

from __future__ import annotations

import pytest
from django.conf import settings

from caducee.audit.models import AuditEvent
from caducee.coordination import operations
from caducee.coordination.models import (
    Contact,
    ExternalAccount,
    ExternalStatus,
    Partner,
    Record,
)
from caducee.core.context import cli_context
from caducee.core.errors import Forbidden, Invalid, NotFound
from caducee.people.models import User
from caducee.referentials.text import first_free
from caducee.structures.models import Structure
from tests.coordination.conftest import last_event, member, profile
from tests.helpers import ctx_for
from tests.smtp_sink import SmtpSink, url_in


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
