"""National publication: the export of a structure's publishable records (FHIR R4 Bundle or
pipe-separated extraction) and, re-exported for existing importers, the push.

The pieces live in `directory/fhir.py` (the Bundle), `directory/pipe.py` (the 31-column
extraction) and `directory/push.py` (plan, PATCH Bundle, HTTP call); `publishable` is in
`directory/feed.py` (records without a blocking finding).
"""

from __future__ import annotations

import json

from django.db import transaction

from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.core.context import Context
from caducee.core.errors import Invalid
from caducee.directory.feed import publishable
from caducee.directory.fhir import (
    BAL_TYPE_SYSTEM,
    EMAIL_TYPE_SYSTEM,
    EMAIL_TYPE_URL,
    METADATA_URL,
    contact_point,
    fhir_bundle,
)
from caducee.directory.pipe import PIPE_COLUMNS, PIPE_TYPES, pipe_row, pipe_text
from caducee.directory.push import (
    TRANSIENT_HTTP,
    PushPlan,
    PushResult,
    PushUnreachable,
    plan,
    push,
    push_bundle,
    record_hash,
)
from caducee.structures.access import require_admin
from caducee.structures.models import Structure

__all__ = [
    "BAL_TYPE_SYSTEM",
    "EMAIL_TYPE_SYSTEM",
    "EMAIL_TYPE_URL",
    "METADATA_URL",
    "PIPE_COLUMNS",
    "PIPE_TYPES",
    "TRANSIENT_HTTP",
    "PushPlan",
    "PushResult",
    "PushUnreachable",
    "contact_point",
    "export",
    "fhir_bundle",
    "pipe_row",
    "pipe_text",
    "plan",
    "publication_text",
    "publishable",
    "push",
    "push_bundle",
    "record_hash",
]


def _export_text(structure: Structure, fmt: str) -> tuple[str, int]:
    """(text, number of records) of the publication export."""
    records = publishable(structure)
    if fmt == "fhir":
        text = json.dumps(fhir_bundle(structure, records), ensure_ascii=False, indent=2)
    elif fmt == "pipe":
        text = pipe_text(records)
    else:
        raise Invalid(f"Format « {fmt} » inconnu : choisissez fhir ou pipe.")
    return text, len(records)


def publication_text(structure: Structure, fmt: str) -> str:
    """The export's text, without check nor audit (a background export, caducee/exports,
    whose request is checked and audited there)."""
    return _export_text(structure, fmt)[0]


def export(ctx: Context, structure: Structure, fmt: str) -> str:
    """The structure's publishable records as FHIR JSON or pipe text (UTF-8)."""
    require_admin(ctx, structure)
    text, count = _export_text(structure, fmt)
    with transaction.atomic():
        record_event(
            ctx,
            AuditAction.DIRECTORY_EXPORT,
            structure=structure,
            target=structure,
            detail={"format": fmt, "records": count},
        )
    return text
