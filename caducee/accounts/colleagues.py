"""Colleagues proposed on an ORG mailbox by its users (issue #15 point 8, seed 001).

The responsible and the connection accounts of an ORG mailbox propose a colleague (a
nominative account of the same structure) as a new connection account. The structure's
admins approve or refuse the proposal, or, when the structure allows it
(`Structure.colleagues_without_validation`), the colleague is added at once. Who is
« responsible »: see `responsible_accounts` and docs/ACCOUNTS.md.
"""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Case, Q, QuerySet, When
from django.urls import reverse
from django.utils import timezone

from caducee.accounts.models import (
    Account,
    AccountState,
    AccountType,
    ColleagueProposal,
    ConnectionLink,
)
from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.core.context import Context
from caducee.core.email import send_on_commit
from caducee.core.errors import Invalid, NotFound, Problem
from caducee.identity import links
from caducee.structures.access import require_admin
from caducee.structures.models import Structure, StructureAdmin

_CLOSED = (AccountState.DEACTIVATED, AccountState.DELETED, AccountState.REJECTED)
# Pending proposals (0) before the decided ones (1).
_PENDING_FIRST = Case(When(status=ColleagueProposal.Status.PENDING, then=0), default=1)


def _live(queryset: QuerySet[Account]) -> QuerySet[Account]:
    return queryset.exclude(state__in=_CLOSED)


def responsible_accounts(mailbox: Account) -> QuerySet[Account]:
    """The mailbox's responsible: the live nominative accounts of its structure whose RPPS
    (or ADELI) is the mailbox's « Identifiant resp »; none when it is empty."""
    number = mailbox.resp_identifier.strip()
    if not number:
        return Account.objects.none()
    return _live(
        Account.objects.filter(
            Q(rpps=number) | Q(adeli=number),
            structure_id=mailbox.structure_id,
            type__in=AccountType.nominative(),
        )
    )


def proposable_mailboxes(account: Account) -> list[Account]:
    """The live ORG mailboxes of the account's structure on which it may propose a
    colleague: those it is a connection account of, or the responsible of."""
    if account.state in _CLOSED or not account.is_nominative:
        return []
    numbers = [n for n in (account.rpps, account.adeli) if n]
    rule = Q(connection_links__account=account)
    if numbers:
        rule |= Q(resp_identifier__in=numbers)
    return list(
        _live(Account.objects.filter(rule, type=AccountType.ORG, structure_id=account.structure_id))
        .distinct()
        .order_by("email")
    )


def _proposer_account(ctx: Context) -> Account:
    if ctx.user is None or not ctx.user.is_active:
        raise NotFound("Boîte introuvable.")
    account = _live(Account.objects.filter(user=ctx.user)).first()
    if account is None:
        raise NotFound("Boîte introuvable.")
    return account


def _colleague(mailbox: Account, email: str) -> Account:
    address = email.strip().lower()
    if not address:
        raise Invalid(
            "Saisissez l'adresse mail du collègue à ajouter.",
            [Problem("email", "required", "Saisissez l'adresse mail du collègue à ajouter.")],
        )
    colleague = _live(
        Account.objects.filter(
            email=address, structure_id=mailbox.structure_id, type__in=AccountType.nominative()
        )
    ).first()
    if colleague is None:
        message = (
            f"Aucun compte nominatif actif {address} dans votre structure : vérifiez l'adresse, "
            "ou demandez à l'administrateur de créer d'abord le compte de ce collègue."
        )
        raise Invalid(message, [Problem("email", "unknown_account", message)])
    if ConnectionLink.objects.filter(mailbox=mailbox, account=colleague).exists():
        message = f"{colleague.email} est déjà compte de connexion de {mailbox.email}."
        raise Invalid(message, [Problem("email", "already_linked", message)])
    if ColleagueProposal.objects.filter(
        mailbox=mailbox, colleague=colleague, status=ColleagueProposal.Status.PENDING
    ).exists():
        message = (
            f"{colleague.email} a déjà été proposé pour {mailbox.email} : la proposition "
            "attend la validation d'un administrateur de la structure."
        )
        raise Invalid(message, [Problem("email", "already_proposed", message)])
    return colleague


