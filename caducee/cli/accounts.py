"""`caducee account …`: read, create and edit accounts, change their state, type and email,
connection accounts, delegates, move to another structure (cli/account_moves.py).

Each write is one call to `caducee.accounts.operations` with the server's context; the
JSON output is the API's (`caducee.api.serializers`).
"""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING, Any

from caducee.cli.account_links import (
    add_connections,
    add_delegate,
    find_account,
    list_connections,
    list_delegates,
    list_mailboxes,
    remove_connection,
    remove_delegate,
    set_default,
    set_delegate_right,
    set_notification,
)
from caducee.cli.account_moves import register as register_move
from caducee.cli.output import print_json, print_warnings

# The delegate rights (accounts.models.DelegationRight; Django is set up after parsing).
RIGHTS = ("lecture", "reponse")
RIGHTS_HELP = (
    "droits du délégué : lecture (« Lecture », par défaut à l'ajout) ou reponse "
    "(« Lecture et réponse pour le compte de »)"
)

if TYPE_CHECKING:
    from caducee.core.errors import Invalid


def register(commands: Any) -> None:
    account = commands.add_parser("account", help="consulter et gérer les comptes")
    sub = account.add_subparsers(title="actions", metavar="ACTION", required=True)
    listing = sub.add_parser("list", help="lister les comptes d'une structure")
    listing.add_argument("--structure", required=True, help="nom ou identifiant")
    listing.add_argument("--state", default="", help="préinscrit, valide, désactivé…")
    listing.add_argument("--type", default="", help="PER, INT, ORG, MED ou APP")
    listing.add_argument("--json", action="store_true", help="sortie JSON")
    listing.set_defaults(func=list_accounts)
    show = sub.add_parser("show", help="afficher un compte")
    show.add_argument("email")
    show.add_argument("--json", action="store_true", help="sortie JSON")
    show.set_defaults(func=show_account)

    create = sub.add_parser("create", help="créer un compte dans une structure")
    create.add_argument("--structure", required=True, help="nom, identifiant ou domaine")
    create.add_argument("--type", required=True, help="type de BAL : PER, INT, ORG, MED ou APP")
    _set_option(create, "champ du compte, répétable (clé de la table des champs, ex. email=…)")
    create.add_argument("--visible", action="store_true", help="visible dans l'annuaire")
    create.add_argument("--test", action="store_true", help="compte de test")
    create.add_argument(
        "--no-notify",
        action="store_true",
        help="ne pas envoyer au titulaire d'un compte nominatif le mail de finalisation",
    )
    create.add_argument("--json", action="store_true", help="sortie JSON")
    create.set_defaults(func=create_account)
    edit = sub.add_parser(
        "edit", help="modifier un compte (les champs non donnés gardent leur valeur)"
    )
    edit.add_argument("email", help="adresse mail du compte")
    _set_option(edit, "champ à changer, répétable (clé de la table des champs, ex. city=Albi)")
    edit.add_argument("--json", action="store_true", help="sortie JSON")
    edit.set_defaults(func=edit_account)

    email_change = sub.add_parser(
        "email-change",
        help="demander le changement de l'adresse d'un compte (lien de confirmation envoyé "
        "à la nouvelle adresse)",
    )
    email_change.add_argument("email", help="adresse mail actuelle du compte")
    email_change.add_argument("new_email", metavar="NOUVELLE_ADRESSE")
    email_change.set_defaults(func=request_email_change)
    email_changes = sub.add_parser(
        "email-changes",
        help="lister les demandes de changement de mail d'un compte, ou d'une structure "
        "(--structure), avec leur état",
    )
    email_changes.add_argument("email", nargs="?", default="", help="adresse mail du compte")
    email_changes.add_argument("--structure", default="", help="nom, identifiant ou domaine")
    email_changes.add_argument(
        "--state", default="", help="pending (en attente), done, cancelled ou expired"
    )
    email_changes.add_argument("--json", action="store_true", help="sortie JSON")
    email_changes.set_defaults(func=list_email_changes)
    for name, label, func in (
        ("email-change-cancel", "annuler la demande de changement de mail en attente", cancel),
        ("email-change-resend", "renvoyer le lien de confirmation en attente", resend),
    ):
        action = sub.add_parser(name, help=label)
        action.add_argument("email", help="adresse mail actuelle du compte")
        action.set_defaults(func=func)

    for name, label, func in (
        ("deactivate", "désactiver un compte (ses sessions et accès sont révoqués)", deactivate),
        ("reactivate", "réactiver un compte désactivé", reactivate),
    ):
        action = sub.add_parser(name, help=label)
        action.add_argument("email", help="adresse mail du compte")
        action.set_defaults(func=func)

    change = sub.add_parser("change-type", help="changer le type de BAL d'un compte")
    change.add_argument("email", help="adresse mail du compte")
    change.add_argument("type", help="nouveau type : PER, INT, ORG, MED ou APP")
    _set_option(
        change,
        "champ exigé par le nouveau type, répétable (clé de la table des champs, "
        "ex. rpps=10003456786)",
    )
    change.add_argument(
        "--preview",
        action="store_true",
        help="afficher seulement ce que le nouveau type exige encore, sans rien changer",
    )
    change.add_argument("--json", action="store_true", help="sortie JSON")
    change.set_defaults(func=change_type)

    connections = sub.add_parser(
        "connections", help="lister les comptes de connexion d'une BAL ORG ou APP"
    )
    connections.add_argument("mailbox", help="adresse mail de la BAL ORG ou APP")
    connections.add_argument("--json", action="store_true", help="sortie JSON")
    connections.set_defaults(func=list_connections)
    connection_add = sub.add_parser(
        "connection-add", help="ajouter des comptes de connexion à une BAL ORG ou APP"
    )
    connection_add.add_argument("mailbox", help="adresse mail de la BAL ORG ou APP")
    connection_add.add_argument("emails", nargs="+", help="comptes nominatifs à ajouter")
    connection_add.set_defaults(func=add_connections)
    connection_remove = sub.add_parser(
        "connection-remove", help="retirer un compte de connexion d'une BAL ORG ou APP"
    )
    connection_remove.add_argument("mailbox", help="adresse mail de la BAL ORG ou APP")
    connection_remove.add_argument("email", help="compte de connexion à retirer")
    connection_remove.set_defaults(func=remove_connection)

    mailboxes = sub.add_parser(
        "mailboxes", help="boîtes qu'un compte nominatif ouvre, sa boîte par défaut, ses avis"
    )
    mailboxes.add_argument("email", help="adresse mail du compte nominatif")
    mailboxes.set_defaults(func=list_mailboxes)
    default = sub.add_parser(
        "default-mailbox", help="choisir la boîte ouverte à la connexion d'un compte nominatif"
    )
    default.add_argument("email", help="adresse mail du compte nominatif")
    default.add_argument("mailbox", help="boîte à ouvrir (son adresse ; la sienne : son email)")
    default.set_defaults(func=set_default)
    notify = sub.add_parser(
        "receipt-notification",
        help="avis de réception (on|off) d'un compte de connexion pour une BAL ORG ou APP",
    )
    notify.add_argument("email", help="adresse mail du compte de connexion")
    notify.add_argument("mailbox", help="adresse mail de la BAL ORG ou APP")
    notify.add_argument("state", metavar="on|off")
    notify.set_defaults(func=set_notification)

    delegates = sub.add_parser("delegates", help="lister les délégués d'un compte")
    delegates.add_argument("email", help="adresse mail du compte")
    delegates.add_argument("--json", action="store_true", help="sortie JSON")
    delegates.set_defaults(func=list_delegates)
    delegate_add = sub.add_parser("delegate-add", help="ajouter un délégué à un compte")
    delegate_add.add_argument("email", help="adresse mail du compte")
    delegate_add.add_argument("delegate", help="adresse mail du délégué (compte nominatif)")
    delegate_add.add_argument("--right", choices=RIGHTS, default="lecture", help=RIGHTS_HELP)
    delegate_add.set_defaults(func=add_delegate)
    delegate_right = sub.add_parser("delegate-right", help="changer les droits d'un délégué")
    delegate_right.add_argument("email", help="adresse mail du compte")
    delegate_right.add_argument("delegate", help="adresse mail du délégué")
    delegate_right.add_argument("right", choices=RIGHTS, help=RIGHTS_HELP)
    delegate_right.set_defaults(func=set_delegate_right)
    delegate_remove = sub.add_parser("delegate-remove", help="retirer un délégué d'un compte")
    delegate_remove.add_argument("email", help="adresse mail du compte")
    delegate_remove.add_argument("delegate", help="adresse mail du délégué")
    delegate_remove.set_defaults(func=remove_delegate)
    register_move(sub)


