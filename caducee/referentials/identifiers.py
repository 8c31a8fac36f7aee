"""Validators of French health and business identifiers.

Each returns the normalised identifier or raises InvalidIdentifier with a French message.
RPPS (11 digits), ADELI (9 digits) and FINESS (9 characters, Corsica 2A/2B read as 21/22)
carry a Luhn key; SIREN and SIRET are checked by python-stdnum (La Poste included).
"""

from __future__ import annotations

import re

from stdnum import luhn
from stdnum.exceptions import ValidationError
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

_SPACES = re.compile(r"[\s.\-]+")


class InvalidIdentifier(ValueError):
    """The identifier is malformed or its check key is wrong."""


def compact(value: str) -> str:
    return _SPACES.sub("", value)


def _digits(value: str, length: int, name: str) -> str:
    number = compact(value)
    if not number.isdigit() or not number.isascii():
        raise InvalidIdentifier(f"Le numéro {name} ne doit contenir que des chiffres.")
    if len(number) != length:
        raise InvalidIdentifier(
            f"Le numéro {name} doit comporter {length} chiffres ({len(number)} saisis)."
        )
    return number


def _luhn_ok(number: str) -> bool:
    try:
        luhn.validate(number)
    except ValidationError:
        return False
    return True


def validate_rpps(value: str) -> str:
    number = _digits(value, 11, "RPPS")
    if not _luhn_ok(number):
        raise InvalidIdentifier(
            "Le numéro RPPS est invalide (clé de contrôle fausse) : vérifiez-le sur la carte CPS "
            "ou dans l'annuaire santé."
        )
    return number


def validate_adeli(value: str) -> str:
    number = _digits(value, 9, "ADELI")
    if not _luhn_ok(number):
        raise InvalidIdentifier("Le numéro ADELI est invalide (clé de contrôle fausse).")
    return number


def validate_finess(value: str) -> str:
    number = compact(value).upper()
    if len(number) != 9:
        raise InvalidIdentifier(
            f"Le numéro FINESS doit comporter 9 caractères ({len(number)} saisis)."
        )
    head, tail = number[:2], number[2:]
    if not tail.isdigit() or not tail.isascii() or not (head.isdigit() or head in {"2A", "2B"}):
        raise InvalidIdentifier(
            "Le numéro FINESS doit contenir 9 chiffres (2A ou 2B en tête pour la Corse)."
        )
    if head == "00" or head == "20":
        raise InvalidIdentifier("Le numéro FINESS ne commence pas par un département valide.")
    digits = {"2A": "21", "2B": "22"}.get(head, head) + tail
    if not _luhn_ok(digits):
        raise InvalidIdentifier("Le numéro FINESS est invalide (clé de contrôle fausse).")
    return number


def validate_siren(value: str) -> str:
    number = compact(value)
    try:
        return str(stdnum_siren.validate(number))
    except ValidationError:
        if number.isdigit() and len(number) == 9:
            raise InvalidIdentifier(
                "Le numéro SIREN est invalide (clé de contrôle fausse)."
            ) from None
        raise InvalidIdentifier("Le numéro SIREN doit comporter 9 chiffres.") from None


def validate_siret(value: str) -> str:
    number = compact(value)
    try:
        return str(stdnum_siret.validate(number))
    except ValidationError:
        if number.isdigit() and len(number) == 14:
            raise InvalidIdentifier(
                "Le numéro SIRET est invalide (clé de contrôle fausse)."
            ) from None
        raise InvalidIdentifier("Le numéro SIRET doit comporter 14 chiffres.") from None


STRUCTURE_ID_TYPES: dict[str, str] = {
    "FINESS": "FINESS",
    "SIREN": "SIREN",
    "SIRET": "SIRET",
}
# Seed 001 annex codes for "Type identifiant structure resp".
STRUCTURE_ID_CODES = {"1": "FINESS", "2": "SIREN", "3": "SIRET"}


def validate_structure_identifier(id_type: str, value: str) -> str:
    if id_type.startswith("FINESS"):
        return validate_finess(value)
    if id_type == "SIREN":
        return validate_siren(value)
    if id_type == "SIRET":
        return validate_siret(value)
    raise InvalidIdentifier(f"Type d'identifiant de structure inconnu : {id_type}.")
