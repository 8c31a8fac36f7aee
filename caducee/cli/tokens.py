"""`caducee token …`: API tokens."""

from __future__ import annotations

import argparse
from typing import Any


def register(commands: Any) -> None:
    token = commands.add_parser("token", help="jetons d'accès à l'API")
    sub = token.add_subparsers(title="actions", metavar="ACTION", required=True)
    create = sub.add_parser("create", help="créer un jeton pour une personne (affiché une fois)")
    create.add_argument("--email", required=True)
    create.add_argument("--label", default="API")
    create.add_argument(
        "--days",
        type=int,
        default=None,
        help="durée de validité en jours (sans : jusqu'à révocation)",
    )
    create.add_argument(
        "--read-only",
        action="store_true",
        help="jeton en lecture seule : toute requête autre que GET est refusée (403)",
    )
    create.set_defaults(func=create_token)
    revoke = sub.add_parser("revoke", help="révoquer un jeton")
    revoke.add_argument("--email", required=True)
    revoke.add_argument("--prefix", required=True, help="les 10 premiers caractères du jeton")
    revoke.set_defaults(func=revoke_token)


def _user(email: str) -> Any:
    from caducee.core.errors import NotFound
    from caducee.people.models import User

    user = User.objects.filter(email=email.strip().lower()).first()
    if user is None:
        raise NotFound(f"Aucune personne {email}.")
    return user


def create_token(args: argparse.Namespace) -> int:
    from caducee.api.tokens import issue_token
    from caducee.core.context import cli_context

    token = issue_token(
        cli_context(), _user(args.email), args.label, days=args.days, read_only=args.read_only
    )
    print(token)
    return 0


def revoke_token(args: argparse.Namespace) -> int:
    from caducee.api.tokens import revoke_token as revoke
    from caducee.core.context import cli_context

    revoke(cli_context(), _user(args.email), args.prefix)
    print("Jeton révoqué.")
    return 0
