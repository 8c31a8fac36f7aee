"""The figures of « Activité structure »: for one structure, or across every structure
(the operator's view). Each figure is a `Table` (what the page shows under its chart, what
the CSV download holds, what the API returns).

Five queries whatever the data size:

1. the weekly snapshots of accounts by state and type (`AccountCount`, past weeks);
2. the live counts by state and type (the current week);
3. messages sent and received per week, over the last `MESSAGE_WEEKS` weeks;
4. active, inactive, never-used and soon-to-expire mailboxes (one conditional aggregate);
5. the last `IMPORTS` imports.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import TruncWeek
from django.utils import timezone

from caducee.accounts.activity import Activity, start_of_day
from caducee.accounts.models import Account, AccountState, AccountType
from caducee.loadusers.cells import guard
from caducee.loadusers.models import ImportJob
from caducee.mail.models import Message, SystemFolder
from caducee.stats.models import AccountCount
from caducee.stats.snapshots import week_of
from caducee.structures.models import Structure

ACCOUNT_WEEKS = 26  # history of accounts by state and type
MESSAGE_WEEKS = 12  # messages per week (the messages table is the largest)
ACTIVE_DAYS = 30  # "active": some activity within these days
EXPIRY_DAYS = 30  # "soon to expire": expiry date within these days
IMPORTS = 20  # import history: the latest imports

Cell = str | int


@dataclass(frozen=True)
class Table:
    """One figure: its CSV name, French title and description, columns and rows, and the
    chart that draws it ("line", "bars" or "hbars"; the first column labels the x axis)."""

    key: str
    title: str
    description: str
    columns: list[str]
    rows: list[list[Cell]]
    chart: str

    def series(self) -> list[tuple[str, list[int]]]:
        """The numeric columns, each as (name, values), for the chart."""
        if not self.rows:
            return []
        return [
            (name, [int(row[i]) for row in self.rows])
            for i, name in enumerate(self.columns)
            if i > 0 and all(isinstance(row[i], int) for row in self.rows)
        ]

    def labels(self) -> list[str]:
        """The first column: the chart's x labels (or bar labels)."""
        return [str(row[0]) for row in self.rows]

    def csv(self) -> bytes:
        """The table as a CSV file for Excel FR: UTF-8 with BOM, `;`, formula-safe cells."""
        out = io.StringIO()
        out.write("\ufeff")
        writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
        writer.writerow([guard(c) for c in self.columns])
        for row in self.rows:
            writer.writerow([guard(c) if isinstance(c, str) else c for c in row])
        return out.getvalue().encode("utf-8")


def _scoped(queryset: QuerySet[Account], structure: Structure | None) -> QuerySet[Account]:
    return queryset if structure is None else queryset.filter(structure=structure)


def day_label(day: date) -> str:
    return day.strftime("%d/%m/%Y")


def account_tables(structure: Structure | None, today: date) -> list[Table]:
    """Accounts by state and by type, one row per week with a snapshot, and this week live."""
    current = week_of(today)
    past = AccountCount.objects.filter(
        week__gte=current - timedelta(weeks=ACCOUNT_WEEKS - 1), week__lt=current
    )
    if structure is not None:
        past = past.filter(structure=structure)
    weeks: dict[date, dict[tuple[str, str], int]] = defaultdict(dict)
    for row in past.values("week", "state", "type").annotate(n=Sum("count")).order_by():
        weeks[row["week"]][(row["state"], row["type"])] = int(row["n"])
    live = _scoped(Account.objects.all(), structure).values("state", "type")
    for now in live.annotate(n=Count("pk")).order_by():
        weeks[current][(now["state"], now["type"])] = int(now["n"])
    ordered = sorted(weeks)
    by_state: list[list[Cell]] = [
        [
            day_label(w),
            *(
                sum(n for (s, _), n in weeks[w].items() if s == state)
                for state in AccountState.values
            ),
        ]
        for w in ordered
    ]
    by_type: list[list[Cell]] = [
        [
            day_label(w),
            *(sum(n for (_, t), n in weeks[w].items() if t == kind) for kind in AccountType.values),
        ]
        for w in ordered
    ]
    note = (
        "Une ligne par semaine : le relevé du dernier jour de la semaine (tâche planifiée "
        "« Relevé hebdomadaire des comptes »), la semaine en cours comptée en direct."
    )
    return [
        Table(
            "comptes-par-etat",
            "Comptes par état",
            note,
            ["Semaine du", *AccountState.labels],
            by_state,
            "line",
        ),
        Table(
            "comptes-par-type",
            "Comptes par type de BAL",
            note,
            ["Semaine du", *(str(label) for label in AccountType.values)],
            by_type,
            "line",
        ),
    ]


