"""Filing over the API: folders (list, create, rename, delete), moving, marking read or
unread, exporting, and emptying the bin; the webmail's list actions and folder forms."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from ninja import Query, Schema, Status

from caducee.api.errors import responses
from caducee.mail import operations
from caducee.mail.api.common import acting_as, router
from caducee.mail.models import Folder, Space, SystemFolder


class FolderOut(Schema):
    id: int | None  # None for the system folders (inbox, sent, drafts, trash)
    key: str  # what `folder` takes in GET /mail/messages and POST /mail/messages/move
    space: str
    name: str
    system: bool


class FolderIn(Schema):
    mailbox: str
    space: str = Space.PRO
    name: str


class RenameIn(Schema):
    mailbox: str
    name: str


class SelectionIn(Schema):
    mailbox: str
    ids: list[int]


class MoveIn(SelectionIn):
    folder: str  # a folder key: "inbox", "sent", "trash", "f12"… (not "drafts")


class MarkIn(SelectionIn):
    seen: bool | None = True  # None: leave as is
    flagged: bool | None = None  # « suivi » (IMAP \Flagged); None: leave as is


class CountOut(Schema):
    count: int


def _folder_out(folder: Folder) -> dict[str, object]:
    return {
        "id": folder.pk,
        "key": folder.key,
        "space": folder.space,
        "name": folder.name,
        "system": False,
    }


@router.get(
    "/mail/folders", response=responses({200: list[FolderOut]}, 404), summary="Lister les dossiers"
)
def folders(request: HttpRequest, mailbox: str) -> list[dict[str, object]]:
    ctx, box = acting_as(request, mailbox)
    operations.require_mailbox(ctx, box)
    rows: list[dict[str, object]] = []
    for space in Space.values:
        rows += [
            {"id": None, "key": f.value, "space": space, "name": f.label, "system": True}
            for f in SystemFolder
        ]
        rows += [_folder_out(f) for f in Folder.objects.filter(mailbox=box, space=space)]
    return rows


@router.post(
    "/mail/folders",
    response=responses({201: FolderOut}, 403, 404, 422),
    summary="Créer un dossier",
)
def create_folder(request: HttpRequest, payload: FolderIn) -> Status[dict[str, object]]:
    ctx, box = acting_as(request, payload.mailbox)
    folder = operations.create_folder(ctx, box, payload.space, payload.name)
    return Status(201, _folder_out(folder))


@router.patch(
    "/mail/folders/{folder_id}",
    response=responses({200: FolderOut}, 403, 404, 422),
    summary="Renommer un dossier",
)
def rename_folder(request: HttpRequest, folder_id: int, payload: RenameIn) -> dict[str, object]:
    ctx, box = acting_as(request, payload.mailbox)
    return _folder_out(operations.rename_folder(ctx, box, folder_id, payload.name))


@router.delete(
    "/mail/folders/{folder_id}",
    response=responses({200: CountOut}, 403, 404),
    summary="Supprimer un dossier (ses messages vont à la corbeille)",
)
def delete_folder(request: HttpRequest, folder_id: int, mailbox: str) -> dict[str, int]:
    ctx, box = acting_as(request, mailbox)
    return {"count": operations.delete_folder(ctx, box, folder_id)}


@router.post(
    "/mail/messages/move",
    response=responses({200: CountOut}, 403, 404, 422),
    summary="Déplacer des messages",
)
def move(request: HttpRequest, payload: MoveIn) -> dict[str, int]:
    ctx, box = acting_as(request, payload.mailbox)
    return {"count": operations.move_messages(ctx, box, payload.ids, payload.folder)}


@router.post(
    "/mail/messages/mark",
    response=responses({200: CountOut}, 403, 404, 422),
    summary="Marquer des messages lus ou non lus, suivis ou non",
)
def mark(request: HttpRequest, payload: MarkIn) -> dict[str, int]:
    ctx, box = acting_as(request, payload.mailbox)
    if payload.flagged is None and payload.seen is not None:
        return {"count": operations.mark_seen(ctx, box, payload.ids, payload.seen)}
    changes = {"seen": payload.seen, "flagged": payload.flagged}
    given = {key: value for key, value in changes.items() if value is not None}
    return {"count": operations.set_flags(ctx, box, payload.ids, given)}


@router.post(
    "/mail/messages/trash",
    response=responses({200: CountOut}, 403, 404, 422),
    summary="Mettre des messages à la corbeille",
)
def trash_many(request: HttpRequest, payload: SelectionIn) -> dict[str, int]:
    """To the bin; those already in the bin are deleted for good (as in the webmail)."""
    ctx, box = acting_as(request, payload.mailbox)
    return {"count": operations.trash_messages(ctx, box, payload.ids)}


@router.get(
    "/mail/export",
    response=responses({200: None}, 404, 422),
    summary="Exporter des messages (.eml, ou .zip de .eml)",
)
def export(request: HttpRequest, mailbox: str, ids: Query[list[int]]) -> HttpResponse:
    ctx, box = acting_as(request, mailbox)
    name, content_type, data = operations.export_messages(ctx, box, ids)
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@router.delete(
    "/mail/trash",
    response=responses({200: CountOut}, 403, 404, 422),
    summary="Vider la corbeille d'un espace",
)
def empty_trash(request: HttpRequest, mailbox: str, space: str = Space.PRO) -> dict[str, int]:
    ctx, box = acting_as(request, mailbox)
    return {"count": operations.empty_trash(ctx, box, space)}
