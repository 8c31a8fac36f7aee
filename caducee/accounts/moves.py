"""« Rattacher à une autre structure »: moving an account from its structure to another.

The Account row moves (its id, login email, person, password, messages and folders stay:
they hang on the row, never on the structure). What the move changes:

- the MSSanté address takes the new structure's domain: same particle when it is free
  there, else the first free one (`particle2`, `particle3`…, the directory's rule); no
  address at all when the new structure has no MSSanté domain;
- « Raison Sociale » and « Identifiant structure resp » follow when they named the old
  structure;
- connection accounts and delegations that would link it to another structure are
  detached (listed in the plan, and in the audit);
- the person of a nominative account is emailed the new address (`account_moved`);
- the regional directory's row follows at once (post_save); the old address, if it was
  published nationally, is withdrawn by the next push of the new structure and the new
  one published by the following push (the directory's rule for a changed address).

`preview_move` computes the plan without writing; `move_account` checks the same rules
and applies it in one transaction, auditing `account.move_out` in the old structure's
journal and `account.move_in` in the new one's.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet

from caducee.accounts.models import Account, AccountType, ConnectionLink, Delegation
from caducee.audit.actions import AuditAction
from caducee.audit.log import record_many
from caducee.core.context import Context
from caducee.core.email import send_on_commit
from caducee.core.errors import Invalid, NotFound, Problem
from caducee.people.models import User
from caducee.structures.access import admin_scope
from caducee.structures.domains import mssante_domain
from caducee.structures.models import Structure, StructureAdmin

CONNECTION = "connection"
DELEGATION = "delegation"
_NUMBERED = re.compile(r"[0-9]+$")


@dataclass(frozen=True)
class DetachedLink:
    """A connection account or a delegation the move removes (it would cross structures)."""

    kind: str  # CONNECTION or DELEGATION
    mailbox: str  # the ORG/APP mailbox, or the account that delegates
    member: str  # the connection account, or the delegate

    @property
    def message(self) -> str:
        if self.kind == CONNECTION:
            return f"{self.member} n'est plus compte de connexion de la boîte {self.mailbox}."
        return f"{self.member} n'est plus délégué de {self.mailbox}."


@dataclass
class MovePlan:
    """What moving `account` to `target` changes; `warnings` say what to check after."""

    account: Account
    source: Structure
    target: Structure
    old_address: str | None
    new_address: str | None
    particle: str
    detached: list[DetachedLink] = field(default_factory=list)
    changes: dict[str, list[str]] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)


def move_targets(ctx: Context, account: Account) -> QuerySet[Structure]:
    """The structures the actor may move this account to: those they administer (all for
    the operator), except its own and the external partners' structure."""
    return (
        admin_scope(ctx).exclude(pk=account.structure_id).exclude(is_external=True).order_by("name")
    )


def _refuse(message: str, code: str = "move") -> Invalid:
    return Invalid(message, [Problem("structure", code, message)])


def _scope(ctx: Context, account: Account, target: Structure) -> set[int] | None:
    """The structures the actor administers (None: every one, for the operator or the
    server), or 404 unless both the account's structure and `target` are among them.
    One query: `require_admin` for both structures."""
    everything = ctx.is_server or ctx.is_operator
    both = {account.structure_id, target.pk}
    scope = admin_scope(ctx)
    ids = set((scope.filter(pk__in=both) if everything else scope).values_list("pk", flat=True))
    if not both <= ids:
        raise NotFound("Structure introuvable.")
    return None if everything else ids


