"""Validation and safe normalisation of account fields, driven by the field table."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from caducee.accounts.fields import (
    BY_KEY,
    FIELDS,
    GENERIC_EMAIL_EXAMPLES,
    MAILBOX_TYPES,
    PERSONAL_LOGINS,
    PERSONAL_MARKERS,
    TYPES,
    FieldSpec,
    Kind,
    Rule,
)
from caducee.core.errors import Problem
from caducee.referentials import cleaning, identifiers, lists
from caducee.referentials.text import fold

TYPE_NAMES = {code: kind.name for code, kind in MAILBOX_TYPES.items()}
_PARTICLE = re.compile(r"^[a-z0-9](?:[a-z0-9._-]{0,62}[a-z0-9])?$")
_EXCEL_EPOCH = date(1899, 12, 30)


@dataclass
class Cleaned:
    values: dict[str, Any] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not any(p.is_error for p in self.problems)

    def error(self, spec: FieldSpec, code: str, message: str) -> None:
        self.problems.append(Problem(spec.key, code, message))

    def warn(self, spec: FieldSpec, code: str, message: str) -> None:
        self.problems.append(Problem(spec.key, code, message, "warning"))


def as_text(value: object) -> str:
    """A cell or form value as text; integral floats (spreadsheets) lose their '.0'."""
    if type(value) is str:  # the common case (CSV cells, form fields), exact type only
        return value.strip()
    if value is None:
        return ""
    if isinstance(value, bool):
        return "OUI" if value else "NON"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


def mailbox_type(value: object) -> str | None:
    text = as_text(value).upper()
    return text if text in TYPES else None


def clean_account(raw: Mapping[str, object]) -> Cleaned:
    """Validate every field of the table for one account; raw values keyed by spec key."""
    out = Cleaned()
    type_spec = BY_KEY["type"]
    kind = mailbox_type(raw.get("type"))
    if kind is None:
        given = as_text(raw.get("type"))
        out.error(
            type_spec,
            "required" if not given else "choice",
            "Indiquez le type de BAL : PER, INT, ORG, MED ou APP."
            if not given
            else f"Type de BAL « {given} » inconnu : indiquez PER, INT, ORG, MED ou APP.",
        )
    out.values["type"] = kind or ""
    for column in _COLUMNS:
        spec = column.spec
        original = raw.get(column.key)
        text = original.strip() if type(original) is str else as_text(original)
        if not text and not isinstance(original, date):  # empty cell: nothing to parse
            value: Any = [] if column.empty_is_list else column.empty
        elif len(text) > column.parse_limit:  # do not even parse absurd input
            value = empty_value(spec)
            out.error(spec, "too_long", f"« {spec.header} » dépasse {spec.max_length} caractères.")
        else:
            value = column.parser(spec, original, text, out)
            if (
                isinstance(value, str)
                and len(value) > spec.max_length
                and not _has_error(out, column.key)
            ):
                out.error(
                    spec,
                    "too_long",
                    f"« {spec.header} » dépasse {spec.max_length} caractères : raccourcissez-le.",
                )
        out.values[column.key] = value
    _fill_region(out)
    if kind is not None:
        _apply_rules(kind, out)
        _check_structure_id(out)
        _check_resp_identifier(kind, out)
        _check_generic(kind, out)
    return out


def empty_value(spec: FieldSpec) -> Any:
    if spec.kind is Kind.YES_NO:
        return None
    if spec.kind is Kind.DATE:
        return None
    if spec.kind is Kind.EMAIL_LIST:
        return []
    return ""


def is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def _parse_text(spec: FieldSpec, original: object, text: str, out: Cleaned) -> Any:
    return " ".join(text.split())


def _parse_upper(spec: FieldSpec, original: object, text: str, out: Cleaned) -> Any:
    value = " ".join(text.split())
    upper = value.upper()
    if upper != value:
        out.warn(spec, "uppercased", f"« {spec.header} » mis en majuscules : {upper}.")
    return upper


def _parse_email(spec: FieldSpec, original: object, text: str, out: Cleaned) -> Any:
    try:
        value, fix = cleaning.email(text)
    except cleaning.Rejected as exc:
        out.error(spec, exc.code, exc.message)
        return text.strip().lower()
    if fix:
        out.warn(spec, fix, f"Adresse mail mise en minuscules : {value}.")
    return value


def _digits_field(
    validator: Callable[[str], str],
) -> Callable[[FieldSpec, object, str, Cleaned], Any]:
    def parse(spec: FieldSpec, original: object, text: str, out: Cleaned) -> Any:
        try:
            number = validator(text)
        except identifiers.InvalidIdentifier as exc:
            out.error(spec, "identifier", str(exc))
            return identifiers.compact(text)
        if number != text:
            out.warn(spec, "compacted", f"Espaces retirés du numéro {spec.header} : {number}.")
        return number

    return parse


_FIX_MESSAGES = {
    "zero_padded": "Code postal complété par un zéro initial : {value}.",
    "compacted": "« {header} » écrit sans séparateur : {value}.",
}
_POSTAL_FIXES = {**_FIX_MESSAGES, "compacted": "Espaces retirés du code postal : {value}."}


def _cleaner(
    clean: Callable[[str], cleaning.Clean], messages: Mapping[str, str] = _FIX_MESSAGES
) -> Callable[[FieldSpec, object, str, Cleaned], Any]:
    """A parser over one of `referentials.cleaning`'s cleaners; its fixes become warnings."""

    def parse(spec: FieldSpec, original: object, text: str, out: Cleaned) -> Any:
        try:
            value, fix = clean(text)
        except cleaning.Rejected as exc:
            out.error(spec, exc.code, exc.message)
            return text.replace(" ", "")
        if fix:
            message = messages.get(fix, messages["compacted"])
            out.warn(spec, fix, message.format(header=spec.header, value=value))
        return value

    return parse


