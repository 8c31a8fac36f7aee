"""« MSSanté adresse » left empty on a line that creates an account: the address is generated.

Seed 001 (annex): « Si pas d'adresse renseignée elle sera générée automatiquement si la
structure a un domaine MSSanté ». The rule is the « + » action's (`assign_mssante_address`
without a particle): `prenom.nom` for a person, the description, service or names for an
ORG/APP mailbox, then a number when already used on the platform
(`directory.generation.generate_particles`, the same rule in bulk).

Which lines: those that CREATE an account of a type that may have an address (PER, INT,
ORG, APP: never MED), in a structure with an MSSanté domain, with the cell empty or the
column absent. A line that updates an existing account keeps its meaning (the cell is the
wanted value: empty removes an address, and an account without one stays without), so
re-importing an unedited export changes nothing.

Two steps: `plan` (no query, after the validation pass: the bases, and a warning for a
name with no usable letter), then `resolve` (the queries; inside the writing transaction
for a real import, directly for a preview).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection

from caducee.accounts.models import AccountType
from caducee.core.errors import Problem
from caducee.directory.addresses import base_for, base_of
from caducee.directory.generation import Wanted, generate_particles
from caducee.loadusers.import_state import SHARED, ImportState
from caducee.loadusers.report import ReportRow
from caducee.structures.domains import mssante_domain

# The types whose new accounts get an address (`may_have_address`: every type but MED).
GENERATED_TYPES = frozenset(t for t in AccountType.values if t != AccountType.MED)
SAMPLE_SIZE = 5
FIELD = "mssante_particle"


def plan(state: ImportState) -> list[Wanted]:
    """The addresses to generate, in line order (no query); reports the lines that cannot
    get one as warnings (the account is created without an address)."""
    wanted: list[Wanted] = []
    no_domain: Counter[int] = Counter()
    for create in state.creates:
        if create.value(FIELD) or create.kind not in GENERATED_TYPES:
            continue
        structure = state.scope[create.structure_id]
        if not mssante_domain(structure):
            no_domain[structure.pk] += 1
            continue
        base = base_of(
            shared=create.kind in SHARED,
            description=str(create.value("description") or ""),
            service=str(create.value("service") or ""),
            first_name=str(create.value("first_name") or ""),
            last_name=str(create.value("last_name") or ""),
        )
        if not base:
            state.report(create.line, create.email, _no_letters())
            continue
        domain = mssante_domain(structure)
        wanted.append(Wanted(create.email, base_for(base, is_test=False), domain))
    for structure_id, count in no_domain.items():
        state.problems.append(_no_domain_row(state, structure_id, count))
    return wanted


def _no_letters() -> Problem:
    return Problem(
        FIELD,
        "not_generated",
        "Adresse MSSanté non générée : le nom de ce compte ne contient aucune lettre "
        "utilisable. Le compte est créé sans adresse ; indiquez la particule souhaitée "
        "(ex. prenom.nom) dans la colonne « MSSanté adresse », ou créez-la ensuite avec "
        "« + » sur la fiche du compte.",
        "warning",
    )


def _no_domain_row(state: ImportState, structure_id: int, count: int) -> ReportRow:
    name = state.scope[structure_id].name
    plural = "s" if count > 1 else ""
    return ReportRow(
        0,
        state.header.header_of(FIELD),
        "",
        "warning",
        "no_domain",
        f"La structure « {name} » n'a pas de domaine MSSanté : {count} compte{plural} "
        f"créé{plural} sans « MSSanté adresse » n'aur{'ont' if count > 1 else 'a'} pas "
        "d'adresse MSSanté. Demandez à l'opérateur de renseigner le domaine, puis créez les "
        "adresses avec « + » sur la fiche des comptes.",
    )


def resolve(state: ImportState, wanted: list[Wanted]) -> dict[str, str]:
    """Email of the line -> generated particle; a few queries for the whole file. Typed
    particles of the file and the logins it creates are never generated. Records the
    count and a sample in the result (a dry run returns the sample's particles only).

    One pass over the new accounts, keeping only what a generated address can meet (the
    same result as keeping everything, without holding a set as large as the file): the
    typed particles that are a candidate of a wanted base (`may_be_generated`), and the
    logins on a domain of the wanted addresses (`particle@domain`)."""
    domains = {w.domain for w in wanted}
    bases = {w.base for w in wanted}
    shown = {w.key for w in wanted[:SAMPLE_SIZE]}
    typed: set[str] = set()
    logins: set[str] = set()
    lines: dict[str, int] = {}
    for create in state.creates:
        particle = create.value(FIELD)
        if particle and may_be_generated(str(particle), bases):
            typed.add(str(particle))
        email = create.email
        if email.rpartition("@")[2] in domains:
            logins.add(email)
        if email in shown:
            lines[email] = create.line
    typed |= {
        p
        for u in state.updates
        if (p := str(u.values.get(FIELD) or "")) and may_be_generated(p, bases)
    }
    # A preview keeps only the sample's particles: every request gets one (its count).
    preview = state.result.dry_run
    particles = generate_particles(
        wanted, reserved=typed, reserved_addresses=logins, keys=shown if preview else None
    )
    state.result.addresses_generated = len(wanted) if preview else len(particles)
    state.result.addresses_sample = [
        {"line": lines[w.key], "email": w.key, "address": f"{particles[w.key]}@{w.domain}"}
        for w in wanted[:SAMPLE_SIZE]
    ]
    return particles


def may_be_generated(particle: str, bases: Collection[str]) -> bool:
    """Whether `particle` is among the names tried for one of these bases (`candidate`:
    the base itself, then the base followed by a number from 2, written without a leading
    zero)."""
    if particle in bases:
        return True
    end = len(particle)
    start = end
    while start > 0 and particle[start - 1] in "0123456789":
        start -= 1
    for split in range(start, end):  # every way to read the trailing digits as a number
        number = particle[split:]
        if number[0] != "0" and int(number) >= 2 and particle[:split] in bases:
            return True
    return False