def _check_allowed(ctx: Context, account: Account, target: Structure) -> dict[str, bool]:
    """404 for a structure the actor cannot see; a French refusal for what cannot move.
    Returns the person's flags (`_person_flags`)."""
    scope = _scope(ctx, account, target)
    if target.pk == account.structure_id:
        raise _refuse(f"Le compte {account.email} est déjà rattaché à {target.name}.", "same")
    if target.is_external or account.structure.is_external:
        raise _refuse(
            "La structure des utilisateurs externes ne reçoit ni ne cède de comptes : "
            "choisissez une autre structure.",
            "external",
        )
    if account.is_deleted:
        raise _refuse(
            f"Le compte {account.email} est supprimé : il ne peut plus changer de structure.",
            "deleted",
        )
    if account.user_id is None:
        return {}
    actor_id = ctx.user.pk if ctx.user is not None else None
    within = None if account.user_id == actor_id else scope
    flags = _person_flags(account.user_id, account.structure, within)
    if flags.get("outside"):
        raise _refuse(
            f"{account.email} a aussi des droits dans une structure que vous n'administrez "
            "pas : seul l'opérateur de la plateforme peut rattacher ce compte à une autre "
            "structure.",
            "rights_elsewhere",
        )
    return flags


def _person_flags(person_id: int, source: Structure, scope: set[int] | None) -> dict[str, bool]:
    """In one query: whether the person is admin (`admin_here`) or coordination member
    (`member_here`) of `source`, and, with a `scope`, whether they hold a right outside it
    (`outside`: the rule of `accounts.persons.person_rights` / `rights_outside`: operator,
    external partner, admin role, coordination membership or mailbox elsewhere;
    tests/accounts/test_moves.py checks both agree)."""
    from caducee.coordination.models import ExternalAccount, Membership

    admin = StructureAdmin.objects.filter(user_id=OuterRef("pk"))
    member = Membership.objects.filter(user_id=OuterRef("pk"))
    checks: dict[str, Exists] = {
        "admin_here": Exists(admin.filter(structure=source)),
        "member_here": Exists(member.filter(structure=source)),
    }
    if scope is not None:
        mailbox = Account.objects.filter(user_id=OuterRef("pk"))
        checks |= {
            "external": Exists(ExternalAccount.objects.filter(user_id=OuterRef("pk"))),
            "admin_out": Exists(admin.exclude(structure_id__in=scope)),
            "member_out": Exists(member.exclude(structure_id__in=scope)),
            "mailbox_out": Exists(mailbox.exclude(structure_id__in=scope)),
        }
    row = (
        User.objects.filter(pk=person_id).annotate(**checks).values("is_operator", *checks).first()
    ) or {}
    flags = {key: bool(row.get(key)) for key in ("admin_here", "member_here")}
    if scope is not None:
        outside_keys = ("is_operator", "external", "admin_out", "member_out", "mailbox_out")
        flags["outside"] = any(row.get(key) for key in outside_keys)
    return flags


def _check_quota(account: Account, target: Structure) -> None:
    # Function-local: the directory imports accounts (as in accounts.operations).
    from caducee.directory.quotas import COUNTED_STATES, check_capacity

    if account.state in COUNTED_STATES:
        check_capacity(target, {account.type: 1})


def _new_particle(account: Account, target: Structure) -> str:
    """The particle on the new domain: the same when free there, else the first free one."""
    from caducee.directory.addresses import MAX_PARTICLE, free_particle

    particle = account.mssante_particle
    domain = mssante_domain(target)
    if not particle or not domain or account.type == AccountType.MED:
        return ""
    others = Account.objects.exclude(pk=account.pk)
    taken = (
        others.filter(mssante_particle=particle, structure__domain=domain).exists()
        or others.filter(email=f"{particle}@{domain}").exists()
    )
    if not taken:
        return particle
    moved = copy.copy(account)
    moved.structure = target
    # `lea.martin2` taken on the new domain: numbered again from `lea.martin`.
    base = _NUMBERED.sub("", particle) or particle
    return free_particle(base[: MAX_PARTICLE - 4].rstrip(".-"), moved)


@dataclass(frozen=True)
class _Crossing:
    """The links that would cross structures, read once (one query each)."""

    # (link id, mailbox id, member id, mailbox email, member email, mailbox type)
    links: list[tuple[int, int, int, str, str, str]]
    # (delegation id, delegating account's email, delegate's email)
    delegations: list[tuple[int, str, str]]

    @property
    def detached(self) -> list[DetachedLink]:
        found = [DetachedLink(CONNECTION, box, member) for _, _, _, box, member, _ in self.links]
        found += [DetachedLink(DELEGATION, owner, member) for _, owner, member in self.delegations]
        return sorted(found, key=lambda d: (d.kind, d.mailbox, d.member))