def message_table(structure: Structure | None, today: date) -> Table:
    """Messages sent (the copy a mailbox keeps of what it sent) and received (delivered to
    an inbox, non-delivery reports included) per week; drafts are not counted."""
    first = week_of(today) - timedelta(weeks=MESSAGE_WEEKS - 1)
    rows = Message.objects.filter(received_at__gte=start_of_day(first)).exclude(
        Q(folder=SystemFolder.DRAFTS) | Q(previous_folder=SystemFolder.DRAFTS)
    )
    if structure is not None:
        rows = rows.filter(mailbox__structure=structure)
    # Written by a person of the platform, or filed in Sent (its author's login since gone).
    sent = (
        Q(sender_person__isnull=False)
        | Q(folder=SystemFolder.SENT)
        | Q(previous_folder=SystemFolder.SENT)
    )
    counted = (
        rows.annotate(week=TruncWeek("received_at"))
        .values("week")
        .annotate(sent=Count("pk", filter=sent), received=Count("pk", filter=~sent))
        .order_by()
    )
    found = {timezone.localdate(c["week"]): c for c in counted}
    table: list[list[Cell]] = []
    for n in range(MESSAGE_WEEKS):
        week = first + timedelta(weeks=n)
        c = found.get(week, {"sent": 0, "received": 0})
        table.append([day_label(week), int(c["sent"]), int(c["received"])])
    return Table(
        "messages-par-semaine",
        "Messages envoyés et reçus par semaine",
        f"Les {MESSAGE_WEEKS} dernières semaines, messages encore conservés dans les boîtes "
        "(un message supprimé définitivement n'est plus compté).",
        ["Semaine du", "Envoyés", "Reçus"],
        table,
        "bars",
    )


def mailbox_table(structure: Structure | None, today: date) -> Table:
    """Active, inactive, never-used and soon-to-expire mailboxes (deleted ones left out)."""
    since = start_of_day(today - timedelta(days=ACTIVE_DAYS))
    fields = [str(kind) for kind in Activity]
    recent = Q()
    for name in fields:
        recent |= Q(**{f"{name}__gte": since})
    never = Q(**{f"{name}__isnull": True for name in fields})
    expiring = Q(
        expiry_date__gte=today,
        expiry_date__lte=today + timedelta(days=EXPIRY_DAYS),
        state__in=[AccountState.PREREGISTERED, AccountState.TO_VALIDATE, AccountState.VALID],
    )
    live = _scoped(Account.objects.exclude(state=AccountState.DELETED), structure)
    counts = live.aggregate(
        total=Count("pk"),
        active=Count("pk", filter=recent),
        never=Count("pk", filter=never),
        expiring=Count("pk", filter=expiring),
    )
    inactive = counts["total"] - counts["active"] - counts["never"]
    return Table(
        "boites",
        "Boîtes actives, inutilisées et bientôt expirées",
        f"Active : une connexion, un message envoyé, reçu ou lu dans les {ACTIVE_DAYS} "
        "derniers jours. Jamais utilisée : aucune de ces activités enregistrée. Expire "
        f"bientôt : date de péremption dans les {EXPIRY_DAYS} prochains jours.",
        ["Boîtes", "Nombre"],
        [
            [f"Actives ({ACTIVE_DAYS} derniers jours)", int(counts["active"])],
            [f"Sans activité depuis {ACTIVE_DAYS} jours", int(inactive)],
            ["Jamais utilisées", int(counts["never"])],
            [f"Expirent dans les {EXPIRY_DAYS} jours", int(counts["expiring"])],
        ],
        "hbars",
    )


def import_table(structure: Structure | None) -> Table:
    """The latest imports, newest first, with what each created, updated and rejected."""
    jobs = ImportJob.objects.order_by("-created_at", "-pk")
    if structure is None:
        jobs = jobs.select_related("structure")
    else:
        jobs = jobs.filter(structure=structure)
    head = ["Date", *(["Structure"] if structure is None else []), "Fichier", "Auteur", "État"]
    rows: list[list[Cell]] = []
    for job in jobs[:IMPORTS]:
        where = [job.structure.name] if structure is None else []
        rows.append(
            [
                timezone.localtime(job.created_at).strftime("%d/%m/%Y %H:%M"),
                *where,
                job.file_name,
                job.actor_label,
                job.get_status_display(),
                job.created,
                job.updated,
                job.unchanged,
                job.rejected,
            ]
        )
    return Table(
        "imports",
        "Historique des imports",
        f"Les {IMPORTS} derniers imports de fichiers loaduser, du plus récent au plus ancien.",
        [*head, "Créés", "Mis à jour", "Inchangés", "Rejetés"],
        rows,
        "bars",
    )


def activity_tables(structure: Structure | None, today: date | None = None) -> list[Table]:
    """Every figure of the page, for `structure` or (None) across every structure.

    The caller has checked access (an admin of the structure, or the operator)."""
    day = today or timezone.localdate()
    return [
        *account_tables(structure, day),
        message_table(structure, day),
        mailbox_table(structure, day),
        import_table(structure),
    ]


_BUILDERS: dict[str, Callable[[Structure | None, date], list[Table]]] = {
    "comptes-par-etat": account_tables,
    "comptes-par-type": account_tables,
    "messages-par-semaine": lambda structure, day: [message_table(structure, day)],
    "boites": lambda structure, day: [mailbox_table(structure, day)],
    "imports": lambda structure, day: [import_table(structure)],
}
KEYS = tuple(_BUILDERS)


def activity_table(
    structure: Structure | None, key: str, today: date | None = None
) -> Table | None:
    """One figure by its CSV name (None for an unknown name), computed alone."""
    builder = _BUILDERS.get(key)
    if builder is None:
        return None
    tables = builder(structure, today or timezone.localdate())
    return next((t for t in tables if t.key == key), None)
