"""The national MSSanté whitelist (listeblanchemssante.xml, REFERENCE.md §2)."""

from __future__ import annotations

import xml.etree.ElementTree as ET  # expat >= 2.4 refuses entity expansion bombs
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from caducee.audit.actions import AuditAction
from caducee.audit.log import record_event
from caducee.core.context import Context
from caducee.core.errors import Invalid
from caducee.mail.models import WhitelistDomain

NS = "{https://listeblanche.mssante.fr/schema}"


@dataclass(frozen=True)
class Entry:
    name: str
    description: str
    operator_dn: str  # one DN per line: a domain may be listed once per operator server


def parse(data: bytes) -> list[Entry]:
    """Domains of the file; a clear French error when it is not the expected XML."""
    if b"<!ENTITY" in data or b"<!DOCTYPE" in data:
        raise Invalid("Liste blanche refusée : les déclarations DOCTYPE/ENTITY sont interdites.")
    try:
        tree = ET.fromstring(data)  # noqa: S314 - DOCTYPE refused above
    except ET.ParseError as exc:
        raise Invalid(f"Liste blanche illisible : XML invalide ({exc}).") from None
    entries: dict[str, Entry] = {}
    for node in tree.iter(f"{NS}Domaine"):
        name = (node.findtext(f"{NS}Nom") or "").strip().lower()
        if not name:
            continue
        dn = " ".join((node.findtext(f"{NS}DNCertificatOperateur") or "").split())[:500]
        known = entries.get(name)
        if known is not None:  # the same domain again, for another certificate of its operator
            dns = known.operator_dn.splitlines()
            if dn and dn not in dns:
                entries[name] = Entry(name, known.description, "\n".join([*dns, dn]))
            continue
        entries[name] = Entry(name, (node.findtext(f"{NS}Description") or "").strip()[:500], dn)
    if not entries:
        raise Invalid(
            "Liste blanche vide : aucun élément Domaine/Nom dans l'espace de noms "
            "https://listeblanche.mssante.fr/schema."
        )
    return list(entries.values())


def refresh(ctx: Context, path: str | None = None) -> int:
    """Replace the stored whitelist with the file's content; return the number of domains."""
    source = path or str(settings.MSSANTE_WHITELIST or "")
    if not source:
        raise Invalid(
            "Aucun fichier de liste blanche : définissez CADUCEE_MSSANTE_WHITELIST "
            "(chemin de listeblanchemssante.xml) ou passez --fichier."
        )
    try:
        data = Path(source).read_bytes()
    except OSError as exc:
        raise Invalid(f"Liste blanche illisible : {source} ({exc.strerror}).") from None
    entries = parse(data)
    now = timezone.now()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Several processes (two `caducee smtp`) load it at start: one after the other,
            # or both insert the same names. Readers are not blocked.
            with connection.cursor() as cursor:
                table = WhitelistDomain._meta.db_table
                cursor.execute(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")
        WhitelistDomain.objects.all().delete()
        WhitelistDomain.objects.bulk_create(
            [
                WhitelistDomain(
                    name=e.name, description=e.description, operator_dn=e.operator_dn, loaded_at=now
                )
                for e in entries
            ],
            batch_size=500,
        )
        record_event(
            ctx,
            AuditAction.MAIL_WHITELIST_REFRESH,
            detail={"file": source, "domains": len(entries)},
        )
    return len(entries)
