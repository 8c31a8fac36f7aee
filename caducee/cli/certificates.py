"""`caducee certificates …`: the platform's CA for partner certificates (issue #17).

`init-ca` creates its key and certificate (CADUCEE_CERTIFICATE_CA_CERT / _KEY, by default
under CADUCEE_HOME/certificates/) when absent, and prints the path of the certificate
nginx must trust; `revoke SERIAL` revokes one partner certificate at once.
"""

from __future__ import annotations

import argparse
from typing import Any


def register(commands: Any) -> None:
    certificates = commands.add_parser(
        "certificates", help="autorité et certificats de connexion des partenaires externes"
    )
    sub = certificates.add_subparsers(title="actions", metavar="ACTION", required=True)
    init = sub.add_parser("init-ca", help="créer l'autorité de certification (si absente)")
    init.set_defaults(func=init_ca)
    revoke = sub.add_parser("revoke", help="révoquer un certificat par son numéro de série")
    revoke.add_argument("serial", metavar="SERIAL", help="numéro de série (hexadécimal)")
    revoke.add_argument("--reason", default="révoqué par l'opérateur (ligne de commande)")
    revoke.set_defaults(func=revoke_certificate)


def init_ca(args: argparse.Namespace) -> int:
    from caducee.identity.certificates import authority

    path, created = authority.init_ca()
    if created:
        print(f"Autorité de certification créée : {path}")
    else:
        print(f"L'autorité de certification existe déjà : {path} (rien n'a été modifié).")
    print(
        "Ajoutez ce certificat au fichier des autorités de certificats clients de nginx "
        "(ssl_client_certificate, docs/IDENTITY.md)."
    )
    return 0


def revoke_certificate(args: argparse.Namespace) -> int:
    from caducee.core.context import cli_context
    from caducee.core.errors import NotFound
    from caducee.identity.certificates.operations import revoke_certificate as revoke
    from caducee.identity.models import ClientCertificate

    row = ClientCertificate.objects.filter(serial=args.serial.strip().upper()).first()
    if row is None:
        raise NotFound(f"Aucun certificat de numéro de série {args.serial}.")
    done = revoke(cli_context(), row.pk, args.reason)
    print(f"Certificat {done.serial} révoqué ({done.reason}).")
    return 0
