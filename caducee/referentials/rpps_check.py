"""Checking a professional's RPPS, names and profession (self-registration, issue #16).

Without a loaded extraction only the number's format and key are checked. With one
(`caducee referentials rpps-import`), the RPPS must be in it and the names and the
profession must match what the annuaire santé publishes. Names are compared folded:
case, accents, hyphens, apostrophes and spaces do not matter (« Jean-Pierre » = « JEAN
PIERRE »).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from django.db import connection

from caducee.referentials.identifiers import InvalidIdentifier, validate_rpps
from caducee.referentials.lists import professions
from caducee.referentials.models import RppsExtraction, RppsProfessional, profession_map
from caducee.referentials.text import fold


class RppsStatus(enum.StrEnum):
    VALID = "valid"  # in the extraction, names and profession match
    KEY_ONLY = "key_only"  # no extraction loaded: the key is right, nothing more is known
    INVALID_KEY = "invalid_key"
    UNKNOWN = "unknown"  # not in the loaded extraction
    NAME_MISMATCH = "name_mismatch"
    PROFESSION_MISMATCH = "profession_mismatch"


@dataclass(frozen=True)
class RppsCheck:
    status: RppsStatus
    message: str  # French, for the person who typed the values
    rpps: str
    problems: tuple[RppsStatus, ...] = ()  # every mismatch (names and profession)

    @property
    def ok(self) -> bool:
        return self.status in {RppsStatus.VALID, RppsStatus.KEY_ONLY}


@dataclass(frozen=True)
class Registered:
    """What the current extraction says of one RPPS."""

    last_name: str
    first_name: str
    professions: dict[str, str]


def lookup(rpps: str) -> tuple[bool, Registered | None]:
    """(an extraction is loaded, the person in it). One statement: the current extraction
    and its row are read together, so a load finishing meanwhile is seen whole or not at all."""
    extractions = connection.ops.quote_name(RppsExtraction._meta.db_table)
    people = connection.ops.quote_name(RppsProfessional._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT p.last_name, p.first_name, p.professions FROM {extractions} e "  # noqa: S608
            f"LEFT JOIN {people} p ON p.extraction_id = e.id AND p.rpps = %s "
            "WHERE e.state = %s",
            [rpps, RppsExtraction.State.CURRENT.value],
        )
        row = cursor.fetchone()
    if row is None:
        return False, None
    if row[0] is None:
        return True, None
    return True, Registered(row[0], row[1], profession_map(row[2]))


def same_name(typed: str, registered: str) -> bool:
    return bool(fold(typed)) and fold(typed) == fold(registered)


def check_professional(
    rpps: str, last_name: str, first_name: str, profession_code: str
) -> RppsCheck:
    """Whether the RPPS is valid and, when an extraction is loaded, whether it names this
    person with this profession; the message says what to check when it does not."""
    try:
        number = validate_rpps(rpps)
    except InvalidIdentifier as exc:
        return RppsCheck(RppsStatus.INVALID_KEY, str(exc), rpps.strip())
    loaded, registered = lookup(number)
    if not loaded:
        return RppsCheck(
            RppsStatus.KEY_ONLY,
            f"Le numéro RPPS {number} est valide (clé de contrôle) ; l'extraction de "
            "l'annuaire santé n'est pas chargée, le nom et la profession ne sont pas vérifiés.",
            number,
        )
    if registered is None:
        return RppsCheck(
            RppsStatus.UNKNOWN,
            f"Le RPPS {number} n'est pas dans l'annuaire santé (extraction publique chargée "
            "sur la plateforme) : vérifiez le numéro sur votre carte CPS ou sur "
            "annuaire.sante.fr.",
            number,
        )
    problems: list[RppsStatus] = []
    if not (
        same_name(last_name, registered.last_name) and same_name(first_name, registered.first_name)
    ):
        problems.append(RppsStatus.NAME_MISMATCH)
    code = profession_code.strip()
    if code not in registered.professions:
        problems.append(RppsStatus.PROFESSION_MISMATCH)
    if not problems:
        return RppsCheck(
            RppsStatus.VALID,
            f"RPPS {number} vérifié dans l'annuaire santé.",
            number,
        )
    return RppsCheck(
        problems[0], _mismatch_message(number, registered, problems, code), number, tuple(problems)
    )


def _mismatch_message(
    number: str, registered: Registered, problems: list[RppsStatus], typed_code: str
) -> str:
    labels = " ou ".join(f"« {label or code} »" for code, label in registered.professions.items())
    plural = "s" if len(registered.professions) > 1 else ""
    head = (
        f"Le RPPS {number} est enregistré au nom de « {registered.last_name} "
        f"{registered.first_name} », profession{plural} {labels}"
    )
    fixes: list[str] = []
    if RppsStatus.NAME_MISMATCH in problems:
        fixes.append("vérifiez le nom et le prénom d'exercice saisis")
    if RppsStatus.PROFESSION_MISMATCH in problems:
        typed = professions().label(typed_code) if typed_code else "aucune"
        fixes.append(f"vérifiez la profession choisie (« {typed} »)")
    return (
        f"{head} : {' et '.join(fixes)}, ou le numéro RPPS. Les données de l'annuaire santé se "
        "corrigent auprès de votre ordre professionnel."
    )