def _set_option(parser: Any, help_text: str) -> None:
    parser.add_argument(
        "--set", dest="values", action="append", default=[], metavar="CLÉ=VALEUR", help=help_text
    )


def _refused(exc: Invalid) -> int:
    """An `Invalid` of the account operations, each problem under its field-table header."""
    from caducee.accounts.fields import BY_KEY

    sys.stderr.write(f"Erreur : {exc.message}\n")
    for problem in exc.errors():
        spec = BY_KEY.get(problem.field)
        header = spec.header if spec is not None else problem.field
        prefix = f"{header} : " if header else ""
        sys.stderr.write(f"  {prefix}{problem.message}\n")
    return 1


def list_accounts(args: argparse.Namespace) -> int:
    from caducee.accounts.models import Account, AccountState
    from caducee.accounts.queries import state_from_text
    from caducee.api.serializers import account_out
    from caducee.structures.access import find_structure

    structure = find_structure(args.structure)
    queryset = (
        Account.objects.filter(structure=structure)
        .select_related("structure")
        .prefetch_related("connection_links__account")
        .order_by("email")
    )
    if args.state:
        queryset = queryset.filter(state=state_from_text(args.state))
    else:  # as the console: deleted mailboxes only when asked for (--state supprimé)
        queryset = queryset.exclude(state=AccountState.DELETED)
    if args.type:
        queryset = queryset.filter(type=args.type.upper())
    if args.json:
        print_json([account_out(a) for a in queryset])
        return 0
    for a in queryset:
        print(f"{a.email}\t{a.type}\t{a.get_state_display()}\t{a.last_name} {a.first_name}")
    return 0


