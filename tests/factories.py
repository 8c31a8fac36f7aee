"""Test data builders. Valid identifiers are computed, never typed in by hand."""

from __future__ import annotations

import functools
import itertools
from typing import Any

from django.contrib.auth.hashers import make_password
from stdnum import luhn

from caducee.accounts.models import Account
from caducee.accounts.operations import create_account
from caducee.core.context import Context, cli_context
from caducee.people.models import User
from caducee.structures.models import Structure
from caducee.structures.operations import StructureInput, appoint_admin, create_structure

_counter = itertools.count(1)


def _next(width: int) -> int:
    """The next counter value that fits `width` digits: a long run (the whole suite) goes
    past 100,000, and an identifier one digit too long fails its own check."""
    return int(next(_counter) % 10**width)


def luhn_number(prefix: str) -> str:
    return prefix + luhn.calc_check_digit(prefix)


def rpps(n: int | None = None) -> str:
    return luhn_number(f"1{n if n is not None else _next(9):09d}")


def adeli(n: int | None = None) -> str:
    return luhn_number(f"7593{n if n is not None else _next(4):04d}")


def finess(n: int | None = None) -> str:
    return luhn_number(f"75{n if n is not None else _next(6):06d}")


def siren(n: int | None = None) -> str:
    return luhn_number(f"40{n if n is not None else _next(6):06d}")


def siret(n: int | None = None) -> str:
    # The SIREN is the first nine digits (732829320): the counter fills the last four.
    return luhn_number(f"732829320{n if n is not None else _next(4):04d}")


def make_structure(
    name: str | None = None, *, domain: str | None = None, **extra: str
) -> Structure:
    n = next(_counter)
    label = name or f"Structure {n}"
    data = StructureInput(
        name=label,
        id_type=extra.pop("id_type", "FINESS_EJ"),
        id_number=extra.pop("id_number", finess(n)),
        domain=domain if domain is not None else f"s{n}.mssante.fr",
        department=extra.pop("department", "75"),
        **extra,
    )
    return create_structure(cli_context(), data)


@functools.cache
def password_hash(password: str) -> str:
    """The platform's own hash of `password` (its PASSWORD_HASHERS, Argon2), computed once
    per test process and given to every person of the test data who needs that password.

    A hash costs about 0.3 s, on purpose; hashing afresh for each fixture was half the time
    of the tests that log people in. Logging in still checks the password against this
    hash with the same hasher, and the platform's own password changes hash for real."""
    return make_password(password)


def make_operator(
    email: str = "olivia.operatrice@example.org", password: str | None = None
) -> User:
    user = User.objects.create_user(
        email, first_name="Olivia", last_name="OPERATRICE", is_operator=True
    )
    if password:
        user.password = password_hash(password)
        user.save(update_fields=["password"])
    return user


def make_admin(structure: Structure, email: str, password: str | None = None) -> User:
    user, _ = appoint_admin(cli_context(), structure, email)
    if password:
        user.password = password_hash(password)
        user.save()
    return user


BASE = {
    "last_name": "DUPONT",
    "first_name": "Jeanne",
    "postal_code": "75012",
    "city": "PARIS",
    "department": "75",
    "region": "11",
    "liberal": "NON",
}


def account_data(kind: str, email: str | None = None, **overrides: Any) -> dict[str, Any]:
    n = next(_counter)
    data: dict[str, Any] = {**BASE, "type": kind, "email": email or f"user{n}@example.org"}
    if kind == "PER":
        data.update(rpps=rpps(n), profession="10")
    elif kind == "INT":
        data.update(profession="60", resp_structure_id_type="FINESS", resp_structure_id=finess(n))
    elif kind == "MED":
        data.update(profession="L10")
    elif kind in {"ORG", "APP"}:
        data.update(
            last_name="SECRETARIAT",
            first_name="Service",
            profession="10",
            resp_structure_id_type="FINESS",
            resp_structure_id=finess(n),
            resp_last_name="MARTIN",
            resp_first_name="Paul",
            resp_profession="10",
            resp_identifier=rpps(n),
            description="Secrétariat du service",
        )
        if kind == "ORG":
            data["connection_accounts"] = "secretaire@example.org"
    data.update(overrides)
    return data


def make_account(
    structure: Structure,
    kind: str = "PER",
    email: str | None = None,
    ctx: Context | None = None,
    **overrides: Any,
) -> Account:
    context = ctx or cli_context()
    if kind == "ORG" and "connection_accounts" not in overrides:
        person = make_account(structure, "MED", ctx=context)
        overrides["connection_accounts"] = person.email
    return create_account(context, structure, account_data(kind, email, **overrides)).account


def make_external(owner: Structure, email: str, identifier: str = "partenaire") -> User:
    """An outside coordination partner of `owner` (sealed account, no mailbox)."""
    from caducee.coordination.models import ExternalAccount, ExternalStatus, RightsProfile
    from caducee.coordination.operations import ensure_default_profiles, external_home_structure

    ensure_default_profiles(owner)
    profile = RightsProfile.objects.filter(structure=owner).first()
    assert profile is not None
    user = User.objects.create_user(email, first_name="Gaspard", last_name="PARTENAIRE")
    ExternalAccount.objects.create(
        user=user,
        identifier=identifier,
        home_structure=external_home_structure(),
        owner_structure=owner,
        profile=profile,
        status=ExternalStatus.ACTIVE,
    )
    return user


# The logins an admin of structure A must never take over: rights outside A.
VICTIM_KINDS = ("operator", "admin_elsewhere", "external", "mailbox_elsewhere")


def make_victim(kind: str, elsewhere: Structure) -> User:
    """A login with rights outside structure A, of one of the VICTIM_KINDS."""
    if kind == "operator":
        return make_operator("op@plateforme.test")
    if kind == "admin_elsewhere":
        return make_admin(elsewhere, "adminb@clinique-b.test")
    if kind == "external":
        return make_external(elsewhere, "gp@cabinet.test")
    account = make_account(elsewhere, "MED", "med@clinique-b.test")
    assert account.user is not None
    return account.user


def give_rights_elsewhere(kind: str, person: User, elsewhere: Structure) -> None:
    """Give a person who has a mailbox in A a right outside A, of one of the VICTIM_KINDS.

    A person has one nominative mailbox at most: for "mailbox_elsewhere", the right
    elsewhere is a coordination membership in `elsewhere`.
    """
    from caducee.coordination.models import ExternalAccount, Membership, RightsProfile
    from caducee.coordination.operations import ensure_default_profiles, external_home_structure
    from caducee.structures.models import StructureAdmin

    if kind == "operator":
        person.is_operator = True
        person.save(update_fields=["is_operator"])
        return
    if kind == "admin_elsewhere":
        StructureAdmin.objects.create(user=person, structure=elsewhere)
        return
    ensure_default_profiles(elsewhere)
    profile = RightsProfile.objects.filter(structure=elsewhere).first()
    assert profile is not None
    if kind == "external":
        ExternalAccount.objects.create(
            user=person,
            identifier="partenaire",
            home_structure=external_home_structure(),
            owner_structure=elsewhere,
            profile=profile,
            status="actif",
        )
        return
    Membership.objects.create(user=person, structure=elsewhere, profile=profile)
