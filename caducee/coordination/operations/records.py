"""Dossiers usagers (records): creation, changes, search, read tracing; their liaison log."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from caducee.audit.actions import AuditAction
from caducee.audit.log import AuditItem, record_event, record_many
from caducee.coordination import access
from caducee.coordination.models import LiaisonEntry, Record
from caducee.coordination.operations._common import (
    clean_phone,
    clean_postal_code,
    external_detail,
    parse_date,
    who,
)
from caducee.coordination.operations.profiles import team_candidates
from caducee.coordination.permissions import LIAISON_READ, LIAISON_WRITE, RECORD_CREATE
from caducee.core.context import Context
from caducee.core.errors import Invalid, Problem
from caducee.structures.models import Structure


@dataclass
class RecordInput:
    last_name: str
    first_name: str
    birth_date: str
    birth_name: str = ""
    address: str = ""
    postal_code: str = ""
    city: str = ""
    phone: str = ""
    notes: str = ""
    team: list[int] = field(default_factory=list)


def _clean_record(structure: Structure, data: RecordInput) -> dict[str, object]:
    problems: list[Problem] = []
    last_name = " ".join(data.last_name.split()).upper()
    first_name = " ".join(data.first_name.split())
    if not last_name:
        problems.append(Problem("last_name", "required", "Indiquez le nom de la personne."))
    if not first_name:
        problems.append(Problem("first_name", "required", "Indiquez le prénom de la personne."))
    birth = parse_date(data.birth_date) if data.birth_date.strip() else None
    if not data.birth_date.strip():
        problems.append(
            Problem("birth_date", "required", "Indiquez la date de naissance (JJ/MM/AAAA).")
        )
    elif birth is None:
        problems.append(
            Problem(
                "birth_date",
                "date",
                f"Date de naissance « {data.birth_date} » illisible : écrivez-la JJ/MM/AAAA.",
            )
        )
    elif birth > timezone.localdate() or birth.year < 1900:
        problems.append(
            Problem(
                "birth_date",
                "range",
                "La date de naissance doit être passée et postérieure à 1900.",
            )
        )
    postal = clean_postal_code(data.postal_code, problems)
    phone = clean_phone(data.phone, problems)
    allowed = set(team_candidates(structure).values_list("pk", flat=True))
    wanted_team = list(dict.fromkeys(data.team))
    team = [pk for pk in wanted_team if pk in allowed]
    if len(team) != len(wanted_team):
        problems.append(
            Problem(
                "team",
                "unknown",
                "L'équipe de suivi ne peut comprendre que des membres de la structure.",
            )
        )
    if problems:
        raise Invalid("Le dossier n'a pas été enregistré : corrigez les champs signalés.", problems)
    return {
        "last_name": last_name,
        "first_name": first_name,
        "birth_name": " ".join(data.birth_name.split()).upper(),
        "birth_date": birth,
        "address": " ".join(data.address.split()),
        "postal_code": postal,
        "city": " ".join(data.city.split()).upper(),
        "phone": phone,
        "notes": data.notes.strip(),
        "team": team,
    }


def create_record(ctx: Context, structure: Structure, data: RecordInput) -> Record:
    """Holders of `record.create` in the structure; audit `coordination.record_create`."""
    access.require_structure_permission(ctx, structure, RECORD_CREATE)
    if structure.is_external:
        raise Invalid("Aucun dossier ne se crée dans la structure « Utilisateur externe ».")
    values = _clean_record(structure, data)
    team = values.pop("team")
    assert isinstance(team, list)
    with transaction.atomic():
        record = Record(structure=structure, created_by=ctx.user, **values)
        record.save()
        record.team.set(team)
        record_event(
            ctx,
            AuditAction.COORDINATION_RECORD_CREATE,
            structure=structure,
            target=record,
            detail={"team": [str(pk) for pk in team]},
        )
    return record


def update_record(ctx: Context, record: Record, data: RecordInput) -> Record:
    """Holders of `record.create` on the record; audit `coordination.record_update`."""
    access.require_record_permission(ctx, record, RECORD_CREATE)
    values = _clean_record(record.structure, data)
    team = values.pop("team")
    assert isinstance(team, list)
    changes = {
        key: [str(getattr(record, key) or ""), str(value or "")]
        for key, value in values.items()
        if getattr(record, key) != value
    }
    current_team = sorted(record.team.values_list("pk", flat=True))
    if sorted(team) != current_team:
        changes["team"] = [",".join(map(str, current_team)), ",".join(map(str, sorted(team)))]
    if not changes:
        return record
    with transaction.atomic():
        for key, value in values.items():
            setattr(record, key, value)
        record.save()
        record.team.set(team)
        record_event(
            ctx,
            AuditAction.COORDINATION_RECORD_UPDATE,
            structure=record.structure,
            target=record,
            detail={"changes": changes},
        )
    return record


def search_records(ctx: Context, text: str = "") -> QuerySet[Record]:
    """Anyone, on the records they may open; no audit (see `read_record_list`).

    The records the actor may open (every record for the server itself: a command run on
    the server acts with every right, as `require_record_permission` says), optionally
    filtered by name or birth date."""
    base = Record.objects.all() if ctx.is_server else access.records_for(ctx.user)
    queryset = base.select_related("structure")
    query = text.strip()
    if query:
        birth = parse_date(query)
        if birth is not None:
            queryset = queryset.filter(birth_date=birth)
        else:
            for word in query.split():
                queryset = queryset.filter(
                    Q(last_name__icontains=word)
                    | Q(first_name__icontains=word)
                    | Q(birth_name__icontains=word)
                )
    return queryset.order_by("last_name", "first_name", "pk")


def read_record(ctx: Context, record: Record, what: str = "record") -> None:
    """Anyone who opened the record (checked by the caller); audit `coordination.record_read`.

    Trace one read of a record (identity, liaison log, documents list…), by anyone."""
    with transaction.atomic():
        record_event(
            ctx,
            AuditAction.COORDINATION_RECORD_READ,
            structure=record.structure,
            target=record,
            detail={**external_detail(ctx), "page": what},
        )


def read_record_list(ctx: Context, records: Iterable[Record], where: str, query: str = "") -> None:
    """Anyone shown a list of records; audit `coordination.records_list`.

    Trace one list of records shown or returned: one event per structure listed (its
    journal sees it), with the count and ids; never one event per row. Nothing shown,
    nothing read: no event. The events are written together (`record_many`): the same
    few queries whether the page lists records of one structure or of fifty."""
    by_structure: dict[int, list[Record]] = {}
    for record in records:
        by_structure.setdefault(record.structure_id, []).append(record)
    if not by_structure:
        return
    who = external_detail(ctx)  # read once, not once per structure
    events: list[AuditItem] = [
        (
            AuditAction.COORDINATION_RECORDS_LIST,
            structure_id,
            None,
            {
                **who,
                "page": where,
                "query": query,
                "count": len(rows),
                "records": [r.pk for r in rows],
            },
        )
        for structure_id, rows in by_structure.items()
    ]
    with transaction.atomic():
        record_many(ctx, events)


# --- Liaison log -------------------------------------------------------------------------------


def add_liaison_entry(
    ctx: Context, record: Record, text: str, occurred_on: str = ""
) -> LiaisonEntry:
    """Holders of `liaison.write` on the record; audit `coordination.liaison_add`."""
    access.require_record_permission(ctx, record, LIAISON_WRITE)
    body = text.strip()
    problems: list[Problem] = []
    if not body:
        problems.append(Problem("text", "required", "Écrivez le texte de l'entrée."))
    elif len(body) > 20_000:
        problems.append(Problem("text", "length", "L'entrée dépasse 20 000 caractères."))
    day = timezone.localdate()
    if occurred_on.strip():
        parsed = parse_date(occurred_on)
        if parsed is None:
            problems.append(
                Problem("occurred_on", "date", f"Date « {occurred_on} » illisible (JJ/MM/AAAA).")
            )
        elif parsed > day:
            problems.append(
                Problem("occurred_on", "future", "La date d'une entrée ne peut pas être future.")
            )
        else:
            day = parsed
    if problems:
        raise Invalid("L'entrée n'a pas été ajoutée.", problems)
    with transaction.atomic():
        entry = LiaisonEntry.objects.create(
            record=record,
            author=ctx.user,
            author_label=who(ctx),
            occurred_on=day,
            text=body,
        )
        record_event(
            ctx,
            AuditAction.COORDINATION_LIAISON_ADD,
            structure=record.structure,
            target=record,
            detail={"entry": entry.pk, "date": str(day), **external_detail(ctx)},
        )
    return entry


def liaison_entries(ctx: Context, record: Record) -> QuerySet[LiaisonEntry]:
    """Holders of `liaison.read` on the record; no audit (a read the page traces)."""
    access.require_record_permission(ctx, record, LIAISON_READ)
    return record.liaison_entries.all()
