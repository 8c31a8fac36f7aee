"""Who sees an export: the person who asked it, still administering its structure, and the
operator. Anyone else gets NotFound (a 404), as if it did not exist."""

from __future__ import annotations

from django.db.models import QuerySet

from caducee.core.errors import NotFound
from caducee.exports.models import ExportFile
from caducee.people.models import User
from caducee.structures.access import structures_for_admin


def exports_for(user: User | None) -> QuerySet[ExportFile]:
    """The person's own exports, in structures they still administer."""
    if user is None or not user.is_active:
        return ExportFile.objects.none()
    return ExportFile.objects.filter(requested_by=user, structure__in=structures_for_admin(user))


SHOWN = 50  # « Mes exports » and GET /api/v1/exports: the most recent ones


def recent_exports(user: User | None) -> list[ExportFile]:
    """The person's `SHOWN` most recent exports, newest first."""
    mine = exports_for(user).select_related("structure").order_by("-created_at", "-pk")
    return list(mine[:SHOWN])


def access_export(user: User | None, export_id: int) -> ExportFile:
    if user is not None and user.is_active and user.is_operator:
        queryset = ExportFile.objects.all()
    else:
        queryset = exports_for(user)
    export = queryset.select_related("structure").filter(pk=export_id).first()
    if export is None:
        raise NotFound("Export introuvable.")
    return export
