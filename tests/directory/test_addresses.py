from __future__ import annotations

import pytest

from caducee.audit.models import AuditEvent
from caducee.core.context import Context, cli_context
from caducee.core.errors import Invalid, NotFound
from caducee.directory.addresses import is_test_address, mssante_address
from caducee.directory.operations import assign_mssante_address, remove_mssante_address
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories

pytestmark = pytest.mark.django_db


def ctx() -> Context:
    return cli_context()


def test_it_generates_prenom_nom_without_accents_or_spaces(structure_a: Structure) -> None:
    account = factories.make_account(
        structure_a, "PER", first_name="Jean Éric", last_name="LE GOFF"
    )
    address = assign_mssante_address(ctx(), account, None)
    assert address == "jeaneric.legoff@ch-a.mssante.fr"
    assert mssante_address(account) == address
    event = AuditEvent.objects.filter(action="directory.address_assign").last()
    assert event is not None and event.detail["after"] == address
    assert event.detail["generated"] is True


def test_it_numbers_collisions_across_the_platform(
    structure_a: Structure, structure_b: Structure
) -> None:
    first = factories.make_account(structure_a, "PER", first_name="Anaïs", last_name="D'ARC")
    second = factories.make_account(structure_a, "PER", first_name="Anais", last_name="DARC")
    third = factories.make_account(structure_b, "PER", first_name="Anaïs", last_name="Darc")
    assert assign_mssante_address(ctx(), first, None) == "anais.darc@ch-a.mssante.fr"
    assert assign_mssante_address(ctx(), second, None) == "anais.darc2@ch-a.mssante.fr"
    assert assign_mssante_address(ctx(), third, None) == "anais.darc3@clinique-b.mssante.fr"


def test_it_uses_the_description_for_shared_mailboxes(structure_a: Structure) -> None:
    org = factories.make_account(structure_a, "ORG", description="Secrétariat de Cardiologie")
    assert assign_mssante_address(ctx(), org, None) == "secretariat.de.cardiologie@ch-a.mssante.fr"
    app = factories.make_account(structure_a, "APP", service="Biologie médicale")
    app.description = ""  # older data: no description, the service names the box
    assert assign_mssante_address(ctx(), app, None) == "biologie.medicale@ch-a.mssante.fr"


@pytest.mark.parametrize(
    "particle",
    ["<script>alert(1)</script>", "a b", "jean@evil.fr", "💊pharma", "x" * 65, "-start", "é"],
)
def test_it_refuses_hostile_particles(structure_a: Structure, particle: str) -> None:
    account = factories.make_account(structure_a, "PER")
    with pytest.raises(Invalid) as caught:
        assign_mssante_address(ctx(), account, particle)
    assert caught.value.message.startswith("Adresse MSSanté refusée") or "caractères" in str(
        caught.value.message
    )
    account.refresh_from_db()
    assert account.mssante_particle == ""


def test_it_handles_hostile_and_long_names_when_generating(structure_a: Structure) -> None:
    account = factories.make_account(
        structure_a, "PER", first_name="<script>Zoé</script>", last_name="Ñ" * 140
    )
    address = assign_mssante_address(ctx(), account, None)
    particle = address.split("@")[0]
    assert len(particle) <= 64
    assert set(particle) <= set("abcdefghijklmnopqrstuvwxyz0123456789.-")
    emoji = factories.make_account(structure_a, "PER", first_name="Zoé", last_name="DURAND")
    emoji.first_name, emoji.last_name = "💊💊", "🩺"
    with pytest.raises(Invalid, match="saisissez la particule"):
        assign_mssante_address(ctx(), emoji, None)


def test_given_particle_is_lowercased_and_must_be_free(structure_a: Structure) -> None:
    one = factories.make_account(structure_a, "PER")
    two = factories.make_account(structure_a, "PER")
    assert assign_mssante_address(ctx(), one, "Dr.Dupont") == "dr.dupont@ch-a.mssante.fr"
    with pytest.raises(Invalid, match="déjà utilisée"):
        assign_mssante_address(ctx(), two, "dr.dupont")


def test_med_never_gets_an_address(structure_a: Structure) -> None:
    med = factories.make_account(structure_a, "MED")
    with pytest.raises(Invalid, match="BAL MED"):
        assign_mssante_address(ctx(), med, None)


def test_structure_without_domain_is_refused(db: None) -> None:
    structure = factories.make_structure("Sans domaine", domain="")
    account = factories.make_account(structure, "PER")
    with pytest.raises(Invalid, match="pas de domaine MSSanté"):
        assign_mssante_address(ctx(), account, "x.y")


def test_test_accounts_get_test_addresses(structure_a: Structure) -> None:
    data = factories.account_data("PER", first_name="Léa", last_name="TEST")
    from caducee.accounts.operations import create_account

    account = create_account(ctx(), structure_a, data, is_test=True).account
    address = assign_mssante_address(ctx(), account, None)
    assert address.startswith("test.lea.test@") and is_test_address(address)
    assert assign_mssante_address(ctx(), account, "lea").startswith("test.lea@")
    real = factories.make_account(structure_a, "PER")
    with pytest.raises(Invalid, match="réservée aux comptes de test"):
        assign_mssante_address(ctx(), real, "test.real")


def test_admin_of_b_cannot_touch_a(structure_a: Structure, bob: User) -> None:
    account = factories.make_account(structure_a, "PER")
    with pytest.raises(NotFound):
        assign_mssante_address(Context(user=bob), account, None)
    with pytest.raises(NotFound):
        remove_mssante_address(Context(user=bob), account)


def test_remove_clears_the_correspondence(structure_a: Structure, alice: User) -> None:
    account = factories.make_account(structure_a, "PER")
    assign_mssante_address(Context(user=alice), account, None)
    remove_mssante_address(Context(user=alice), account)
    account.refresh_from_db()
    assert mssante_address(account) is None
    assert AuditEvent.objects.filter(action="directory.address_remove", actor=alice).exists()


def test_batch_assignment_checks_everything_first(structure_a: Structure) -> None:
    from caducee.directory.operations import assign_mssante_addresses

    a = factories.make_account(structure_a, "PER")
    b = factories.make_account(structure_a, "PER")
    c = factories.make_account(structure_a, "PER")
    assign_mssante_address(ctx(), c, "pris")
    with pytest.raises(Invalid, match=r"^Ligne 3 : l'adresse pris@ch-a\.mssante\.fr est déjà"):
        assign_mssante_addresses(ctx(), [(2, a, "libre"), (3, b, "pris")])
    with pytest.raises(Invalid, match=r"^Ligne 5 : .*déjà demandée ligne 4"):
        assign_mssante_addresses(ctx(), [(4, a, "meme"), (5, b, "meme")])
    with pytest.raises(Invalid, match=r"^Ligne 6 : Adresse MSSanté refusée"):
        assign_mssante_addresses(ctx(), [(6, a, "<b>")])
    a.refresh_from_db()
    assert a.mssante_particle == ""
    assert assign_mssante_addresses(ctx(), [(2, a, "Libre"), (3, b, "autre"), (4, c, "")]) == 3
    a.refresh_from_db()
    c.refresh_from_db()
    assert (a.mssante_particle, c.mssante_particle) == ("libre", "")
    events = AuditEvent.objects.filter(action__startswith="directory.address_")
    assert events.filter(target_id=str(a.pk), action="directory.address_assign").exists()
    assert events.filter(target_id=str(c.pk), action="directory.address_remove").exists()
