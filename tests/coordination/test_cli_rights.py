"""`caducee coordination profile|member|external …` (the server acts; events say `cli`)."""

from __future__ import annotations

import json

from caducee.coordination import operations
from caducee.coordination.models import (
    ExternalAccount,
    ExternalStatus,
    Membership,
    Partner,
    RightsProfile,
)
from caducee.people.models import User
from caducee.structures.models import Structure
from tests.coordination.conftest import profile
from tests.coordination.test_cli_records import Capsys, cli, last_event
from tests.factories import make_account
from tests.helpers import ctx_for


def test_profile_create_update_delete(capsys: Capsys, structure_a: Structure) -> None:
    code, out, err = cli(
        capsys,
        "profile",
        "create",
        "--structure",
        structure_a.name,
        "--name",
        "Secrétariat",
        "--permissions",
        "record.read, liaison.read",
    )
    assert code == 0 and "créé" in out, err
    made = RightsProfile.objects.get(name="Secrétariat")
    assert made.permissions == ["record.read", "liaison.read"]
    assert last_event("coordination.profile_create").target_id == str(made.pk)
    code, out, _ = cli(
        capsys,
        "profile",
        "update",
        "--structure",
        structure_a.name,
        "--profile",
        "secretariat",
        "--name",
        "Accueil",
    )
    assert code == 0
    made.refresh_from_db()
    assert made.name == "Accueil" and made.permissions == ["record.read", "liaison.read"]
    assert last_event("coordination.profile_update").detail["after"]["name"] == "Accueil"
    code, _, err = cli(
        capsys,
        "profile",
        "create",
        "--structure",
        structure_a.name,
        "--name",
        "X",
        "--kind",
        "externe",
        "--permissions",
        "partner.manage",
    )
    assert code == 1 and "Un profil de partenaire externe" in err
    code, out, _ = cli(
        capsys, "profile", "delete", "--structure", structure_a.name, "--profile", str(made.pk)
    )
    assert code == 0 and not RightsProfile.objects.filter(pk=made.pk).exists()
    assert last_event("coordination.profile_delete").target_id == str(made.pk)


def test_member_set_list_remove(capsys: Capsys, structure_a: Structure) -> None:
    make_account(structure_a, "MED", "nina.med@ch-a.fr")
    code, out, err = cli(
        capsys,
        "member",
        "set",
        "--structure",
        structure_a.name,
        "--email",
        "nina.med@ch-a.fr",
        "--profile",
        "Lecteur interne",
    )
    assert code == 0, err
    assert last_event("coordination.membership_set").detail["profile"] == "Lecteur interne"
    code, out, _ = cli(capsys, "member", "list", "--structure", structure_a.name, "--json")
    assert json.loads(out) == [{"email": "nina.med@ch-a.fr", "profile": "Lecteur interne"}]
    code, out, _ = cli(
        capsys, "member", "remove", "--structure", structure_a.name, "--email", "nina.med@ch-a.fr"
    )
    assert code == 0 and not Membership.objects.exists()
    assert last_event("coordination.membership_remove").detail["profile"] == "Lecteur interne"
    code, _, err = cli(
        capsys,
        "member",
        "set",
        "--structure",
        structure_a.name,
        "--email",
        "personne@ailleurs.fr",
        "--profile",
        "Lecteur interne",
    )
    assert code == 1 and "Aucune personne personne@ailleurs.fr" in err


def test_external_resend_and_modify(
    capsys: Capsys, camille: User, corre_partner: Partner, structure_a: Structure
) -> None:
    pending = operations.create_external_account(
        ctx_for(camille),
        corre_partner,
        "fcorre",
        profile(structure_a, "Partenaire externe contributeur"),
    )
    assert pending is not None
    code, out, err = cli(capsys, "external", "resend", "--identifier", "fcorre")
    assert code == 0 and "Nouveau lien d'activation" in out, err
    assert last_event("coordination.external_activation_resent").target_id == str(pending.pk)
    code, out, err = cli(
        capsys,
        "external",
        "modify",
        "--identifier",
        "fcorre",
        "--profile",
        "Partenaire externe lecture seule",
        "--deactivate",
    )
    assert code == 0, err
    external = ExternalAccount.objects.get()
    assert external.status == ExternalStatus.SUSPENDED
    assert external.profile.name == "Partenaire externe lecture seule"
    changes = last_event("coordination.external_modify").detail["changes"]
    assert changes["suspended"] == [False, True]
    cli(capsys, "external", "modify", "--identifier", "fcorre", "--reactivate")
    external.refresh_from_db()
    assert external.status == ExternalStatus.PENDING
    code, _, err = cli(capsys, "external", "resend", "--identifier", "inconnu")
    assert code == 1 and "introuvable" in err
