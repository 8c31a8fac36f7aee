"""The referentials' one business action: loading the public RPPS extraction."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO, cast

from django.db import transaction
from django.utils import timezone

from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.core.context import Context
from caducee.core.errors import Forbidden, Invalid
from caducee.referentials import rpps_load
from caducee.referentials.models import RppsExtraction
from caducee.referentials.rpps_file import SKIP_REASONS, ReadReport, read_activities

ACTIVITY_FILE = "PS_LibreAcces_Personne_activite"


@dataclass(frozen=True)
class RppsImportSummary:
    file_name: str
    lines_read: int
    professionals: int
    skipped: dict[str, int] = field(default_factory=dict)
    examples: tuple[str, ...] = ()
    replaced: bool = False  # a previous extraction was in service

    @property
    def lines_skipped(self) -> int:
        return sum(self.skipped.values())

    def lines(self) -> list[str]:
        """The summary in French, one line each."""
        out = [
            f"Extraction RPPS chargée : {self.file_name}",
            f"Lignes lues : {self.lines_read}",
            f"Professionnels retenus (un par RPPS) : {self.professionals}",
            f"Lignes écartées : {self.lines_skipped}",
        ]
        out += [f"  - {SKIP_REASONS[k]} : {n}" for k, n in sorted(self.skipped.items())]
        if self.examples:
            out.append("Premières lignes écartées :")
            out += [f"  - {example}" for example in self.examples]
        if self.replaced:
            out.append("L'extraction précédente est remplacée.")
        return out


def import_rpps_extraction(ctx: Context, path: str | Path) -> RppsImportSummary:
    """The operator (or the server); audits `referentials.rpps_import`. Loads the public
    RPPS extraction (PS_LibreAcces_Personne_activite_*.txt) in place of the current one:
    readers see the old extraction until the new one is complete, then the new one. A file
    that is refused, or that holds no RPPS at all, leaves the current extraction as it is."""
    if not ctx.is_operator and not ctx.is_server:
        raise Forbidden("Seul l'opérateur de la plateforme charge l'extraction RPPS.")
    source = Path(path)
    report = ReadReport()
    staged: Path | None = None
    try:
        with _opened(source) as stream:
            staged = rpps_load.stage(read_activities(stream, report))
        if report.lines_read - report.lines_skipped <= 0:
            raise Invalid(
                f"Fichier refusé : aucun professionnel RPPS utilisable dans {source.name} "
                f"({report.lines_read} lignes lues, {report.lines_skipped} écartées). "
                "L'extraction en service est conservée."
            )
        return _load(ctx, source, staged, report)
    finally:
        if staged is not None:
            staged.unlink(missing_ok=True)


@contextmanager
def _opened(source: Path) -> Iterator[BinaryIO]:
    """The file, or the activity file inside the archive PS_LibreAcces_*.zip as downloaded."""
    try:
        if not zipfile.is_zipfile(source):
            with source.open("rb") as stream:
                yield stream
            return
        archive = zipfile.ZipFile(source)
    except OSError as exc:
        raise Invalid(f"Fichier illisible : {source} ({exc.strerror}).") from None
    except zipfile.BadZipFile as exc:
        raise Invalid(f"Archive ZIP illisible : {source.name} ({exc}).") from None
    with archive:
        names = archive.namelist()
        members = [n for n in names if Path(n).name.startswith(ACTIVITY_FILE)]
        if len(members) != 1:
            raise Invalid(
                f"Archive refusée : {source.name} doit contenir un fichier "
                f"{ACTIVITY_FILE}_*.txt, et un seul (contenu : "
                f"{', '.join(names[:10]) or 'aucun fichier'})."
            )
        with archive.open(members[0]) as member:
            yield cast(BinaryIO, member)


def _load(ctx: Context, source: Path, staged: Path, report: ReadReport) -> RppsImportSummary:
    extraction = RppsExtraction.objects.create(
        file_name=source.name[:500], started_at=timezone.now()
    )
    try:
        count = rpps_load.write(rpps_load.professionals(staged, extraction.pk))
    except BaseException:
        rpps_load.delete_rows(extraction.pk)
        RppsExtraction.objects.filter(pk=extraction.pk).update(state=RppsExtraction.State.FAILED)
        raise
    extraction.loaded_at = timezone.now()
    extraction.lines_read = report.lines_read
    extraction.professionals = count
    extraction.lines_skipped = report.lines_skipped
    extraction.skipped = dict(report.skipped)
    with transaction.atomic():
        previous = rpps_load.swap(extraction)
        record_event(
            ctx,
            AuditAction.REFERENTIALS_RPPS_IMPORT,
            target=extraction,
            target_label=extraction.file_name,
            detail={
                "file": str(source),
                "lines_read": report.lines_read,
                "professionals": count,
                "lines_skipped": report.lines_skipped,
                "skipped": dict(report.skipped),
                "replaced": previous.pk if previous is not None else None,
            },
        )
    if previous is not None:
        rpps_load.delete_rows(previous.pk)
    rpps_load.purge_interrupted()
    return RppsImportSummary(
        file_name=source.name,
        lines_read=report.lines_read,
        professionals=count,
        skipped=dict(report.skipped),
        examples=tuple(report.examples),
        replaced=previous is not None,
    )
