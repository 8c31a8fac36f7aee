"""`caducee user …`: password links, lock lifting, sessions and reminders, from the server."""

from __future__ import annotations

import argparse
from typing import Any


def register(commands: Any) -> None:
    user = commands.add_parser("user", help="connexion des personnes : liens, blocages, relances")
    sub = user.add_subparsers(title="actions", metavar="ACTION", required=True)

    reset = sub.add_parser(
        "reset-link", help="afficher un lien à usage unique pour choisir un nouveau mot de passe"
    )
    reset.add_argument("--email", required=True)
    reset.set_defaults(func=reset_link)

    unlock = sub.add_parser("unlock", help="lever le blocage après des échecs de connexion")
    unlock.add_argument("--email", required=True)
    unlock.set_defaults(func=unlock_login)

    everywhere = sub.add_parser(
        "logout-everywhere", help="fermer toutes les sessions ouvertes d'une personne"
    )
    everywhere.add_argument("--email", required=True)
    everywhere.set_defaults(func=logout_everywhere)

    second = sub.add_parser(
        "reset-second-factor",
        help="retirer l'application d'authentification d'une personne qui l'a perdue "
        "(ses accès en cours sont révoqués)",
    )
    second.add_argument("--email", required=True)
    second.set_defaults(func=reset_second_factor)

    remind = sub.add_parser(
        "remind", help="renvoyer un lien de finalisation à tous les préinscrits d'une structure"
    )
    remind.add_argument("--structure", required=True, help="nom, identifiant ou domaine")
    remind.set_defaults(func=remind_structure)

    last = sub.add_parser(
        "last-reminder", help="afficher la dernière relance des préinscrits d'une structure"
    )
    last.add_argument("--structure", required=True, help="nom, identifiant ou domaine")
    last.set_defaults(func=show_last_reminder)

    resend = sub.add_parser("resend", help="renvoyer le lien de finalisation à un préinscrit")
    resend.add_argument("--email", required=True)
    resend.set_defaults(func=resend_one)


def reset_link(args: argparse.Namespace) -> int:
    from caducee.core.context import cli_context
    from caducee.identity.operations import issue_reset_link, person_by_email

    user = person_by_email(args.email)
    url = issue_reset_link(cli_context(), user)
    print(f"Lien à usage unique pour {user.email} : {url}")
    return 0


def unlock_login(args: argparse.Namespace) -> int:
    from caducee.core.context import cli_context
    from caducee.identity.operations import unlock_login as unlock

    email = args.email.strip().lower()
    if unlock(cli_context(), email):
        print(f"Le blocage de {email} est levé.")
    else:
        print(f"{email} n'était pas bloqué.")
    return 0


def logout_everywhere(args: argparse.Namespace) -> int:
    from caducee.core.context import cli_context
    from caducee.identity.operations import logout_everywhere as close_all
    from caducee.identity.operations import person_by_email

    user = person_by_email(args.email)
    close_all(cli_context(), user)
    print(f"Toutes les sessions de {user.email} sont fermées.")
    return 0


def reset_second_factor(args: argparse.Namespace) -> int:
    from caducee.core.context import cli_context
    from caducee.identity.operations import person_by_email
    from caducee.identity.operations import reset_second_factor as reset

    user = person_by_email(args.email)
    reset(cli_context(), user)
    print(
        f"L'application d'authentification de {user.email} est retirée : ses codes de "
        "connexion lui seront envoyés par mail. Ses sessions, mots de passe d'application "
        "et jetons d'API sont révoqués."
    )
    return 0


def remind_structure(args: argparse.Namespace) -> int:
    from django.utils import timezone

    from caducee.core.context import cli_context
    from caducee.identity.operations import remind_preregistered
    from caducee.structures.access import find_structure

    structure = find_structure(args.structure)
    reminder = remind_preregistered(cli_context(), structure)
    when = timezone.localtime(reminder.created_at)
    print(
        f"{len(reminder.accounts)} utilisateur(s) préinscrit(s) relancé(s) — "
        f"Dernière relance le : {when:%d/%m/%Y} à {when:%H:%M:%S}"
    )
    for entry in reminder.accounts:
        print(f"  {entry['email']}")
    return 0


def show_last_reminder(args: argparse.Namespace) -> int:
    from django.utils import timezone

    from caducee.identity.operations import last_reminder
    from caducee.structures.access import find_structure

    reminder = last_reminder(find_structure(args.structure))
    if reminder is None:
        print("Aucune relance pour cette structure.")
        return 0
    when = timezone.localtime(reminder.created_at)
    print(
        f"Dernière relance le : {when:%d/%m/%Y} à {when:%H:%M:%S} — "
        f"{len(reminder.accounts)} utilisateur(s) préinscrit(s) relancé(s)"
    )
    for entry in reminder.accounts:
        print(f"  {entry['email']}")
    return 0


def resend_one(args: argparse.Namespace) -> int:
    from caducee.accounts.models import Account
    from caducee.core.context import cli_context
    from caducee.core.errors import NotFound
    from caducee.identity.operations import resend_invitation

    email = args.email.strip().lower()
    account = Account.objects.filter(email=email).first()
    if account is None:
        raise NotFound(f"Aucun compte {email}.")
    resend_invitation(cli_context(), account)
    print(f"Un nouveau lien de finalisation est envoyé à {email}.")
    return 0
