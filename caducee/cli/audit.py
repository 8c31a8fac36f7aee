"""`caducee audit …`."""

from __future__ import annotations

import argparse
import sys
from typing import Any


def register(commands: Any) -> None:
    audit = commands.add_parser("audit", help="journal d'audit")
    sub = audit.add_subparsers(title="actions", metavar="ACTION", required=True)
    verify = sub.add_parser("verify", help="vérifier que le journal n'a pas été altéré")
    verify.set_defaults(func=verify_chain)


def verify_chain(args: argparse.Namespace) -> int:
    from caducee.audit.chains import chain_name
    from caducee.audit.verify import verify_chain as verify

    report = verify()
    if report.ok:
        print(f"Journal d'audit intègre : {report.checked} événement(s) vérifié(s).")
        # Kept outside the database (syslog, ticket), the heads also reveal a later
        # truncation of the newest events of a chain, which the chain alone cannot.
        print(f"Dernier événement : n° {report.head_seq}, empreinte {report.head_hash}.")
        for head in report.heads:
            print(
                f"Dernier événement de la {chain_name(head.chain)} : n° {head.seq}, "
                f"empreinte {head.hash}."
            )
        return 0
    for problem in report.problems:
        sys.stderr.write(f"{problem}\n")
    sys.stderr.write(
        f"Journal d'audit altéré : {len(report.problems)} anomalie(s) sur "
        f"{report.checked} événement(s).\n"
    )
    return 1
