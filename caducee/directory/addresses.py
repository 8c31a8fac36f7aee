"""MSSanté addresses: `particle@structure.domain`, generated or checked.

The correspondence itself is `Account.mssante_particle` (empty: no MSSanté access). A
*compte de test* gets a particle prefixed with `test.` (same domain), which marks it as a
test address: never published, and the only kind it may exchange with.
"""

from __future__ import annotations

import re

from caducee.accounts.fields import BY_KEY
from caducee.accounts.models import Account, AccountType
from caducee.accounts.validation import Cleaned, _parse_particle
from caducee.core.errors import Invalid, Problem
from caducee.referentials.text import first_free, strip_accents
from caducee.structures.domains import mssante_domain

TEST_PREFIX = "test."
PARTICLE_SPEC = BY_KEY["mssante_particle"]
MAX_PARTICLE = PARTICLE_SPEC.max_length
_BASE_ROOM = MAX_PARTICLE - 4  # room left for a collision number
_WORD = re.compile(r"[^a-z0-9-]+")
_SLUG = re.compile(r"[^a-z0-9]+")
_REPEATS = re.compile(r"([.-])[.-]+")


def mssante_address(account: Account) -> str | None:
    """The account's MSSanté address, or None when it has no correspondence."""
    domain = mssante_domain(account.structure)
    if not account.mssante_particle or not domain:
        return None
    return f"{account.mssante_particle}@{domain}"


def is_test_particle(particle: str) -> bool:
    return particle.startswith(TEST_PREFIX)


def is_test_address(address: str) -> bool:
    return is_test_particle(address.partition("@")[0])


def may_have_address(account: Account) -> bool:
    """PER, INT, ORG and APP accounts of a structure with an MSSanté domain."""
    return account.type != AccountType.MED and bool(mssante_domain(account.structure))


def _ascii(value: str) -> str:
    return strip_accents(value).casefold()


def _clean_edges(value: str) -> str:
    value = _REPEATS.sub(r"\1", value)
    return value.strip(".-")


def _person_part(value: str) -> str:
    """A first or last name with accents, spaces, apostrophes and symbols removed."""
    return _clean_edges(_WORD.sub("", _ascii(value)))


def _slug(value: str) -> str:
    """A service or structure name as dot-separated words."""
    return _clean_edges(_SLUG.sub(".", _ascii(value)))


def generated_base(account: Account) -> str:
    """`prenom.nom` for a person; the description, service or names for ORG/APP."""
    return base_of(
        shared=account.is_shared,
        description=account.description,
        service=account.service,
        first_name=account.first_name,
        last_name=account.last_name,
    )


def base_of(
    *, shared: bool, description: str, service: str, first_name: str, last_name: str
) -> str:
    """`generated_base` from the values themselves (the loaduser import has no instances)."""
    if shared:
        for source in (description, service, f"{last_name} {first_name}"):
            base = _slug(source)[:_BASE_ROOM]
            if base:
                return _clean_edges(base)
        return ""
    first = _person_part(first_name)
    last = _person_part(last_name)
    half = _BASE_ROOM // 2
    parts = [p for p in (first[:half], last[: _BASE_ROOM - min(len(first), half) - 1]) if p]
    return _clean_edges(".".join(parts))


def base_for(base: str, *, is_test: bool) -> str:
    """A generated base as it will be numbered: a test account's gets the `test.` prefix,
    another account's may not start with it (`test-` instead)."""
    if is_test:
        return (TEST_PREFIX + base)[: MAX_PARTICLE - 4].rstrip(".-")
    if is_test_particle(base):
        return "test-" + base[len(TEST_PREFIX) :]
    return base


def check_particle(text: str) -> str:
    """A particle typed by a person, normalised, or Invalid with the field spec's message."""
    out = Cleaned()
    value = _parse_particle(PARTICLE_SPEC, text, text.strip(), out)
    errors = [p for p in out.problems if p.is_error]
    if not text.strip():
        errors = [Problem("mssante_particle", "required", "Indiquez la partie avant @.")]
    if errors:
        raise Invalid("Adresse MSSanté refusée : " + errors[0].message, errors)
    return str(value)


def _taken(address: str, particle: str, domain: str, exclude: Account) -> bool:
    others = Account.objects.exclude(pk=exclude.pk)
    return (
        others.filter(mssante_particle=particle, structure__domain=domain).exists()
        or others.filter(email=address).exists()
    )


def free_particle(base: str, account: Account) -> str:
    """`base`, or `base2`, `base3`… : the first not used anywhere on the platform."""
    domain = mssante_domain(account.structure)
    used = set(
        Account.objects.exclude(pk=account.pk)
        .filter(mssante_particle__startswith=base)
        .values_list("mssante_particle", flat=True)
    )
    used |= {
        e.partition("@")[0]
        for e in Account.objects.exclude(pk=account.pk)
        .filter(email__startswith=base, email__endswith="@" + domain)
        .values_list("email", flat=True)
    }
    return first_free(base, used)