def _parse_phone(spec: FieldSpec, original: object, text: str, out: Cleaned) -> Any:
    from_number = isinstance(original, int | float) and not isinstance(original, bool)
    return _cleaner(lambda t: cleaning.phone(t, from_number=from_number))(spec, original, text, out)


def _parse_list(spec: FieldSpec, original: object, text: str, out: Cleaned) -> Any:
    """A code or a label as HR files write it (referentials/matching.py); else suggestions."""
    assert spec.referential is not None
    referential = lists.by_name(spec.referential)
    found = referential.match(text)
    if found.entry is not None:
        return found.entry.code
    if found.ambiguous:
        message = referential.ambiguous_message(text, found.candidates)
        out.problems.append(Problem(spec.key, "ambiguous", message, value=text))
    else:
        message = referential.unknown_message(text)
        out.problems.append(Problem(spec.key, "choice", message, value=text))
    return text


def _parse_yes_no(spec: FieldSpec, original: object, text: str, out: Cleaned) -> Any:
    folded = text.strip().upper()
    if folded in {"OUI", "O", "YES", "Y", "1", "VRAI", "TRUE"}:
        return True
    if folded in {"NON", "N", "NO", "0", "FAUX", "FALSE"}:
        return False
    out.error(spec, "yes_no", f"« {spec.header} » doit valoir OUI ou NON (lu : « {text} »).")
    return None


def _parse_structure_id_type(spec: FieldSpec, original: object, text: str, out: Cleaned) -> Any:
    value = text.strip().upper()
    value = identifiers.STRUCTURE_ID_CODES.get(value, value)
    if value.startswith("FINESS"):
        value = "FINESS"
    if value not in identifiers.STRUCTURE_ID_TYPES:
        out.error(
            spec,
            "choice",
            f"Type d'identifiant « {text} » inconnu : indiquez FINESS, SIREN ou SIRET "
            "(ou 1, 2, 3).",
        )
    return value


def _parse_compact(spec: FieldSpec, original: object, text: str, out: Cleaned) -> Any:
    return identifiers.compact(text).upper()


def _parse_particle(spec: FieldSpec, original: object, text: str, out: Cleaned) -> Any:
    value = text.strip().lower()
    if "@" in value:
        out.error(
            spec,
            "particle",
            f"« {spec.header} » : indiquez seulement la partie avant @ (le domaine est ajouté "
            "automatiquement).",
        )
        return value
    if not _PARTICLE.match(value):
        out.error(
            spec,
            "particle",
            f"« {text} » : utilisez des lettres sans accent, des chiffres, des points ou des "
            "tirets (ex. prenom.nom).",
        )
    elif value != text:
        out.warn(spec, "lowercased", f"« {spec.header} » mis en minuscules : {value}.")
    return value


def _parse_date(spec: FieldSpec, original: object, text: str, out: Cleaned) -> Any:
    if isinstance(original, datetime):
        return original.date()
    if isinstance(original, date):
        return original
    if (
        isinstance(original, int | float)
        and not isinstance(original, bool)
        and 1 <= original < 2958466  # an Excel serial date
    ):
        return _EXCEL_EPOCH + timedelta(days=int(original))
    try:
        return cleaning.clean_date(text)
    except cleaning.Rejected as exc:
        out.error(spec, exc.code, exc.message)
        return None