def _crossing(account: Account, target: Structure) -> _Crossing:
    """The connection links and delegations that would link the account to another
    structure once it is in `target`."""
    links = ConnectionLink.objects.filter(
        Q(mailbox=account) & ~Q(account__structure=target)
        | Q(account=account) & ~Q(mailbox__structure=target)
    ).values_list(
        "pk", "mailbox_id", "account_id", "mailbox__email", "account__email", "mailbox__type"
    )
    delegations = Delegation.objects.filter(
        Q(account=account) & ~Q(delegate__structure=target)
        | Q(delegate=account) & ~Q(account__structure=target)
    ).values_list("pk", "account__email", "delegate__email")
    return _Crossing(list(links), list(delegations))


def _check_org_mailboxes(account: Account, target: Structure, crossing: _Crossing) -> None:
    """An ORG mailbox keeps at least one connection account (the rule of
    `remove_connection_account`): refuse a move that would leave one without any.
    One query at most, whatever the number of mailboxes involved."""
    orgs = {box: email for _, box, _, email, _, kind in crossing.links if kind == AccountType.ORG}
    if account.type == AccountType.ORG:
        orgs[account.pk] = account.email
    if not orgs:
        return
    kept = set(
        ConnectionLink.objects.filter(mailbox_id__in=orgs)
        .exclude(pk__in=[link[0] for link in crossing.links])
        .values_list("mailbox_id", flat=True)
    )
    alone = sorted((email, box) for box, email in orgs.items() if box not in kept)
    if not alone:
        return
    email, box = alone[0]
    if box == account.pk:
        message = (
            f"La BAL ORG {email} n'aurait plus aucun compte de connexion dans "
            f"{target.name} (exigence réglementaire) : ajoutez-lui d'abord un compte de "
            f"connexion de {target.name}."
        )
    else:
        message = (
            f"{account.email} est le seul compte de connexion de la BAL ORG {email} "
            "(exigence réglementaire) : ajoutez-lui d'abord un autre compte de connexion."
        )
    raise _refuse(message, "org_connection")


def _identifier_type(structure: Structure) -> str:
    return "FINESS" if structure.id_type.startswith("FINESS") else structure.id_type


def _field_changes(account: Account, source: Structure, target: Structure) -> dict[str, list[str]]:
    """« Raison Sociale » and « Identifiant structure resp » that named the old structure."""
    changes: dict[str, list[str]] = {}
    if account.company_name and account.company_name == source.name:
        changes["company_name"] = [account.company_name, target.name]
    if (
        account.resp_structure_id == source.id_number
        and account.resp_structure_id_type == _identifier_type(source)
    ):
        changes["resp_structure_id_type"] = [
            account.resp_structure_id_type,
            _identifier_type(target),
        ]
        changes["resp_structure_id"] = [account.resp_structure_id, target.id_number]
        if changes["resp_structure_id_type"][0] == changes["resp_structure_id_type"][1]:
            del changes["resp_structure_id_type"]
    return changes


def _warn(code: str, message: str) -> Problem:
    return Problem("structure", code, message, "warning")


def _address_warnings(plan: MovePlan) -> list[Problem]:
    from caducee.directory.entries import listing_of

    account, target = plan.account, plan.target
    out: list[Problem] = []
    if plan.old_address and not plan.new_address:
        out.append(
            _warn(
                "address_lost",
                f"{target.name} n'a pas de domaine MSSanté : le compte perd son adresse "
                f"{plan.old_address} (plus d'accès MSSanté).",
            )
        )
    elif plan.old_address and plan.new_address and plan.particle != account.mssante_particle:
        out.append(
            _warn(
                "particle_taken",
                f"{account.mssante_particle}@{mssante_domain(target)} est déjà utilisée : la "
                f"nouvelle adresse sera {plan.new_address}.",
            )
        )
    listing = listing_of(account)
    if listing is not None and listing.published_address:
        out.append(
            _warn(
                "national_withdrawal",
                f"L'adresse {listing.published_address} est publiée dans l'annuaire national : "
                f"la prochaine publication de {target.name} la retire, la suivante publie la "
                "nouvelle adresse si le compte est visible.",
            )
        )
    return out