def show_account(args: argparse.Namespace) -> int:
    from caducee.accounts.export import export_values
    from caducee.api.serializers import account_out

    account = find_account(args.email)
    if args.json:
        print_json(account_out(account))
        return 0
    print(
        f"{account.email} — {account.type} — {account.get_state_display()} — "
        f"{account.structure.name}"
    )
    for header, value in export_values(account).items():
        if value:
            print(f"  {header} : {value}")
    return 0


def create_account(args: argparse.Namespace) -> int:
    from caducee.accounts import operations
    from caducee.api.serializers import account_out
    from caducee.core.context import cli_context
    from caducee.core.errors import Invalid
    from caducee.structures.access import find_structure

    structure = find_structure(args.structure)
    raw = {**_values(args.values), "type": args.type}
    try:
        outcome = operations.create_account(
            cli_context(),
            structure,
            raw,
            visible=args.visible,
            is_test=args.test,
            notify=not args.no_notify,  # as the console and the API: the owner is invited
        )
    except Invalid as exc:
        return _refused(exc)
    print_warnings(outcome.warnings)
    if args.json:
        print_json(account_out(outcome.account))
    else:
        account = outcome.account
        print(f"Compte créé : {account.email} ({account.type}, {account.get_state_display()}).")
    return 0


def edit_account(args: argparse.Namespace) -> int:
    from caducee.accounts import operations
    from caducee.api.serializers import account_out
    from caducee.core.context import cli_context
    from caducee.core.errors import Invalid

    account = find_account(args.email)
    try:
        outcome = operations.update_account(cli_context(), account, _values(args.values))
    except Invalid as exc:
        return _refused(exc)
    print_warnings(outcome.warnings)
    if args.json:
        print_json(account_out(outcome.account))
    elif outcome.changes:
        print(f"Compte enregistré : {account.email} ({', '.join(sorted(outcome.changes))}).")
    else:
        print(f"Rien à changer pour {account.email}.")
    return 0


def _pending_change(email: str) -> Any:
    from caducee.accounts.models import EmailChangeRequest
    from caducee.core.errors import NotFound

    account = find_account(email)
    change = account.email_changes.filter(status=EmailChangeRequest.Status.PENDING).first()
    if change is None:
        raise NotFound(f"Aucune demande de changement de mail en attente pour {account.email}.")
    return change