def propose_colleague(ctx: Context, mailbox: Account, email: str) -> ColleagueProposal:
    """The ORG mailbox's responsible or a connection account of it; audits
    `account.colleague_propose`, or `account.colleague_add` when the structure allows
    colleagues without validation.

    Pending: the structure's admins get an email. Allowed directly: the colleague becomes
    a connection account at once (the proposal is kept with the status « added »).
    """
    proposer = _proposer_account(ctx)
    if mailbox.pk not in {m.pk for m in proposable_mailboxes(proposer)}:
        raise NotFound("Boîte introuvable.")
    colleague = _colleague(mailbox, email)
    structure = mailbox.structure
    direct = structure.colleagues_without_validation
    with transaction.atomic():
        proposal = _create_proposal(ctx, mailbox, colleague, direct=direct)
        detail = {"connection_account": colleague.email, "proposal": proposal.pk}
        if direct:
            ConnectionLink.objects.get_or_create(mailbox=mailbox, account=colleague)
            record_event(
                ctx,
                AuditAction.ACCOUNT_COLLEAGUE_ADD,
                structure=structure,
                target=mailbox,
                detail=detail,
            )
        else:
            record_event(
                ctx,
                AuditAction.ACCOUNT_COLLEAGUE_PROPOSE,
                structure=structure,
                target=mailbox,
                detail=detail,
            )
            _tell_admins(proposal, structure)
    return proposal


def _create_proposal(
    ctx: Context, mailbox: Account, colleague: Account, *, direct: bool
) -> ColleagueProposal:
    try:
        with transaction.atomic():  # a savepoint: the caller's transaction goes on
            return ColleagueProposal.objects.create(
                mailbox=mailbox,
                colleague=colleague,
                proposed_by=ctx.user,
                proposed_by_email=ctx.actor_label,
                status=ColleagueProposal.Status.ADDED
                if direct
                else ColleagueProposal.Status.PENDING,
                decided_at=timezone.now() if direct else None,
            )
    except IntegrityError:  # the same colleague proposed at the same instant by another user
        raise Invalid(
            f"{colleague.email} vient d'être proposé pour {mailbox.email} : la proposition "
            "attend la validation d'un administrateur de la structure."
        ) from None


def _tell_admins(proposal: ColleagueProposal, structure: Structure) -> None:
    url = links.base_url() + reverse("console:colleague_proposals", args=[structure.pk])
    admins = StructureAdmin.objects.filter(structure=structure, user__is_active=True)
    for email in admins.values_list("user__email", flat=True).order_by("user__email"):
        send_on_commit(
            email,
            "colleague_proposal",
            {
                "structure": structure.name,
                "mailbox": proposal.mailbox.email,
                "mailbox_name": proposal.mailbox.display_name,
                "colleague": proposal.colleague.email,
                "colleague_name": proposal.colleague.display_name,
                "proposer": proposal.proposed_by_email,
                "url": url,
            },
        )


def _pending(proposal: ColleagueProposal) -> None:
    if proposal.status != ColleagueProposal.Status.PENDING:
        raise Invalid(
            f"Cette proposition n'est plus en attente (état : {proposal.get_status_display()})."
        )


def approve_colleague_proposal(ctx: Context, proposal: ColleagueProposal) -> ColleagueProposal:
    """Admin of the mailbox's structure; audits `account.colleague_approve`.

    The colleague becomes a connection account of the ORG mailbox (both still live).
    """
    mailbox = proposal.mailbox
    require_admin(ctx, mailbox.structure)
    _pending(proposal)
    colleague = proposal.colleague
    mailbox.refresh_from_db(fields=["state", "structure"])
    colleague.refresh_from_db(fields=["state", "structure"])
    if mailbox.state in _CLOSED or colleague.state in _CLOSED:
        raise Invalid(
            "La boîte ou le compte du collègue est désactivé ou supprimé : refusez cette "
            "proposition."
        )
    if colleague.structure_id != mailbox.structure_id:
        raise Invalid("Le collègue a changé de structure : refusez cette proposition.")
    with transaction.atomic():
        ConnectionLink.objects.get_or_create(mailbox=mailbox, account=colleague)
        proposal.status = ColleagueProposal.Status.APPROVED
        proposal.decided_by = ctx.user
        proposal.decided_at = timezone.now()
        proposal.save(update_fields=["status", "decided_by", "decided_at"])
        record_event(
            ctx,
            AuditAction.ACCOUNT_COLLEAGUE_APPROVE,
            structure=mailbox.structure,
            target=mailbox,
            detail={
                "connection_account": colleague.email,
                "proposed_by": proposal.proposed_by_email,
                "proposal": proposal.pk,
            },
        )
        _tell_proposer(proposal)
    return proposal