def _person_warnings(account: Account, source: Structure, flags: dict[str, bool]) -> list[Problem]:
    out: list[Problem] = []
    if flags.get("admin_here"):
        out.append(
            _warn(
                "still_admin",
                f"{account.email} reste administrateur de {source.name} : retirez ce rôle "
                "dans « Administrateurs » s'il n'a plus lieu d'être.",
            )
        )
    if flags.get("member_here"):
        out.append(
            _warn(
                "still_member",
                f"{account.email} garde son profil de droits de coordination dans "
                f"{source.name} : retirez-le s'il n'a plus lieu d'être.",
            )
        )
    return out


def _plan(ctx: Context, account: Account, target: Structure) -> tuple[MovePlan, _Crossing]:
    from caducee.directory.addresses import mssante_address

    flags = _check_allowed(ctx, account, target)
    _check_quota(account, target)
    crossing = _crossing(account, target)
    _check_org_mailboxes(account, target, crossing)
    source = account.structure
    particle = _new_particle(account, target)
    plan = MovePlan(
        account=account,
        source=source,
        target=target,
        old_address=mssante_address(account),
        new_address=f"{particle}@{mssante_domain(target)}" if particle else None,
        particle=particle,
        detached=crossing.detached,
        changes=_field_changes(account, source, target),
    )
    plan.warnings = _address_warnings(plan) + _person_warnings(account, source, flags)
    return plan, crossing


def preview_move(ctx: Context, account: Account, target: Structure) -> MovePlan:
    """Admin of both structures, or the operator; audits nothing (read-only).

    What `move_account` would do (new address, links detached, fields that follow,
    warnings), or the same refusal it would raise; nothing is written.
    """
    return _plan(ctx, account, target)[0]


def move_account(ctx: Context, account: Account, target: Structure) -> MovePlan:
    """Admin of both structures, or the operator; audits `account.move_out` (old
    structure's journal) and `account.move_in` (new structure's journal).

    Moves the account to `target` (« Rattacher à une autre structure »): the person keeps
    their login, password and messages; the MSSanté address takes the new domain; links
    to other structures are detached and returned in the plan.
    """
    with transaction.atomic():
        account = Account.objects.select_for_update().select_related("structure").get(pk=account.pk)
        plan, crossing = _plan(ctx, account, target)
        ConnectionLink.objects.filter(pk__in=[link[0] for link in crossing.links]).delete()
        Delegation.objects.filter(pk__in=[d[0] for d in crossing.delegations]).delete()
        # A detached mailbox stops being the default one of the account that opened it.
        members = [member for _, box, member, _, _, _ in crossing.links if box == account.pk]
        Account.objects.filter(pk__in=members, default_mailbox=account).update(default_mailbox=None)
        if account.default_mailbox_id in {box for _, box, _, _, _, _ in crossing.links}:
            account.default_mailbox = None
        account.structure = target
        account.mssante_particle = plan.particle
        for key, (_before, after) in plan.changes.items():
            setattr(account, key, after)
        account.save()  # the regional directory's row follows (directory.signals)
        detail = {
            "from_structure": plan.source.name,
            "to_structure": target.name,
            "old_address": plan.old_address,
            "new_address": plan.new_address,
            "detached": [d.message for d in plan.detached],
            "changes": plan.changes,
        }
        record_many(
            ctx,
            [
                (AuditAction.ACCOUNT_MOVE_OUT, plan.source, account, detail),
                (AuditAction.ACCOUNT_MOVE_IN, target, account, detail),
            ],
        )
        if account.user_id is not None:  # the person is told their new address
            send_on_commit(
                account.email,
                "account_moved",
                {
                    "account": account,
                    "source": plan.source,
                    "target": target,
                    "old_address": plan.old_address,
                    "new_address": plan.new_address,
                    "detached": detail["detached"],
                },
            )
    plan.account = account
    return plan
