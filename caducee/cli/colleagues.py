"""`caducee colleagues …`: colleagues proposed on ORG mailboxes by their users (issue #15
point 8), approved or refused as the structure's admins do in « Propositions de
collègues », and the structure's setting that adds them without validation.

Each write is one call to `caducee.accounts.operations` with the server's context; the
JSON output is the API's (`caducee.api.serializers.colleague_proposal_out`).
"""

from __future__ import annotations

import argparse
from typing import Any

from caducee.cli.output import print_json


def register(commands: Any) -> None:
    colleagues = commands.add_parser(
        "colleagues", help="propositions de collègues sur les BAL organisationnelles"
    )
    sub = colleagues.add_subparsers(title="actions", metavar="ACTION", required=True)

    listing = sub.add_parser("list", help="lister les propositions d'une structure")
    listing.add_argument("--structure", required=True, help="nom, identifiant ou domaine")
    listing.add_argument("--pending", action="store_true", help="seulement celles en attente")
    listing.add_argument("--json", action="store_true", help="sortie JSON")
    listing.set_defaults(func=list_proposals)

    approve = sub.add_parser("approve", help="valider une proposition (n° de la liste)")
    approve.add_argument("proposal", type=int, help="numéro de la proposition")
    approve.set_defaults(func=approve_proposal)

    refuse = sub.add_parser("refuse", help="refuser une proposition (n° de la liste)")
    refuse.add_argument("proposal", type=int, help="numéro de la proposition")
    refuse.add_argument("--reason", default="", help="motif du refus, envoyé au proposant")
    refuse.set_defaults(func=refuse_proposal)

    policy = sub.add_parser(
        "policy",
        help="« Les utilisateurs d'une BAL organisationnelle peuvent y ajouter des collègues "
        "sans validation » (on|off ; sans valeur : l'affiche)",
    )
    policy.add_argument("--structure", required=True, help="nom, identifiant ou domaine")
    policy.add_argument("state", nargs="?", default="", help="on ou off")
    policy.set_defaults(func=policy_cmd)


def _proposal(proposal_id: int) -> Any:
    from caducee.accounts.models import ColleagueProposal
    from caducee.core.errors import NotFound

    proposal = (
        ColleagueProposal.objects.select_related("mailbox__structure", "colleague", "proposed_by")
        .filter(pk=proposal_id)
        .first()
    )
    if proposal is None:
        raise NotFound(f"Aucune proposition n° {proposal_id}.")
    return proposal


def list_proposals(args: argparse.Namespace) -> int:
    from caducee.accounts.colleagues import structure_proposals
    from caducee.accounts.models import ColleagueProposal
    from caducee.api.serializers import colleague_proposal_out
    from caducee.structures.access import find_structure

    rows = structure_proposals(find_structure(args.structure))
    if args.pending:
        rows = rows.filter(status=ColleagueProposal.Status.PENDING)
    if args.json:
        print_json([colleague_proposal_out(p) for p in rows])
        return 0
    if not rows:
        print("Aucune proposition.")
    for p in rows:
        print(
            f"{p.pk}\t{p.mailbox.email}\t{p.colleague.email}\t{p.proposed_by_email}\t"
            f"{p.proposed_at:%d/%m/%Y %H:%M}\t{p.get_status_display()}"
        )
    return 0


def approve_proposal(args: argparse.Namespace) -> int:
    from caducee.accounts import operations
    from caducee.core.context import cli_context

    proposal = operations.approve_colleague_proposal(cli_context(), _proposal(args.proposal))
    print(
        f"{proposal.colleague.email} est maintenant compte de connexion de "
        f"{proposal.mailbox.email}."
    )
    return 0


def refuse_proposal(args: argparse.Namespace) -> int:
    from caducee.accounts import operations
    from caducee.core.context import cli_context

    proposal = operations.refuse_colleague_proposal(
        cli_context(), _proposal(args.proposal), args.reason
    )
    print(
        f"Proposition refusée : {proposal.colleague.email} n'est pas ajouté à "
        f"{proposal.mailbox.email}."
    )
    return 0


def policy_cmd(args: argparse.Namespace) -> int:
    from caducee.accounts import operations
    from caducee.cli.directory import on_off
    from caducee.core.context import cli_context
    from caducee.structures.access import find_structure

    structure = find_structure(args.structure)
    if args.state:
        operations.set_colleague_policy(cli_context(), structure, on_off(args.state))
    state = "oui" if structure.colleagues_without_validation else "non"
    print(f"{structure.name} : ajout de collègues sans validation : {state}.")
    return 0
