"""The platform's MSSanté domains: a structure's own, or a shared one (issue #16, point 4).

`Structure.domain` holds the structure's MSSanté domain, whichever it is, so every reader
(address generation, the directory, the SMTP recipient lookup, the loaduser import) reads
the one value through `mssante_domain`. A shared domain is declared by the operator
(`PlatformDomain`, `declare_domain`); many structures may then take it as their domain,
and a particle is unique on it across all of them (the uniqueness checks already compare
`particle@domain`). A domain is never both: a structure's own domain cannot be declared
shared, and a structure cannot take another structure's own domain.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import Count

from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.core.context import Context
from caducee.core.errors import Forbidden, Invalid, Problem
from caducee.structures.models import PlatformDomain, Structure

MSSANTE_SUFFIX = ".mssante.fr"
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def mssante_domain(structure: Structure) -> str:
    """THE structure's MSSanté domain (its own or a shared one); "" when it has none."""
    return structure.domain or ""


def is_shared_domain(name: str) -> bool:
    return PlatformDomain.objects.filter(name=name.strip().lower(), shared=True).exists()


def shared_domain_names() -> set[str]:
    """The shared domains, in one query (for pages and lists of structures)."""
    return set(PlatformDomain.objects.filter(shared=True).values_list("name", flat=True))


def clean_domain_name(text: str, field: str = "name") -> str:
    """A platform domain as the operator types it: lower-cased, a DNS name under
    `.mssante.fr` (REFERENCE.md §2: every whitelisted MSSanté domain is one), or Invalid."""
    name = text.strip().lower().rstrip(".")
    example = "(exemple : pharmacien.oc.mssante.fr)"
    if not name:
        message = f"Indiquez le nom du domaine {example}."
    elif len(name) > 253 or not all(_LABEL.match(label) for label in name.split(".")):
        message = (
            f"« {text.strip()} » n'est pas un nom de domaine valide : des mots en lettres "
            f"minuscules sans accents, chiffres et tirets, séparés par des points {example}."
        )
    elif not name.endswith(MSSANTE_SUFFIX) or name == MSSANTE_SUFFIX[1:]:
        message = (
            f"« {name} » n'est pas un domaine MSSanté : un domaine de l'espace de confiance "
            f"se termine par {MSSANTE_SUFFIX} {example}."
        )
    else:
        return name
    raise Invalid(message, [Problem(field, "domain", message)])


@dataclass(frozen=True)
class DomainRow:
    """A declared domain with the number of structures whose MSSanté domain it is."""

    domain: PlatformDomain
    structures: int


def list_domains() -> list[DomainRow]:
    """The declared platform domains, by name, each with its number of structures."""
    counts = dict(
        Structure.objects.filter(domain__isnull=False)
        .values_list("domain")
        .annotate(n=Count("id"))
        .values_list("domain", "n")
    )
    return [DomainRow(d, counts.get(d.name, 0)) for d in PlatformDomain.objects.order_by("name")]


def declare_domain(ctx: Context, name: str, *, shared: bool) -> PlatformDomain:
    """The platform operator or the server; audits `domain.declare`.

    Declares an MSSanté domain of the platform; a shared one may then be the domain of
    many structures (« Paramétrage de la structure », `structure edit --set domain=…`).
    Refused when already declared, or when it is a structure's own domain and is
    declared shared."""
    if not (ctx.is_operator or ctx.is_server):
        raise Forbidden("Seul l'opérateur de la plateforme peut déclarer des domaines.")
    value = clean_domain_name(name)
    if PlatformDomain.objects.filter(name=value).exists():
        message = f"Le domaine {value} est déjà déclaré."
        raise Invalid(message, [Problem("name", "unique", message)])
    owners = list(Structure.objects.filter(domain=value).values_list("name", flat=True)[:2])
    if owners and shared:
        message = (
            f"{value} est le domaine propre de la structure « {owners[0]} » : un domaine ne "
            "peut pas être à la fois propre à une structure et partagé. Déclarez un autre "
            "domaine partagé."
        )
        raise Invalid(message, [Problem("name", "own_domain", message)])
    with transaction.atomic():
        try:
            domain = PlatformDomain.objects.create(name=value, shared=shared)
        except IntegrityError:
            message = f"Le domaine {value} est déjà déclaré."
            raise Invalid(message, [Problem("name", "unique", message)]) from None
        record_event(
            ctx,
            AuditAction.DOMAIN_DECLARE,
            target=domain,
            target_label=value,
            detail={"domain": value, "shared": shared},
        )
    return domain


def domain_problems(domain: str, exclude: int | None) -> list[Problem]:
    """A structure's domain (cleaned, not empty): another structure's own domain is
    refused; a shared domain may be the domain of any number of structures."""
    others = Structure.objects.exclude(pk=exclude) if exclude else Structure.objects.all()
    if is_shared_domain(domain) or not others.filter(domain=domain).exists():
        return []
    return [
        Problem(
            "domain",
            "unique",
            "Ce domaine MSSanté est déjà le domaine propre d'une autre structure. Une "
            "structure sans domaine propre prend un domaine partagé déclaré par l'opérateur "
            "(caducee domain list).",
        )
    ]