def request_email_change(args: argparse.Namespace) -> int:
    from caducee.accounts.email_changes import request_email_change as request
    from caducee.core.context import cli_context

    account = find_account(args.email)
    change = request(cli_context(), account, args.new_email)
    print(
        f"Demande enregistrée : {account.email} deviendra {change.new_email} quand le lien "
        "envoyé à cette adresse sera confirmé."
    )
    return 0


def list_email_changes(args: argparse.Namespace) -> int:
    from caducee.accounts.queries import email_changes_in
    from caducee.api.serializers import email_change_out
    from caducee.core.errors import Invalid
    from caducee.structures.access import find_structure

    if bool(args.email) == bool(args.structure):
        raise Invalid("Indiquez soit l'adresse d'un compte, soit --structure.")
    if args.structure:
        changes = list(email_changes_in(find_structure(args.structure), args.state))
    else:
        account = find_account(args.email)
        changes = list(email_changes_in(account.structure, args.state).filter(account=account))
    if args.json:
        print_json([email_change_out(change) for change in changes])
        return 0
    if not changes:
        print("Aucune demande de changement de mail.")
    for change in changes:
        print(
            f"{change.pk}\t{change.requested_at:%Y-%m-%d %H:%M}\t{change.account.email}\t"
            f"{change.new_email}\t{change.state_label}"
        )
    return 0


def cancel(args: argparse.Namespace) -> int:
    from caducee.accounts.email_changes import cancel_email_change
    from caducee.core.context import cli_context

    change = _pending_change(args.email)
    cancel_email_change(cli_context(), change)
    print(f"Demande annulée : {change.account.email} ne deviendra pas {change.new_email}.")
    return 0


def resend(args: argparse.Namespace) -> int:
    from caducee.accounts.email_changes import resend_email_change_link
    from caducee.core.context import cli_context

    change = _pending_change(args.email)
    resend_email_change_link(cli_context(), change)
    print(f"Nouveau lien de confirmation envoyé à {change.new_email}.")
    return 0


def deactivate(args: argparse.Namespace) -> int:
    from caducee.accounts import operations
    from caducee.core.context import cli_context

    account = operations.deactivate_account(cli_context(), find_account(args.email))
    print(f"Le compte {account.email} est désactivé.")
    return 0


def reactivate(args: argparse.Namespace) -> int:
    from caducee.accounts import operations
    from caducee.core.context import cli_context

    account = operations.reactivate_account(cli_context(), find_account(args.email))
    print(f"Le compte {account.email} est réactivé ({account.get_state_display()}).")
    return 0


def _values(pairs: list[str]) -> dict[str, object]:
    from caducee.accounts.fields import FIELDS
    from caducee.core.errors import Invalid

    keys = {spec.key for spec in FIELDS}
    values: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or key.strip() not in keys:
            raise Invalid(
                f"« {pair} » : écrivez CLÉ=VALEUR, où CLÉ est une clé de la table des champs "
                "(docs/ACCOUNTS.md), par exemple rpps=10003456786."
            )
        values[key.strip()] = value
    return values


def change_type(args: argparse.Namespace) -> int:
    from caducee.accounts import operations
    from caducee.api.serializers import account_out
    from caducee.core.context import cli_context

    account = find_account(args.email)
    values = _values(args.values)
    if args.preview:
        kind = args.type.strip().upper()
        errors = [p for p in operations.preview_type_change(account, kind, values) if p.is_error]
        if args.json:
            print_json([{"field": p.field, "code": p.code, "message": p.message} for p in errors])
        elif errors:
            print(f"Pour devenir {kind}, ce compte doit encore :")
            for p in errors:
                print(f"  {p.field} : {p.message}")
        else:
            print(f"Le compte peut devenir {kind} sans autre champ.")
        return 0
    outcome = operations.change_type(cli_context(), account, args.type, values)
    print_warnings(outcome.warnings)
    if args.json:
        print_json(account_out(outcome.account))
    else:
        print(f"Le compte {outcome.account.email} est maintenant en {outcome.account.type}.")
    return 0
