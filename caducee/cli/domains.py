"""`caducee domain …`: the platform's MSSanté domains (issue #16, point 4).

`domain add NAME --shared` declares a shared domain; a structure is then put on it with
`caducee structure edit STRUCTURE --set domain=NAME`. `domain list [--json]` lists them.
"""

from __future__ import annotations

import argparse
from typing import Any

from caducee.cli.output import print_json


def register(commands: Any) -> None:
    domain = commands.add_parser("domain", help="gérer les domaines MSSanté de la plateforme")
    sub = domain.add_subparsers(title="actions", metavar="ACTION", required=True)

    add = sub.add_parser("add", help="déclarer un domaine MSSanté (ex. pharmacien.oc.mssante.fr)")
    add.add_argument("name", metavar="NAME", help="nom du domaine, terminé par .mssante.fr")
    add.add_argument(
        "--shared",
        action="store_true",
        help="domaine partagé : les structures sans domaine propre y ont leurs boîtes",
    )
    add.add_argument("--json", action="store_true", help="sortie JSON")
    add.set_defaults(func=add_domain)

    listing = sub.add_parser("list", help="lister les domaines déclarés")
    listing.add_argument("--json", action="store_true", help="sortie JSON")
    listing.set_defaults(func=list_domains)


def add_domain(args: argparse.Namespace) -> int:
    from caducee.api.serializers import domain_out
    from caducee.core.context import cli_context
    from caducee.structures.domains import DomainRow
    from caducee.structures.operations import declare_domain

    domain = declare_domain(cli_context(), args.name, shared=args.shared)
    if args.json:
        print_json(domain_out(DomainRow(domain, 0)))
    elif domain.shared:
        print(
            f"Domaine partagé déclaré : {domain.name}. Mettez-y une structure avec "
            f"caducee structure edit STRUCTURE --set domain={domain.name}"
        )
    else:
        print(f"Domaine déclaré : {domain.name}.")
    return 0


def list_domains(args: argparse.Namespace) -> int:
    from caducee.api.serializers import domain_out
    from caducee.structures.domains import list_domains as rows

    found = rows()
    if args.json:
        print_json([domain_out(row) for row in found])
        return 0
    if not found:
        print("Aucun domaine déclaré.")
    for row in found:
        kind = "partagé" if row.domain.shared else "non partagé"
        print(f"{row.domain.name}\t{kind}\t{row.structures} structure(s)")
    return 0