def refuse_colleague_proposal(
    ctx: Context, proposal: ColleagueProposal, reason: str = ""
) -> ColleagueProposal:
    """Admin of the mailbox's structure; audits `account.colleague_refuse`."""
    mailbox = proposal.mailbox
    require_admin(ctx, mailbox.structure)
    _pending(proposal)
    reason = " ".join(reason.split())[:250]
    with transaction.atomic():
        proposal.status = ColleagueProposal.Status.REFUSED
        proposal.decided_by = ctx.user
        proposal.decided_at = timezone.now()
        proposal.reason = reason
        proposal.save(update_fields=["status", "decided_by", "decided_at", "reason"])
        record_event(
            ctx,
            AuditAction.ACCOUNT_COLLEAGUE_REFUSE,
            structure=mailbox.structure,
            target=mailbox,
            detail={
                "connection_account": proposal.colleague.email,
                "proposed_by": proposal.proposed_by_email,
                "proposal": proposal.pk,
                "reason": reason,
            },
        )
        _tell_proposer(proposal)
    return proposal


def _tell_proposer(proposal: ColleagueProposal) -> None:
    if proposal.proposed_by is None or not proposal.proposed_by.is_active:
        return
    send_on_commit(
        proposal.proposed_by.email,
        "colleague_decision",
        {
            "approved": proposal.status == ColleagueProposal.Status.APPROVED,
            "mailbox": proposal.mailbox.email,
            "colleague": proposal.colleague.email,
            "reason": proposal.reason,
        },
    )


def set_colleague_policy(ctx: Context, structure: Structure, allowed: bool) -> None:
    """Admin of the structure or the operator; audits `structure.colleague_policy` on a
    change (« Les utilisateurs d'une BAL organisationnelle peuvent y ajouter des collègues
    sans validation »)."""
    require_admin(ctx, structure)
    if structure.colleagues_without_validation == allowed:
        return
    with transaction.atomic():
        structure.colleagues_without_validation = allowed
        structure.save(update_fields=["colleagues_without_validation"])
        record_event(
            ctx,
            AuditAction.STRUCTURE_COLLEAGUE_POLICY,
            structure=structure,
            target=structure,
            detail={"on": allowed},
        )


def structure_proposals(structure: Structure) -> QuerySet[ColleagueProposal]:
    """The structure's proposals, pending first, newest first (for adapters)."""
    return (
        ColleagueProposal.objects.filter(mailbox__structure=structure)
        .select_related("mailbox", "colleague", "decided_by")
        .order_by(_PENDING_FIRST, "-proposed_at", "-pk")
    )


def proposals_by(account: Account) -> QuerySet[ColleagueProposal]:
    """The proposals made by the account's person (webmail « Paramètres »)."""
    if account.user_id is None:
        return ColleagueProposal.objects.none()
    return (
        ColleagueProposal.objects.filter(proposed_by_id=account.user_id)
        .select_related("mailbox", "colleague", "decided_by")
        .order_by(_PENDING_FIRST, "-proposed_at", "-pk")
    )


def find_proposal(structure: Structure, proposal_id: int) -> ColleagueProposal:
    """A proposal of this structure, else 404."""
    proposal = (
        ColleagueProposal.objects.filter(pk=proposal_id, mailbox__structure=structure)
        .select_related("mailbox__structure", "colleague", "proposed_by")
        .first()
    )
    if proposal is None:
        raise NotFound("Proposition introuvable.")
    return proposal
