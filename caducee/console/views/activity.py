"""« Activité structure »: the figures of one structure (its admins, the operator) and of
every structure (the operator), each chart drawn as SVG over its table, each table
downloadable as CSV (caducee/stats/figures.py computes them)."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from caducee.console import charts
from caducee.console.decorators import console_view, person, require_operator
from caducee.stats.figures import Table, activity_table, activity_tables
from caducee.structures.access import access_structure
from caducee.structures.models import Structure


def _chart(table: Table) -> str:
    ident = f"graphique-{table.key}"
    if table.chart == "hbars":
        values = [int(row[-1]) for row in table.rows]
        return charts.hbar_chart(ident, table.title, table.description, table.labels(), values)
    draw = charts.line_chart if table.chart == "line" else charts.bar_chart
    labels, series = table.labels(), table.series()
    if table.chart == "line":  # lines that stay at zero would hide each other: the table has them
        series = [s for s in series if any(s[1])] or series
    if table.key == "imports":  # oldest first, left to right
        labels, series = labels[::-1], [(name, values[::-1]) for name, values in series]
    return draw(ident, table.title, table.description, labels, series)


def _figures(tables: list[Table], csv_url: Any) -> list[dict[str, Any]]:
    return [{"table": t, "svg": _chart(t), "csv": csv_url(t.key)} for t in tables]


def _csv(table: Table | None, name: str) -> HttpResponse:
    if table is None:
        raise Http404("Tableau inconnu.")
    response = HttpResponse(table.csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}-{table.key}.csv"'
    return response


@console_view
def structure_activity(request: HttpRequest, structure_id: int) -> HttpResponse:
    structure = access_structure(person(request), structure_id)
    tables = activity_tables(structure)
    figures = _figures(
        tables, lambda key: reverse("console:activity_csv", args=[structure.pk, key])
    )
    return render(
        request,
        "console/activity/structure.html",
        {"structure": structure, "figures": figures, "active": "activity"},
    )


@console_view
def structure_activity_csv(request: HttpRequest, structure_id: int, key: str) -> HttpResponse:
    structure: Structure = access_structure(person(request), structure_id)
    return _csv(activity_table(structure, key), f"activite-{structure.pk}")


@console_view
def platform_activity(request: HttpRequest) -> HttpResponse:
    require_operator(request)
    figures = _figures(
        activity_tables(None), lambda key: reverse("console:platform_activity_csv", args=[key])
    )
    return render(request, "console/activity/platform.html", {"figures": figures})


@console_view
def platform_activity_csv(request: HttpRequest, key: str) -> HttpResponse:
    require_operator(request)
    return _csv(activity_table(None, key), "activite-plateforme")