parse_date_text = cleaning.parse_date  # the accepted formats: referentials/cleaning.py


def _parse_email_list(spec: FieldSpec, original: object, text: str, out: Cleaned) -> Any:
    emails: list[str] = []
    for part in re.split(r"[;,\s]+", text):
        if not part.strip():
            continue
        try:
            address = cleaning.email(part).value
        except cleaning.Rejected:
            out.error(spec, "email", f"« {part} » n'est pas une adresse mail valide.")
            continue
        if address not in emails:
            emails.append(address)
    return emails


_PARSERS: dict[Kind, Callable[[FieldSpec, object, str, Cleaned], Any]] = {
    Kind.TEXT: _parse_text,
    Kind.UPPER: _parse_upper,
    Kind.EMAIL: _parse_email,
    Kind.RPPS: _digits_field(identifiers.validate_rpps),
    Kind.ADELI: _digits_field(identifiers.validate_adeli),
    Kind.POSTAL_CODE: _cleaner(cleaning.postal_code, _POSTAL_FIXES),
    Kind.PHONE: _parse_phone,
    Kind.LIST: _parse_list,
    Kind.YES_NO: _parse_yes_no,
    Kind.STRUCTURE_ID_TYPE: _parse_structure_id_type,
    Kind.STRUCTURE_ID: _parse_compact,
    Kind.PERSON_ID: _parse_compact,
    Kind.PARTICLE: _parse_particle,
    Kind.DATE: _parse_date,
    Kind.EMAIL_LIST: _parse_email_list,
    Kind.STRUCTURE: _parse_text,
}


@dataclass(frozen=True)
class _Column:
    """What clean_account needs of one field, looked up once when the module loads."""

    spec: FieldSpec
    key: str
    parser: Callable[[FieldSpec, object, str, Cleaned], Any]
    empty: Any  # empty_value(spec); a fresh list instead when empty_is_list
    empty_is_list: bool
    parse_limit: int  # longer text is refused without being parsed


_COLUMNS: tuple[_Column, ...] = tuple(
    _Column(
        spec=spec,
        key=spec.key,
        parser=_PARSERS.get(spec.kind, _parse_text),
        empty=empty_value(spec),
        empty_is_list=isinstance(empty_value(spec), list),
        parse_limit=10 * spec.max_length + 100,
    )
    for spec in FIELDS
    if spec.key != "type"
)


def _reporting_rules(kind: str) -> tuple[tuple[FieldSpec, Rule], ...]:
    """The fields whose rule can report something for this mailbox type, in table order.

    O, NC and OSC with a condition; R and F never report anything.
    """
    ruled: list[tuple[FieldSpec, Rule]] = []
    for spec in FIELDS:
        rule = spec.rule(kind)
        if rule in (Rule.O, Rule.NC) or (rule is Rule.OSC and spec.condition):
            ruled.append((spec, rule))
    return tuple(ruled)


_RULES_BY_TYPE: dict[str, tuple[tuple[FieldSpec, Rule], ...]] = {
    kind: _reporting_rules(kind) for kind in TYPES
}


# Conditions of OSC fields: given the cleaned values, is the field mandatory?
CONDITIONS: dict[str, Callable[[dict[str, Any]], bool]] = {
    "rpps_or_adeli": lambda v: is_empty(v.get("rpps")) and is_empty(v.get("adeli")),
    "medico_social_profession": lambda v: lists.is_medico_social(v.get("profession") or ""),
    "civility_profession": lambda v: v.get("profession") in lists.PROFESSIONS_WITH_CIVILITY,
    "apicrypt_address_given": lambda v: not is_empty(v.get("apicrypt_address")),
}
CONDITION_MESSAGES = {
    "rpps_or_adeli": "Une BAL PER exige un numéro RPPS ou ADELI : renseignez l'un des deux.",
    "medico_social_profession": "Le diplôme est obligatoire pour une profession médico-sociale.",
    "civility_profession": (
        "La civilité d'exercice est obligatoire pour un Médecin, un Pharmacien ou un "
        "Chirurgien-Dentiste en BAL INT (ex. DR pour Docteur)."
    ),
    "apicrypt_address_given": "Apicrypt spécialité est obligatoire quand Apicrypt adresse est "
    "renseignée.",
}


