"""The field table is the seed 002 §3 table, in its order, and drives the model."""

from __future__ import annotations

from caducee.accounts.fields import FIELDS, HEADERS, STORED, TYPES, Rule
from caducee.accounts.models import Account

SEED_002_HEADERS = (
    "Adresse mail",
    "NOM",
    "Prénom",
    "RPPS",
    "ADELI",
    "Raison Sociale",
    "Service de rattachement",
    "Adresse (1)",
    "Adresse (2)",
    "CP",
    "VILLE",
    "Département",
    "Région",
    "Téléphone (1)",
    "Téléphone (2)",
    "Profession",
    "Spécialité",
    "Diplôme",
    "Activité libérale",
    "Type BAL",
    "Type identifiant structure resp",
    "Identifiant structure resp",
    "Adresse de retour",
    "Nom resp",
    "Prénom resp",
    "Profession resp",
    "Identifiant resp",
    "Description fonctionnelle",
    "Civilité exercice",
    "MSSanté adresse",
    "Apicrypt adresse",
    "Apicrypt spécialité",
    "Date de péremption",
    "Alias",
    "Compte(s) de connexion",
    "Structure",
)


def test_headers_follow_seed_002_order() -> None:
    assert HEADERS == SEED_002_HEADERS


def test_every_stored_column_is_a_model_field() -> None:
    names = {f.name for f in Account._meta.get_fields()}
    assert {spec.key for spec in STORED} <= names


def test_seed_002_obligations() -> None:
    by_header = {f.header: f for f in FIELDS}
    assert by_header["RPPS"].rules["PER"] is Rule.OSC
    assert by_header["Diplôme"].rules["INT"] is Rule.OSC
    assert by_header["Nom resp"].rules["ORG"] is Rule.O
    assert by_header["Compte(s) de connexion"].rules["ORG"] is Rule.O
    assert by_header["MSSanté adresse"].rules["MED"] is Rule.NC
    for kind in TYPES:
        assert by_header["Adresse mail"].rules[kind] is Rule.O
        assert by_header["Alias"].rules[kind] is Rule.NC


def test_directory_columns_match_seed() -> None:
    shown = {f.header for f in FIELDS if f.in_directory}
    assert "RPPS" in shown and "Téléphone (2)" not in shown and "Type BAL" not in shown


def test_every_mailbox_type_label_derives_from_one_table() -> None:
    from caducee.accounts.fields import MAILBOX_TYPES, TYPES
    from caducee.accounts.models import AccountType
    from caducee.accounts.validation import TYPE_NAMES
    from caducee.console.forms import TYPE_DESCRIPTIONS, TYPE_TITLES

    assert TYPES == tuple(AccountType.values) == tuple(MAILBOX_TYPES)
    assert dict(AccountType.choices)["MED"] == "MED — non professionnel de santé"
    assert TYPE_NAMES["ORG"] == "ORG (organisationnelle)"
    assert TYPE_TITLES["APP"] == "BAL APP (applicative)"
    assert set(TYPE_DESCRIPTIONS) == set(TYPES)
