"""Creating an account of each type through the console form."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from caducee.accounts.fields import FIELDS, Rule
from caducee.accounts.models import Account, AccountState
from caducee.audit.models import AuditEvent
from caducee.people.models import User
from caducee.structures.models import Structure
from tests import factories
from tests.smtp_sink import SmtpSink

pytestmark = pytest.mark.django_db


def _url(structure: Structure, kind: str) -> str:
    return reverse("console:account_create", args=[structure.pk, kind])


def _post_data(kind: str, email: str, **overrides: str) -> dict[str, str]:
    data = factories.account_data(kind, email, **overrides)
    data.pop("type")
    return {k: str(v) for k, v in data.items()}


def test_the_type_choice_page_describes_each_type(
    client: Client, alice: User, structure_a: Structure
) -> None:
    client.force_login(alice)
    page = client.get(reverse("console:account_new", args=[structure_a.pk])).content.decode()
    for kind in ("PER", "INT", "ORG", "MED", "APP"):
        assert _url(structure_a, kind) in page
    assert "sans RPPS ni ADELI" in page
    assert "envois automatisés" in page


@pytest.mark.parametrize("kind", ["PER", "INT", "ORG", "MED", "APP"])
def test_the_form_marks_fields_from_the_field_table(
    client: Client, alice: User, structure_a: Structure, kind: str
) -> None:
    client.force_login(alice)
    page = client.get(_url(structure_a, kind)).content.decode()
    for spec in FIELDS:
        if spec.key in {"type", "structure"}:
            continue
        if spec.key == "mssante_particle":  # managed by the directory's « + » button
            assert 'name="mssante_particle"' not in page
            continue
        rule = spec.rule(kind)
        present = f'name="{spec.key}"' in page
        assert present == (rule is not Rule.NC), (spec.key, rule)
        if rule is Rule.O:
            block = page.split(f'id="champ-{spec.key}"')[1].split("</label>")[0]
            assert '<span class="required"' in block
        if rule is Rule.R:
            block = page.split(f'id="champ-{spec.key}"')[1].split("</label>")[0]
            assert "(recommandé)" in block


def test_lists_come_from_the_shipped_referentials(
    client: Client, alice: User, structure_a: Structure
) -> None:
    client.force_login(alice)
    page = client.get(_url(structure_a, "PER")).content.decode()
    assert '<option value="13">Bouches-du-Rhône</option>' in page
    assert '<option value="93">Provence-Alpes-Côte d&#x27;Azur</option>' in page
    assert '<option value="10">Médecin</option>' in page


@pytest.mark.parametrize("kind", ["PER", "INT", "MED"])
def test_it_creates_a_preregistered_nominative_account(
    client: Client,
    alice: User,
    structure_a: Structure,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Any,
    kind: str,
) -> None:
    client.force_login(alice)
    email = f"nouveau.{kind.lower()}@ch-a.fr"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(structure_a, kind), _post_data(kind, email), follow=True)
    account = Account.objects.get(email=email)
    assert account.type == kind
    assert account.structure == structure_a
    assert account.state == AccountState.PREREGISTERED
    assert response.redirect_chain[-1][0] == reverse(
        "console:account", args=[structure_a.pk, account.pk]
    )
    assert "Un mail l&#x27;invite à finaliser son inscription" in response.content.decode()
    assert smtp_sink.wait_for(email)
    event = AuditEvent.objects.filter(action="account.create").last()
    assert event is not None and event.actor == alice


@pytest.mark.parametrize("kind", ["ORG", "APP"])
def test_it_creates_a_valid_shared_mailbox(
    client: Client, alice: User, structure_a: Structure, kind: str
) -> None:
    person = factories.make_account(structure_a, "MED", "membre@ch-a.fr")
    client.force_login(alice)
    email = f"service.{kind.lower()}@ch-a.fr"
    data = _post_data(kind, email, connection_accounts=person.email)
    client.post(_url(structure_a, kind), data)
    account = Account.objects.get(email=email)
    assert account.state == AccountState.VALID
    assert list(account.connection_links.values_list("account__email", flat=True)) == [person.email]


def test_options_test_account_and_directory(
    client: Client, alice: User, structure_a: Structure
) -> None:
    client.force_login(alice)
    data = {**_post_data("PER", "test@ch-a.fr"), "is_test": "oui", "visible": "on"}
    client.post(_url(structure_a, "PER"), data)
    account = Account.objects.get(email="test@ch-a.fr")
    assert account.is_test and account.visible


def _error_beside(page: str, key: str) -> str:
    block = page.split(f'id="champ-{key}"')[1].split('<div class="field')[0]
    errors = re.findall(r'<p class="field-error">(.*?)</p>', block)
    assert errors, f"no error beside {key}"
    return " ".join(errors)


def test_errors_are_shown_beside_each_field(
    client: Client, alice: User, structure_a: Structure
) -> None:
    client.force_login(alice)
    data = _post_data("PER", "Pas une adresse", rpps="12345678901", postal_code="7501")
    data["city"] = ""
    data["postal_code"] = "ABCDE"
    response = client.post(_url(structure_a, "PER"), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "n&#x27;est pas une adresse mail valide" in _error_beside(page, "email")
    assert "RPPS" in _error_beside(page, "rpps") or "clé" in _error_beside(page, "rpps")
    assert "obligatoire" in _error_beside(page, "city")
    assert "5 chiffres" in _error_beside(page, "postal_code")
    assert "Le compte n&#x27;a pas été créé" in page
    assert not Account.objects.filter(structure=structure_a).exists()


@pytest.mark.parametrize(
    ("kind", "missing", "expected"),
    [
        ("PER", "rpps", "RPPS ou ADELI"),
        ("INT", "resp_structure_id", "obligatoire"),
        ("ORG", "description", "obligatoire"),
        ("ORG", "connection_accounts", "obligatoire"),
        ("MED", "profession", "obligatoire"),
        ("APP", "resp_identifier", "obligatoire"),
    ],
)
def test_each_type_reports_its_own_mandatory_fields(
    client: Client,
    alice: User,
    structure_a: Structure,
    kind: str,
    missing: str,
    expected: str,
) -> None:
    person = factories.make_account(structure_a, "MED", "membre@ch-a.fr")
    client.force_login(alice)
    data = _post_data(kind, "compte@ch-a.fr")
    if kind == "ORG":
        data["connection_accounts"] = person.email
    data[missing] = ""
    page = client.post(_url(structure_a, kind), data).content.decode()
    assert expected in _error_beside(page, missing)
    assert not Account.objects.filter(email="compte@ch-a.fr").exists()


def test_int_doctor_needs_a_civility(client: Client, alice: User, structure_a: Structure) -> None:
    client.force_login(alice)
    data = _post_data("INT", "interne@ch-a.fr", profession="10")
    page = client.post(_url(structure_a, "INT"), data).content.decode()
    assert "civilité d&#x27;exercice est obligatoire" in _error_beside(page, "civility")
    data["civility"] = "DR"
    client.post(_url(structure_a, "INT"), data)
    assert Account.objects.get(email="interne@ch-a.fr").civility == "DR"


def test_safe_fixes_are_reported_as_warnings(
    client: Client, alice: User, structure_a: Structure
) -> None:
    client.force_login(alice)
    data = _post_data("PER", "Marie.Curie@CH-A.fr", last_name="Curie", city="paris")
    data["rpps"] = " ".join(data["rpps"][i : i + 3] for i in range(0, 11, 3))
    page = client.post(_url(structure_a, "PER"), data, follow=True).content.decode()
    account = Account.objects.get(email="marie.curie@ch-a.fr")
    assert account.last_name == "CURIE" and account.city == "PARIS"
    assert "Adresse mail mise en minuscules" in page
    assert "mis en majuscules" in page
    assert "Espaces retirés du numéro RPPS" in page


def test_list_values_accept_labels(client: Client, alice: User, structure_a: Structure) -> None:
    client.force_login(alice)
    data = _post_data("MED", "med@ch-a.fr", department="bouches du rhone", region="")
    client.post(_url(structure_a, "MED"), data)
    account = Account.objects.get(email="med@ch-a.fr")
    assert (account.department, account.region) == ("13", "93")


def test_an_email_already_used_is_refused(
    client: Client, alice: User, structure_a: Structure, per_b: Account
) -> None:
    client.force_login(alice)
    page = client.post(_url(structure_a, "PER"), _post_data("PER", per_b.email)).content.decode()
    error = _error_beside(page, "email")
    # Another structure's account: refused without saying where the address is used.
    assert "ne peut pas être utilisée pour ce compte" in error
    assert "Clinique B" not in page and "Un compte" not in error


def test_an_email_used_in_the_admins_own_structure_is_named(
    client: Client, alice: User, structure_a: Structure, per_a: Account
) -> None:
    client.force_login(alice)
    page = client.post(_url(structure_a, "MED"), _post_data("MED", per_a.email)).content.decode()
    assert "Un compte de vos structures utilise déjà" in _error_beside(page, "email")


def test_unknown_type_is_not_found(client: Client, alice: User, structure_a: Structure) -> None:
    client.force_login(alice)
    assert client.get(_url(structure_a, "XYZ")).status_code == 404
