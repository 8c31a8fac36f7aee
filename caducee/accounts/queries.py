"""Read-side helpers for account lists: search, filters, counters."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import connection, transaction
from django.db.models import F, Func, Q, QuerySet, TextField, Value
from django.db.models.functions import Upper
from django.db.models.lookups import Contains
from django.utils import timezone

from caducee.accounts.models import (
    Account,
    AccountState,
    AccountStateCount,
    EmailChangeRequest,
)
from caducee.accounts.search_index import SEARCH_INDEX
from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.core.context import Context
from caducee.core.errors import Invalid, NotFound, Problem
from caducee.referentials.text import fold
from caducee.structures.access import require_admin
from caducee.structures.models import Structure

BULK_READ_LIMIT = 1000


def state_from_text(value: str) -> str:
    folded = fold(value).replace(" ", "_")
    for state in AccountState:
        if folded in {state.value, fold(state.label).replace(" ", "_")}:
            return state.value
    aliases = {
        "preinscrits": "preinscrit",
        "valides": "valide",
        "desactives": "desactive",
        "rejetes": "rejete",
        "supprimes": "supprime",
    }
    if folded in aliases:
        return aliases[folded]
    raise Invalid(
        f"État « {value} » inconnu : préinscrit, à valider, valide, rejeté, désactivé ou supprimé."
    )


# SQLite: when more accounts of the platform than this hold the text searched, the
# structure's accounts are read in email order as before (a frequent text fills a page fast).
CANDIDATES = 2_000


def indexed_candidates(text: str, digits: str = "") -> list[int] | None:
    """SQLite: the ids of the accounts holding `text` (or `digits`) in their email, last
    name, first name, RPPS or ADELI, case ignored, from the trigram index of migration
    0010: a superset of the search's matches, which the search then checks as before.
    None when the index cannot narrow the search: another database, fewer than three
    characters, or more than CANDIDATES accounts of the platform."""
    if connection.vendor != "sqlite":
        return None
    phrases = [text, *([digits] if digits and digits != text else [])]
    if any(len(phrase) < 3 for phrase in phrases):
        return None
    expr = " OR ".join('"' + phrase.replace('"', '""') + '"' for phrase in phrases)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT rowid FROM {SEARCH_INDEX} WHERE {SEARCH_INDEX} MATCH %s LIMIT %s",  # noqa: S608
            [expr, CANDIDATES + 1],
        )
        ids = [row[0] for row in cursor.fetchall()]
    return None if len(ids) > CANDIDATES else ids


class SearchText(Func):
    """PostgreSQL: the account's stored `search_text` (migration accounts 0011), its email,
    last name and first name upper-cased and separated by U+001F, read from the table the
    query names for the accounts (whatever its alias)."""

    function = "search_text"
    output_field = TextField()

    def __init__(self) -> None:
        super().__init__(F("email"))

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:
        email, params = compiler.compile(self.source_expressions[0])
        quote = connection.ops.quote_name
        return email.removesuffix(quote("email")) + quote("search_text"), params


def names_contain(text: str) -> Q:
    """The accounts whose email, last name or first name holds `text`, case ignored. On
    PostgreSQL one `LIKE` on `search_text`, answered by its trigram index from three
    characters (two: a read of the accounts, but one comparison each instead of three
    `upper()`)."""
    if connection.vendor == "postgresql":
        return Q(Contains(SearchText(), Upper(Value(text.replace("\x1f", "")))))
    return (
        Q(email__icontains=text.lower())
        | Q(last_name__icontains=text)
        | Q(first_name__icontains=text)
    )


def search_accounts(
    structure: Structure,
    query: str = "",
    state: str = "",
    kind: str = "",
    expiring_by: date | None = None,
) -> QuerySet[Account]:
    """A structure's accounts, filtered. Deleted accounts (tombstones) only show when the
    state filter asks for them; `expiring_by`: open accounts whose « Date de péremption »
    falls on that day or before (« Expire bientôt »). `query`: a part of the email, the last
    or the first name, or the start of the RPPS or ADELI number (digits); on SQLite the
    trigram index narrows it to a few ids first (`indexed_candidates`)."""
    queryset = Account.objects.filter(structure=structure)
    text = query.strip()
    if text:
        digits = text.replace(" ", "")
        condition = names_contain(text)
        if digits.isdigit():
            condition |= Q(rpps__startswith=digits) | Q(adeli__startswith=digits)
        ids = indexed_candidates(text, digits if digits.isdigit() else "")
        if ids is not None:  # SQLite: only these accounts can match; reached by id
            queryset = (
                Account.objects.filter(pk__in=ids)
                .alias(structure_key=F("structure_id") + 0)
                .filter(structure_key=structure.pk)
            )
        queryset = queryset.filter(condition)
    if state:
        queryset = queryset.filter(state=state)
    else:
        queryset = queryset.exclude(state=AccountState.DELETED)
    if expiring_by is not None:
        queryset = queryset.exclude(state__in=AccountState.closed()).filter(
            expiry_date__lte=expiring_by
        )
    if kind:
        queryset = queryset.filter(type=kind)
    return queryset.order_by("email")


def read_accounts(
    ctx: Context,
    structure: Structure,
    query: str = "",
    state: str = "",
    kind: str = "",
    limit: int = BULK_READ_LIMIT,
    expiring_by: date | None = None,
) -> list[Account]:
    """A bulk read of a structure's accounts with every field (API list), audited.

    One audit event per call (`account.list_read`) with the filters and the number of
    accounts returned, never one per account.
    """
    require_admin(ctx, structure)
    accounts = list(
        search_accounts(structure, query, state, kind, expiring_by)
        .select_related("structure")
        .prefetch_related("connection_links__account")[:limit]
    )
    with transaction.atomic():
        record_event(
            ctx,
            AuditAction.ACCOUNT_LIST_READ,
            structure=structure,
            target=structure,
            detail={
                "count": len(accounts),
                "q": query,
                "state": state,
                "type": kind,
                **({"expiring_by": expiring_by.isoformat()} if expiring_by else {}),
            },
        )
    return accounts


def counters(structure: Structure) -> dict[str, int]:
    """The counters above the account list — accounts per state (valid, pre-registered, to
    validate, rejected, deactivated), test accounts and pending email changes (seed 004
    §3.2) — in two queries whatever the number of accounts.

    The accounts per state are read from `AccountStateCount`, which database triggers keep
    (migration accounts 0008): a few rows, where counting 200,000 accounts of a structure
    on every page took most of the page's time. Pending email changes are few: the query
    starts from them and reaches each account by primary key (`structure_id + 0` keeps the
    planner from walking every account of the structure through its structure index).
    """
    by_state = dict(
        AccountStateCount.objects.filter(structure_id=structure.pk).values_list("state", "total")
    )
    totals = {
        "valid": by_state.get(AccountState.VALID, 0),
        "to_validate": by_state.get(AccountState.TO_VALIDATE, 0),
        "preregistered": by_state.get(AccountState.PREREGISTERED, 0),
        "rejected": by_state.get(AccountState.REJECTED, 0),
        "deactivated": by_state.get(AccountState.DEACTIVATED, 0),
        "deleted": by_state.get(AccountState.DELETED, 0),
    }
    totals["email_changes"] = (
        EmailChangeRequest.objects.filter(status=EmailChangeRequest.Status.PENDING)
        .alias(structure_key=F("account__structure_id") + 0)
        .filter(structure_key=structure.pk)
        .count()
    )
    return totals


def nominative_candidates(scope: QuerySet[Structure], text: str, limit: int = 50) -> list[Account]:
    """Search-as-you-type for connection accounts (email, last or first name): at most
    `limit` answers."""
    term = text.strip()
    if not term:
        return []
    return list(
        Account.objects.filter(structure__in=scope, type__in=("PER", "INT", "MED"))
        .filter(names_contain(term))
        .order_by("email")[:limit]
    )


def pending_email_changes(structure: Structure) -> QuerySet[EmailChangeRequest]:
    """The requests of a structure still waiting (link valid or expired), oldest first."""
    return (
        EmailChangeRequest.objects.filter(
            account__structure=structure, status=EmailChangeRequest.Status.PENDING
        )
        .select_related("account", "requested_by")
        .order_by("requested_at", "pk")
    )


def email_change_history(structure: Structure, limit: int = 100) -> list[EmailChangeRequest]:
    """The latest confirmed, cancelled or expired requests of a structure, newest first."""
    return list(
        EmailChangeRequest.objects.filter(account__structure=structure)
        .exclude(status=EmailChangeRequest.Status.PENDING)
        .select_related("account", "requested_by")
        .order_by("-requested_at", "-pk")[:limit]
    )


# « Demandes de changement de mail »: the states one filters on (`EmailChangeRequest.state`).
EMAIL_CHANGE_STATES: dict[str, str] = {
    "pending": "En attente",
    "done": "Confirmée",
    "cancelled": "Annulée",
    "expired": "Expirée",
}


def email_changes_in(
    structure: Structure, state: str = "", text: str = ""
) -> QuerySet[EmailChangeRequest]:
    """Every request of a structure, newest first; `state` one of EMAIL_CHANGE_STATES (an
    unknown one is Invalid), `text` a part of the current or the new address."""
    Status = EmailChangeRequest.Status
    changes = EmailChangeRequest.objects.filter(account__structure=structure)
    now = timezone.now()
    if state == "pending":
        changes = changes.filter(status=Status.PENDING, expires_at__gt=now)
    elif state == "expired":
        changes = changes.filter(
            Q(status=Status.EXPIRED) | Q(status=Status.PENDING, expires_at__lte=now)
        )
    elif state in ("done", "cancelled"):
        changes = changes.filter(status=state)
    elif state:
        choices = ", ".join(EMAIL_CHANGE_STATES)
        raise Invalid(
            f"État « {state} » inconnu : choisissez parmi {choices}.",
            [Problem("state", "choice", f"Choisissez parmi {choices}.")],
        )
    term = text.strip().lower()
    if term:
        changes = changes.filter(Q(account__email__icontains=term) | Q(new_email__icontains=term))
    return changes.select_related("account__user", "requested_by").order_by("-pk")


def email_change_of(structure: Structure, change_id: int) -> EmailChangeRequest:
    """A pending request of this structure; anything else is NotFound."""
    change = pending_email_changes(structure).filter(pk=change_id).first()
    if change is None:
        raise NotFound("Demande de changement de mail introuvable.")
    return change
