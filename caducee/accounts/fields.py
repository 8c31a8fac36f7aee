"""The loaduser field table of seed 002 §3, encoded once, as data.

Every consumer reads this table: account validation, console forms (mandatory marks,
help texts), the loaduser importer and exporter, the template file and the API schema.
A rule change is a one-line change here.

Obligations: O mandatory, OSC mandatory under the condition named in `condition`,
R recommended, F optional, NC must stay empty for that mailbox type.

The APP column is not in seed 002 (which predates applicative mailboxes in its table);
it follows ORG, except that connection accounts are optional (docs/ACCOUNTS.md).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Rule(StrEnum):
    O = "O"
    OSC = "OSC"
    R = "R"
    F = "F"
    NC = "NC"


class Kind(StrEnum):
    TEXT = "text"
    UPPER = "upper"  # stored in capitals (NOM, VILLE)
    EMAIL = "email"
    RPPS = "rpps"
    ADELI = "adeli"
    POSTAL_CODE = "postal_code"
    PHONE = "phone"
    LIST = "list"  # a predefined list (see `referential`)
    YES_NO = "yes_no"
    MAILBOX_TYPE = "mailbox_type"
    STRUCTURE_ID_TYPE = "structure_id_type"
    STRUCTURE_ID = "structure_id"
    PERSON_ID = "person_id"  # RPPS (or ADELI) of the responsible person
    PARTICLE = "particle"  # the part of an address before "@"
    DATE = "date"
    EMAIL_LIST = "email_list"  # connection accounts, ";"-separated
    STRUCTURE = "structure"  # which structure the line goes to


@dataclass(frozen=True)
class MailboxType:
    """One mailbox type of seed 002 §2; every label of the type derives from here."""

    code: str
    short: str  # what the code stands for, in French
    description: str  # shown when choosing the type of a new account

    @property
    def name(self) -> str:
        """In messages: « PER (personnel) »."""
        return f"{self.code} ({self.short})"

    @property
    def choice_label(self) -> str:
        """In select options and the admin: « PER — personnel »."""
        return f"{self.code} — {self.short}"

    @property
    def title(self) -> str:
        """Page titles of the console: « BAL PER (personnel) »."""
        return f"BAL {self.name}"


MAILBOX_TYPES: dict[str, MailboxType] = {
    t.code: t
    for t in (
        MailboxType(
            "PER",
            "personnel",
            "Compte individuel nominatif pour les professions de santé et médico-sociales "
            "ayant un n° RPPS ou ADELI (médecin, infirmier, kiné, pharmacien, assistant de "
            "service social…).",
        ),
        MailboxType(
            "INT",
            "interne",
            "Compte individuel pour un professionnel de santé sans RPPS ni ADELI : "
            "professionnel étranger ou interne seulement.",
        ),
        MailboxType(
            "ORG",
            "organisationnelle",
            "Compte partagé par plusieurs utilisateurs (secrétariat, cabinet, équipe de "
            "nuit…), sous la responsabilité d'un professionnel de santé ; on l'ouvre avec un "
            "compte de connexion nominatif.",
        ),
        MailboxType(
            "MED",
            "non professionnel de santé",
            "Compte individuel pour le personnel administratif ou informatique, les "
            "secrétaires médicales et les professionnels médico-sociaux sans RPPS ni ADELI ; "
            "absent de l'annuaire national.",
        ),
        MailboxType(
            "APP",
            "applicative",
            "Boîte destinée aux envois automatisés depuis un logiciel métier de la structure "
            "(par exemple les comptes rendus de biologie).",
        ),
    )
}
TYPES = tuple(MAILBOX_TYPES)


@dataclass(frozen=True)
class FieldSpec:
    key: str
    header: str
    kind: Kind
    rules: dict[str, Rule]
    in_directory: bool = False
    help: str = ""
    aliases: tuple[str, ...] = ()
    referential: str | None = None
    condition: str | None = None
    max_length: int = 200
    stored: bool = True  # an Account column (connection accounts and structure are not)
    label: str = field(default="")
    # The mailbox types for which the value must be generic (seed 002, « Adresse mail » of
    # an ORG mailbox): an address that looks personal is refused, see `PERSONAL_MARKERS`.
    generic_for: tuple[str, ...] = ()

    def rule(self, mailbox_type: str) -> Rule:
        return self.rules[mailbox_type]

    @property
    def title(self) -> str:
        return self.label or self.header


def _r(per: str, int_: str, org: str, med: str, app: str) -> dict[str, Rule]:
    return {
        "PER": Rule(per),
        "INT": Rule(int_),
        "ORG": Rule(org),
        "MED": Rule(med),
        "APP": Rule(app),
    }


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec(
        "email",
        "Adresse mail",
        Kind.EMAIL,
        _r("O", "O", "O", "O", "O"),
        True,
        "En minuscules. Identifiant du compte, unique sur la plateforme. Pour une boîte "
        "ORG, une adresse générique (ex. secretariat@ehpad-mimosas.fr).",
        aliases=("Adresse de référence", "Email", "Mail"),
        max_length=254,
        generic_for=("ORG",),
    ),
    FieldSpec(
        "last_name",
        "NOM",
        Kind.UPPER,
        _r("O", "O", "O", "O", "O"),
        True,
        "En majuscules. Pour une boîte ORG, un nom générique (ex. SECRETARIAT).",
        aliases=("Nom",),
        max_length=150,
    ),
    FieldSpec(
        "first_name",
        "Prénom",
        Kind.TEXT,
        _r("O", "O", "O", "O", "O"),
        True,
        "Pour une boîte ORG, un intitulé générique (ex. EHPAD Les Mimosas).",
        max_length=150,
    ),
    FieldSpec(
        "rpps",
        "RPPS",
        Kind.RPPS,
        _r("OSC", "NC", "NC", "NC", "NC"),
        True,
        "11 chiffres sans espace. Peut rester vide pour une BAL PER si ADELI est rempli.",
        condition="rpps_or_adeli",
        max_length=11,
    ),
    FieldSpec(
        "adeli",
        "ADELI",
        Kind.ADELI,
        _r("OSC", "NC", "NC", "NC", "NC"),
        True,
        "9 chiffres sans espace. Peut rester vide pour une BAL PER si RPPS est rempli.",
        condition="rpps_or_adeli",
        max_length=9,
    ),
    FieldSpec(
        "company_name",
        "Raison Sociale",
        Kind.TEXT,
        _r("R", "R", "R", "R", "R"),
        True,
        "Raison sociale de l'établissement où exerce l'utilisateur.",
    ),
    FieldSpec(
        "service",
        "Service de rattachement",
        Kind.TEXT,
        _r("F", "F", "F", "F", "F"),
        False,
        "« @SIDEPE » si le compte sert au dispositif SIDEPE, vide sinon.",
    ),
    FieldSpec(
        "address1",
        "Adresse (1)",
        Kind.TEXT,
        _r("R", "R", "R", "R", "R"),
        True,
        aliases=("Adresse 1", "Adresse"),
    ),
    FieldSpec(
        "address2",
        "Adresse (2)",
        Kind.TEXT,
        _r("F", "F", "F", "F", "F"),
        True,
        "Complément d'adresse.",
        aliases=("Adresse 2",),
    ),
    FieldSpec(
        "postal_code",
        "CP",
        Kind.POSTAL_CODE,
        _r("O", "O", "O", "O", "O"),
        True,
        "Code postal, 5 chiffres.",
        aliases=("Code postal",),
        max_length=5,
    ),
    FieldSpec(
        "city",
        "VILLE",
        Kind.UPPER,
        _r("O", "O", "O", "O", "O"),
        True,
        "En majuscules.",
        aliases=("Commune",),
        max_length=100,
    ),
    FieldSpec(
        "department",
        "Département",
        Kind.LIST,
        _r("O", "O", "O", "O", "O"),
        True,
        "Code (ex. 13) ou nom (ex. Bouches-du-Rhône).",
        referential="departements",
        max_length=3,
    ),
    FieldSpec(
        "region",
        "Région",
        Kind.LIST,
        _r("O", "O", "O", "O", "O"),
        True,
        "Code (ex. 93) ou nom ; déduite du département si elle est vide.",
        referential="regions",
        max_length=2,
    ),
    FieldSpec(
        "phone1",
        "Téléphone (1)",
        Kind.PHONE,
        _r("F", "F", "F", "F", "F"),
        True,
        "Sans espace ni point.",
        aliases=("Téléphone 1", "Téléphone"),
        max_length=16,
    ),
    FieldSpec(
        "phone2",
        "Téléphone (2)",
        Kind.PHONE,
        _r("F", "F", "F", "F", "F"),
        False,
        "Sans espace ni point.",
        aliases=("Téléphone 2",),
        max_length=16,
    ),
    FieldSpec(
        "profession",
        "Profession",
        Kind.LIST,
        _r("O", "O", "O", "O", "O"),
        True,
        "Une des professions proposées (code ou libellé).",
        referential="professions",
        max_length=8,
    ),
    FieldSpec(
        "specialty",
        "Spécialité",
        Kind.LIST,
        _r("R", "R", "R", "R", "R"),
        True,
        referential="specialites",
        max_length=8,
    ),
    FieldSpec(
        "diploma",
        "Diplôme",
        Kind.LIST,
        _r("NC", "OSC", "NC", "NC", "NC"),
        False,
        "Obligatoire pour une BAL INT dont la profession est médico-sociale.",
        referential="diplomes",
        condition="medico_social_profession",
        max_length=16,
    ),
    FieldSpec(
        "liberal",
        "Activité libérale",
        Kind.YES_NO,
        _r("O", "O", "O", "O", "O"),
        True,
        "OUI ou NON ; NON pour un salarié de l'établissement.",
        max_length=3,
    ),
    FieldSpec(
        "type",
        "Type BAL",
        Kind.MAILBOX_TYPE,
        _r("O", "O", "O", "O", "O"),
        False,
        "PER, INT, ORG, MED ou APP.",
        aliases=("Type de BAL", "Typologie de BAL"),
        max_length=3,
    ),
    FieldSpec(
        "resp_structure_id_type",
        "Type identifiant structure resp",
        Kind.STRUCTURE_ID_TYPE,
        _r("NC", "O", "O", "NC", "O"),
        False,
        "FINESS, SIREN ou SIRET (ou 1, 2, 3).",
        max_length=6,
    ),
    FieldSpec(
        "resp_structure_id",
        "Identifiant structure resp",
        Kind.STRUCTURE_ID,
        _r("NC", "O", "O", "NC", "O"),
        False,
        "Numéro FINESS EJ ou EG, SIREN ou SIRET selon le type choisi.",
        max_length=14,
    ),
    FieldSpec("return_address", "Adresse de retour", Kind.TEXT, _r("NC", "NC", "NC", "NC", "NC")),
    FieldSpec(
        "resp_last_name",
        "Nom resp",
        Kind.UPPER,
        _r("NC", "NC", "O", "NC", "O"),
        False,
        "Nom du responsable fonctionnel de la boîte (chef de service, médecin référent).",
        max_length=150,
    ),
    FieldSpec(
        "resp_first_name",
        "Prénom resp",
        Kind.TEXT,
        _r("NC", "NC", "O", "NC", "O"),
        False,
        max_length=150,
    ),
    FieldSpec(
        "resp_profession",
        "Profession resp",
        Kind.LIST,
        _r("NC", "NC", "O", "NC", "O"),
        False,
        referential="professions",
        max_length=8,
    ),
    FieldSpec(
        "resp_identifier",
        "Identifiant resp",
        Kind.PERSON_ID,
        _r("NC", "NC", "O", "NC", "O"),
        False,
        "N° RPPS du responsable (ADELI accepté pour une boîte APP).",
        max_length=11,
    ),
    FieldSpec(
        "description",
        "Description fonctionnelle",
        Kind.TEXT,
        _r("NC", "NC", "O", "NC", "O"),
        False,
        "Libellé générique et explicite affiché aux destinataires (ex. Secrétariat de "
        "cardiologie du CH d'Albi).",
        max_length=250,
    ),
    FieldSpec(
        "civility",
        "Civilité exercice",
        Kind.LIST,
        _r("NC", "OSC", "NC", "NC", "NC"),
        False,
        "Obligatoire pour une BAL INT de profession Médecin, Pharmacien ou Chirurgien-Dentiste.",
        referential="civilites",
        condition="civility_profession",
        aliases=("Civilité d'exercice", "Civilité"),
        max_length=2,
    ),
    FieldSpec(
        "mssante_particle",
        "MSSanté adresse",
        Kind.PARTICLE,
        _r("F", "F", "F", "NC", "F"),
        False,
        "Partie de l'adresse MSSanté avant @ ; le domaine de la structure est ajouté.",
        aliases=("Adresse MSSanté",),
        max_length=64,
    ),
    FieldSpec(
        "apicrypt_address",
        "Apicrypt adresse",
        Kind.PARTICLE,
        _r("F", "F", "F", "F", "F"),
        False,
        "Particule de l'adresse Apicrypt, sans la clé de l'établissement.",
        max_length=64,
    ),
    FieldSpec(
        "apicrypt_specialty",
        "Apicrypt spécialité",
        Kind.TEXT,
        _r("OSC", "OSC", "OSC", "OSC", "OSC"),
        False,
        "Obligatoire si Apicrypt adresse est renseignée.",
        condition="apicrypt_address_given",
        max_length=100,
    ),
    FieldSpec(
        "expiry_date",
        "Date de péremption",
        Kind.DATE,
        _r("F", "F", "F", "F", "F"),
        False,
        "AA-MM-JJ (JJ/MM/AAAA accepté) : date de désactivation automatique du compte.",
        max_length=10,
    ),
    FieldSpec("alias", "Alias", Kind.TEXT, _r("NC", "NC", "NC", "NC", "NC")),
    FieldSpec(
        "connection_accounts",
        "Compte(s) de connexion",
        Kind.EMAIL_LIST,
        _r("NC", "NC", "O", "NC", "F"),
        False,
        "Adresses mail de comptes PER, INT ou MED, séparées par « ; ».",
        aliases=("Comptes de connexion", "Compte de connexion"),
        stored=False,
        max_length=10000,
    ),
    FieldSpec(
        "structure",
        "Structure",
        Kind.STRUCTURE,
        _r("F", "F", "F", "F", "F"),
        False,
        "Intitulé exact de la structure, si vous en administrez plusieurs.",
        stored=False,
    ),
)

BY_KEY: dict[str, FieldSpec] = {f.key: f for f in FIELDS}

# The « générique » rule of seed 002: an ORG mailbox's address is shared by a team, so it
# must not look like one person's. It looks personal when its part before « @ » names the
# responsible professional (first and last name, or initial and last name, in any order)
# or is the part before « @ » of one of its connection accounts (a nominative login).
# These are the values it is compared with (keys of this table); accounts/validation.py
# applies the rule wherever an account is validated (console, import, API, registration).
PERSONAL_MARKERS: tuple[tuple[str, str], ...] = (("resp_first_name", "resp_last_name"),)
PERSONAL_LOGINS = "connection_accounts"
GENERIC_EMAIL_EXAMPLES = "secretariat@ehpad-mimosas.fr, pharmacie-du-centre-albi@gmail.com"
STORED: tuple[FieldSpec, ...] = tuple(f for f in FIELDS if f.stored)
HEADERS: tuple[str, ...] = tuple(f.header for f in FIELDS)
