"""`caducee lifecycle …`: the account lifecycle rules (expiry, inactivity), the inactivity
exemption and the export of inactive mailboxes (docs/ACCOUNTS.md).

`caducee lifecycle run` is what the scheduler's `lifecycle` job runs; `--today` shows what
a given day would do (and does it: warnings are sent, accounts deactivated or deleted).
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path
from typing import Any

from caducee.cli.account_links import find_account
from caducee.cli.output import print_json

FORMATS = ("csv", "xlsx")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"date « {text} » invalide : écrivez-la AAAA-MM-JJ (par exemple 2026-03-31)"
        ) from None


def register(commands: Any) -> None:
    parser = commands.add_parser(
        "lifecycle",
        help="cycle de vie des comptes : péremption, inactivité, suppression, exemption",
        description="Règles de cycle de vie des comptes : désactivation à la date de "
        "péremption, avertissements à J-30 et J-7, suppression des BAL inactives.",
    )
    sub = parser.add_subparsers(title="actions", metavar="ACTION")

    run = sub.add_parser(
        "run",
        help="passer les règles une fois (ce que lance le planificateur)",
        description="Désactive les comptes arrivés à leur date de péremption, envoie les "
        "avertissements (péremption et inactivité, J-30 et J-7, une seule fois chacun) et "
        "supprime les BAL inactives depuis CADUCEE_INACTIVITY_DAYS jours.",
    )
    run.add_argument(
        "--today",
        type=_day,
        default=None,
        metavar="AAAA-MM-JJ",
        help="le jour à considérer (par défaut aujourd'hui)",
    )
    run.add_argument("--json", action="store_true", help="sortie JSON")
    run.set_defaults(func=run_rules)

    export = sub.add_parser(
        "export-inactive",
        help="exporter les comptes inactifs supprimés depuis 6 mois et bientôt supprimés",
    )
    export.add_argument("--structure", required=True, help="nom ou identifiant")
    export.add_argument("--output", required=True, metavar="FICHIER", help="fichier .csv ou .xlsx")
    export.add_argument(
        "--format",
        choices=FORMATS,
        default=None,
        help="format du fichier (par défaut : l'extension de --output)",
    )
    export.add_argument("--today", type=_day, default=None, metavar="AAAA-MM-JJ")
    export.set_defaults(func=export_inactive)

    show = sub.add_parser("show", help="péremption et inactivité d'un compte")
    show.add_argument("email", help="adresse mail du compte")
    show.add_argument("--json", action="store_true", help="sortie JSON")
    show.set_defaults(func=show_status)

    exempt = sub.add_parser(
        "exempt", help="exempter un compte de la suppression pour inactivité (motif obligatoire)"
    )
    exempt.add_argument("email", help="adresse mail du compte")
    exempt.add_argument("--reason", required=True, help="motif de l'exemption (journalisé)")
    exempt.set_defaults(func=exempt_account)

    unexempt = sub.add_parser("unexempt", help="retirer l'exemption d'un compte")
    unexempt.add_argument("email", help="adresse mail du compte")
    unexempt.set_defaults(func=unexempt_account)


def run_rules(args: argparse.Namespace) -> int:
    from caducee.core.context import cli_context
    from caducee.lifecycle.operations import run_lifecycle

    summary = run_lifecycle(cli_context(), args.today)
    if args.json:
        print_json(
            {
                "day": summary.day.isoformat(),
                "expired": summary.expired,
                "deleted": summary.deleted,
                "expiry_warnings": summary.expiry_warnings,
                "inactivity_warnings": summary.inactivity_warnings,
            }
        )
        return 0
    print(summary.text)
    for email in summary.expired:
        print(f"  désactivé (péremption) : {email}")
    for email in summary.deleted:
        print(f"  supprimé (inactivité) : {email}")
    return 0


def export_inactive(args: argparse.Namespace) -> int:
    from caducee.core.context import cli_context
    from caducee.lifecycle.operations import export_inactive as export
    from caducee.structures.access import find_structure

    output = Path(args.output)
    fmt = args.format or output.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        sys.stderr.write(
            f"Erreur : format « {output.suffix or '(aucun)'} » inconnu : nommez le fichier "
            ".csv ou .xlsx, ou précisez --format csv|xlsx.\n"
        )
        return 2
    structure = find_structure(args.structure)
    result = export(cli_context(), structure, fmt, args.today)
    output.write_bytes(result.data)
    print(f"Export écrit dans {output} ({len(result.data)} octets).")
    return 0


def show_status(args: argparse.Namespace) -> int:
    from caducee.lifecycle.status import lifecycle_status

    account = find_account(args.email)
    status = lifecycle_status(account)
    if args.json:
        print_json({"account_id": account.pk, "email": account.email, **status.__dict__})
        return 0
    print(f"{account.email} — {account.get_state_display()}")
    if status.expiry_date:
        left = "" if status.expiry_days_left is None else f" ({status.expiry_days_left} j)"
        print(f"  date de péremption : {status.expiry_date:%d/%m/%Y}{left}")
    print(f"  dernière activité : {status.last_activity_at:%d/%m/%Y}")
    if status.inactivity_exempt_reason:
        print(f"  exempté de suppression : {status.inactivity_exempt_reason}")
    elif status.deletion_date:
        print(
            f"  suppression pour inactivité prévue le {status.deletion_date:%d/%m/%Y} "
            f"({status.deletion_days_left} j)"
        )
    if status.deleted_at:
        print(f"  supprimé le {status.deleted_at:%d/%m/%Y}")
    return 0


def exempt_account(args: argparse.Namespace) -> int:
    from caducee.core.context import cli_context
    from caducee.lifecycle.operations import exempt_from_inactivity

    account = exempt_from_inactivity(cli_context(), find_account(args.email), args.reason)
    print(f"{account.email} est exempté de la suppression pour inactivité.")
    return 0


def unexempt_account(args: argparse.Namespace) -> int:
    from caducee.core.context import cli_context
    from caducee.lifecycle.operations import remove_inactivity_exemption

    account = remove_inactivity_exemption(cli_context(), find_account(args.email))
    print(f"{account.email} n'est plus exempté de la suppression pour inactivité.")
    return 0
