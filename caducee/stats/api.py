"""« Activité structure » in the REST API, read only: the same tables as the console page
(and its CSV downloads), for one structure (its admins, the operator) or across every
structure (the operator). 404 for anyone else, as the pages."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from caducee.api.errors import responses
from caducee.core.errors import NotFound
from caducee.core.web import api_user
from caducee.stats.figures import Table, activity_tables
from caducee.structures.access import access_structure

router = Router(tags=["activité"])


class ActivityTableOut(Schema):
    key: str
    title: str
    description: str
    columns: list[str]
    rows: list[list[int | str]]


class ActivityOut(Schema):
    tables: list[ActivityTableOut]


def _out(tables: list[Table]) -> dict[str, Any]:
    return {
        "tables": [
            {
                "key": t.key,
                "title": t.title,
                "description": t.description,
                "columns": t.columns,
                "rows": t.rows,
            }
            for t in tables
        ]
    }


@router.get(
    "/structures/{structure_id}/activity",
    response=responses({200: ActivityOut}, 404),
    summary="Activité d'une structure : comptes par état et type, messages par semaine, "
    "boîtes actives, inutilisées et bientôt expirées, imports",
)
def structure_activity(request: HttpRequest, structure_id: int) -> Any:
    structure = access_structure(api_user(request), structure_id)
    return _out(activity_tables(structure))


@router.get(
    "/activity",
    response=responses({200: ActivityOut}, 404),
    summary="Activité de la plateforme, toutes structures réunies (opérateur)",
)
def platform_activity(request: HttpRequest) -> Any:
    user = api_user(request)
    if not (user.is_active and user.is_operator):
        raise NotFound("Page réservée à l'opérateur de la plateforme.")
    return _out(activity_tables(None))
