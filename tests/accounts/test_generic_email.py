"""The « générique » rule of seed 002 for ORG addresses lives in the field table: it
applies wherever an account is validated (console, import, API, self-registration)."""

from __future__ import annotations

import pytest

from caducee.accounts.fields import BY_KEY
from caducee.accounts.operations import create_account
from caducee.accounts.validation import clean_account, looks_personal
from caducee.core.context import cli_context
from caducee.core.errors import Invalid
from caducee.structures.models import Structure
from tests import factories


def _org(email: str, **overrides: str) -> dict[str, str]:
    values = {
        "resp_last_name": "MARTIN",
        "resp_first_name": "Paul",
        "connection_accounts": "jeanne.dupont@ch-a.fr",
    }
    return factories.account_data("ORG", email, **(values | overrides))


@pytest.mark.parametrize(
    ("email", "why"),
    [
        ("paul.martin@gmail.com", "nom et le prénom"),
        ("martin.paul@ch-a.fr", "nom et le prénom"),
        ("pmartin@ch-a.fr", "nom et le prénom"),
        ("Paul-Martin@ch-a.fr", "nom et le prénom"),
        ("jeanne.dupont@gmail.com", "jeanne.dupont@ch-a.fr"),
    ],
)
def test_a_personal_address_is_refused_for_an_org_mailbox(email: str, why: str) -> None:
    cleaned = clean_account(_org(email))
    problems = [p for p in cleaned.problems if p.field == "email" and p.code == "generic"]
    assert len(problems) == 1 and why in problems[0].message
    assert "générique" in problems[0].message


@pytest.mark.parametrize(
    "email",
    ["secretariat@ehpad-mimosas.fr", "pharmacie.martin@gmail.com", "accueil.cardio@ch-a.fr"],
)
def test_a_generic_address_passes(email: str) -> None:
    assert not [p for p in clean_account(_org(email)).problems if p.code == "generic"]


def test_only_org_mailboxes_must_be_generic() -> None:
    assert BY_KEY["email"].generic_for == ("ORG",)
    data = factories.account_data("PER", "paul.martin@gmail.com", last_name="MARTIN")
    assert not [p for p in clean_account(data).problems if p.code == "generic"]
    assert looks_personal(
        "paul.martin@x.fr", {"resp_first_name": "Paul", "resp_last_name": "Martin"}
    )


@pytest.mark.django_db
def test_the_console_operation_refuses_it_too(structure_a: Structure) -> None:
    person = factories.make_account(structure_a, "MED", "jeanne.dupont@ch-a.fr")
    with pytest.raises(Invalid) as caught:
        create_account(cli_context(), structure_a, _org("paul.martin@ch-a.fr"))
    assert caught.value.errors()[0].code == "generic"
    created = create_account(
        cli_context(),
        structure_a,
        _org("secretariat.cardio@ch-a.fr", connection_accounts=person.email),
    )
    assert created.account.type == "ORG"