def _apply_rules(kind: str, out: Cleaned) -> None:
    values = out.values
    reported_conditions: set[str] = set()
    for spec, rule in _RULES_BY_TYPE[kind]:  # only O, NC and OSC with a condition
        empty = is_empty(values.get(spec.key))
        if rule is Rule.O:
            if empty and not _has_error(out, spec.key):
                out.error(
                    spec,
                    "required",
                    f"« {spec.header} » est obligatoire pour une BAL {TYPE_NAMES[kind]}"
                    + (f" : {spec.help}" if spec.help else "."),
                )
        elif rule is Rule.NC:
            if not empty:
                out.error(
                    spec,
                    "not_concerned",
                    f"« {spec.header} » doit rester vide pour une BAL {TYPE_NAMES[kind]} : "
                    "effacez cette valeur.",
                )
        elif empty:  # OSC: mandatory when its condition holds
            assert spec.condition is not None
            if spec.condition in reported_conditions or _has_error(out, spec.key):
                continue
            if CONDITIONS[spec.condition](values):
                reported_conditions.add(spec.condition)
                out.error(spec, "required_if", CONDITION_MESSAGES[spec.condition])


def _has_error(out: Cleaned, key: str) -> bool:
    return any(p.field == key and p.is_error for p in out.problems)


def _fill_region(out: Cleaned) -> None:
    department = out.values.get("department") or ""
    if not department or _has_error(out, "department"):
        return
    expected = lists.region_of_department(department) or ""
    region = out.values.get("region") or ""
    spec = BY_KEY["region"]
    if not region and not _has_error(out, "region"):
        out.values["region"] = expected
        out.warn(
            spec, "derived", f"Région déduite du département : {lists.regions().label(expected)}."
        )
    elif region and region != expected and not _has_error(out, "region"):
        out.error(
            spec,
            "mismatch",
            f"Le département {lists.departments().label(department)} est en région "
            f"{lists.regions().label(expected)}, pas {lists.regions().label(region)} : "
            "corrigez l'un des deux.",
        )


def _check_structure_id(out: Cleaned) -> None:
    id_type = out.values.get("resp_structure_id_type") or ""
    number = out.values.get("resp_structure_id") or ""
    if (
        not number
        or _has_error(out, "resp_structure_id")
        or _has_error(out, "resp_structure_id_type")
    ):
        return
    spec = BY_KEY["resp_structure_id"]
    if not id_type:
        out.error(
            spec,
            "required_if",
            "Indiquez aussi le type d'identifiant de la structure (FINESS, SIREN, SIRET).",
        )
        return
    try:
        out.values["resp_structure_id"] = identifiers.validate_structure_identifier(id_type, number)
    except identifiers.InvalidIdentifier as exc:
        out.error(spec, "identifier", str(exc))


def _check_resp_identifier(kind: str, out: Cleaned) -> None:
    number = out.values.get("resp_identifier") or ""
    if not number or _has_error(out, "resp_identifier"):
        return
    spec = BY_KEY["resp_identifier"]
    try:
        if len(number) == 9 and kind == "APP":
            out.values["resp_identifier"] = identifiers.validate_adeli(number)
        else:
            out.values["resp_identifier"] = identifiers.validate_rpps(number)
    except identifiers.InvalidIdentifier as exc:
        out.error(spec, "identifier", f"Identifiant du responsable : {exc}")


def _letters(value: str) -> str:
    return "".join(ch for ch in fold(value) if ch.isalnum())


def looks_personal(email: str, values: Mapping[str, Any]) -> str:
    """Why `email` looks like one person's address given the other values ('' if generic):
    the rule `fields.PERSONAL_MARKERS` describes."""
    local = email.partition("@")[0]
    compact = _letters(local)
    if not compact:
        return ""
    for first_key, last_key in PERSONAL_MARKERS:
        first = _letters(str(values.get(first_key) or ""))
        last = _letters(str(values.get(last_key) or ""))
        if len(first) < 2 or len(last) < 2:
            continue
        forms = {first + last, last + first, first[0] + last, last + first[0]}
        if compact in forms or (first in compact and last in compact):
            return "elle porte le nom et le prénom du responsable"
    for login in values.get(PERSONAL_LOGINS) or []:
        if _letters(str(login).partition("@")[0]) == compact:
            return f"elle reprend l'identifiant du compte nominatif {login}"
    return ""


def _check_generic(kind: str, out: Cleaned) -> None:
    spec = BY_KEY["email"]
    email = str(out.values.get("email") or "")
    if kind not in spec.generic_for or not email or _has_error(out, "email"):
        return
    why = looks_personal(email, out.values)
    if why:
        out.error(
            spec,
            "generic",
            f"L'adresse {email} semble personnelle ({why}) : une boîte organisationnelle "
            f"est partagée, son adresse doit être générique (ex. {GENERIC_EMAIL_EXAMPLES}).",
        )
