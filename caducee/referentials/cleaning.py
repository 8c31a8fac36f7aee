"""One copy of the small field rules: phone, email, postal code, dates.

Every screen, API route and import of the platform cleans these values here, so the same
product accepts the same formats everywhere. A cleaner takes the text typed (or read from
a file) and either returns `Clean(value, fix)` — the value to store, and `fix`, the code of
a silent correction the caller may report as a warning ("" when none) — or raises
`Rejected(code, message)` with a French message naming the value.

Callers turn a rejection into a `Problem` with `rejected.problem(field)`.

Accepted dates (documented in docs/ACCOUNTS.md): `AAAA-MM-JJ` (ISO; a time part is
ignored), `AA-MM-JJ` (the seed files' format, written by the loaduser export),
`JJ/MM/AAAA`, `JJ/MM/AA`, `JJ-MM-AAAA` and `JJ.MM.AAAA`. Two-digit years are 20AA. Days
and months may have one digit.
"""

from __future__ import annotations

import re
from datetime import date
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from caducee.core.errors import Problem

DATE_FORMATS = "AAAA-MM-JJ, AA-MM-JJ, JJ/MM/AAAA, JJ/MM/AA, JJ-MM-AAAA ou JJ.MM.AAAA"

_PHONE = re.compile(r"^\+?\d{6,15}$")
_PHONE_SEPARATORS = re.compile(r"[\s.\-()/]")
# (pattern, order of the groups, two-digit year); the separator tells the order apart.
_DATES: tuple[tuple[re.Pattern[str], str, bool], ...] = (
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$"), "ymd", False),
    (re.compile(r"^(\d{2})-(\d{1,2})-(\d{1,2})$"), "ymd", True),
    (re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{4})$"), "dmy", False),
    (re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2})$"), "dmy", True),
    (re.compile(r"^(\d{1,2})-(\d{1,2})-(\d{4})$"), "dmy", False),
    (re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})$"), "dmy", False),
)


class Clean(NamedTuple):
    value: str
    fix: str = ""  # "compacted", "zero_padded", "lowercased" or "" (nothing corrected)


class Rejected(ValueError):
    """A value no rule can accept; `message` is French and names the value."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message

    def problem(self, field: str) -> Problem:
        return Problem(field, self.code, self.message)


def phone(text: str, *, from_number: bool = False) -> Clean:
    """A phone number written with digits only (an optional leading +).

    Spaces, dots, dashes, slashes and brackets are removed. `from_number`: the value was a
    spreadsheet number, which lost the leading zero of 0612345678; it is put back.
    """
    value = _PHONE_SEPARATORS.sub("", text.strip())
    if from_number and len(value) == 9 and not value.startswith("0"):
        value = "0" + value
    if not _PHONE.match(value):
        raise Rejected(
            "phone",
            f"Numéro de téléphone « {text.strip()} » invalide : chiffres seulement "
            "(ex. 0612345678 ou +33612345678).",
        )
    return Clean(value, "compacted" if value != text.strip() else "")


def email(text: str) -> Clean:
    """An email address, in lower case (Django's validator: the strictest of the three
    checks the platform had)."""
    value = text.strip()
    lower = value.lower()
    try:
        validate_email(lower)
    except ValidationError:
        raise Rejected(
            "email",
            f"« {value} » n'est pas une adresse mail valide (attendu : prenom.nom@domaine.fr).",
        ) from None
    return Clean(lower, "lowercased" if lower != value else "")


def postal_code(text: str) -> Clean:
    """A French postal code: 5 digits, spaces removed.

    Four digits get their leading zero back (spreadsheets turn 01000…09999 into numbers).
    """
    value = text.strip().replace(" ", "")
    if value.isascii() and value.isdigit() and len(value) == 4:
        return Clean("0" + value, "zero_padded")
    if not (value.isascii() and value.isdigit() and len(value) == 5):
        raise Rejected(
            "postal_code", f"Code postal « {text.strip()} » invalide : 5 chiffres attendus."
        )
    return Clean(value, "compacted" if value != text.strip() else "")


def parse_date(text: str) -> date | None:
    """A calendar date in one of the accepted formats (module docstring), or None."""
    value = text.strip().split(" ")[0].split("T")[0]
    for pattern, order, short_year in _DATES:
        match = pattern.match(value)
        if not match:
            continue
        a, b, c = (int(x) for x in match.groups())
        year, month, day = (a, b, c) if order == "ymd" else (c, b, a)
        try:
            return date(2000 + year if short_year else year, month, day)
        except ValueError:
            return None
    return None


def clean_date(text: str) -> date:
    """`parse_date`, raising `Rejected` with the accepted formats when unreadable."""
    parsed = parse_date(text)
    if parsed is None:
        raise Rejected(
            "date",
            f"Date « {text.strip()} » illisible : écrivez-la JJ/MM/AAAA, AA-MM-JJ "
            "(ex. 26-12-31) ou AAAA-MM-JJ.",
        )
    return parsed
