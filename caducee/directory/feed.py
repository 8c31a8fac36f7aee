"""Rapport d'alimentation (seed 004 §3.3): every record is checked before publication.

A *bloquante* problem leaves the mailbox out of the national publication; a *non
bloquante* one is reported but the mailbox is published.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field

from caducee.accounts.models import Account, AccountType
from caducee.core.errors import Invalid
from caducee.directory.addresses import check_particle
from caducee.directory.entries import listing_of
from caducee.directory.publication_rows import (
    PublicationRow,
    build_record,
    candidates,
    is_candidate,
)
from caducee.structures.domains import mssante_domain
from caducee.structures.models import Structure

BLOCKING = "bloquante"
NON_BLOCKING = "non bloquante"
TRUSTED_SUFFIX = ".mssante.fr"


@dataclass(frozen=True)
class Finding:
    code: str
    criticality: str
    field: str
    message: str

    @property
    def blocking(self) -> bool:
        return self.criticality == BLOCKING


@dataclass
class AccountReport:
    account: Account
    record: PublicationRow
    findings: list[Finding] = field(default_factory=list)

    @property
    def blocked(self) -> bool:
        return any(f.blocking for f in self.findings)


def _b(code: str, field_key: str, message: str) -> Finding:
    return Finding(code, BLOCKING, field_key, message)


def _n(code: str, field_key: str, message: str) -> Finding:
    return Finding(code, NON_BLOCKING, field_key, message)


def check(record: PublicationRow) -> list[Finding]:
    """Every feed rule for one record."""
    account = record.account
    out: list[Finding] = []
    kind = account.type
    if kind == AccountType.PER and record.person_id is None:
        out.append(
            _b(
                "person_id",
                "rpps",
                "BAL PER sans RPPS ni ADELI valide : renseignez le numéro RPPS (11 chiffres) "
                "ou ADELI (9 chiffres) du professionnel.",
            )
        )
    if kind in (AccountType.ORG, AccountType.APP, AccountType.INT) and record.structure_id is None:
        out.append(
            _b(
                "structure_id",
                "resp_structure_id",
                "Identifiant de structure absent ou invalide : renseignez un FINESS, SIRET ou "
                "SIREN valide dans « Identifiant structure resp ».",
            )
        )
    if kind in (AccountType.ORG, AccountType.APP):
        if not account.description.strip():
            out.append(
                _b(
                    "description",
                    "description",
                    "Description fonctionnelle absente : décrivez la boîte (ex. Secrétariat de "
                    "cardiologie).",
                )
            )
        if not (account.resp_last_name.strip() or account.resp_identifier.strip()):
            out.append(
                _b(
                    "responsible",
                    "resp_last_name",
                    "Responsable absent : indiquez le nom et le RPPS du responsable de la boîte.",
                )
            )
    out += _address_findings(account, record)
    out += _published_findings(account, record)
    if not account.specialty:
        out.append(_n("specialty", "specialty", "Spécialité non renseignée."))
    if not (account.address1.strip() and account.postal_code and account.city.strip()):
        out.append(
            _n(
                "postal_address",
                "address1",
                "Adresse postale incomplète : renseignez l'adresse, le code postal et la ville.",
            )
        )
    if not account.phone1:
        out.append(_n("phone", "phone1", "Aucun numéro de téléphone."))
    return out


def _address_findings(account: Account, record: PublicationRow) -> list[Finding]:
    domain = mssante_domain(account.structure)
    problem = ""
    try:
        check_particle(account.mssante_particle)
    except Invalid as exc:
        problem = exc.message
    if not domain:
        problem = "la structure n'a pas de domaine MSSanté"
    elif not (domain.endswith(TRUSTED_SUFFIX) and record.address.endswith("@" + domain)):
        problem = f"le domaine {domain} n'appartient pas à l'espace de confiance MSSanté"
    if problem:
        return [
            _b(
                "domain",
                "mssante_particle",
                f"Adresse {record.address or '(aucune)'} hors du domaine de la structure : "
                f"{problem}.",
            )
        ]
    return []


def _published_findings(account: Account, record: PublicationRow) -> list[Finding]:
    listing = listing_of(account)
    if listing is None or not listing.published_address:
        return []
    out: list[Finding] = []
    if listing.published_address != record.address:
        out.append(
            _b(
                "address_changed",
                "mssante_particle",
                f"Adresse modifiée après publication ({listing.published_address} → "
                f"{record.address}) : l'annuaire national refuse la modification. La prochaine "
                "publication retire l'ancienne adresse, la suivante publie la nouvelle.",
            )
        )
    if listing.published_type and listing.published_type != record.bal_type:
        out.append(
            _b(
                "type_changed",
                "type",
                f"Type de BAL modifié après publication ({listing.published_type} → "
                f"{record.bal_type}) : la BAL publiée sera retirée puis republiée.",
            )
        )
    return out


def report(structure: Structure) -> list[AccountReport]:
    """One entry per candidate mailbox of the structure, findings in rule order."""
    rows: list[AccountReport] = []
    for account in candidates(structure):
        if not is_candidate(account):
            continue
        record = build_record(account)
        rows.append(AccountReport(account, record, check(record)))
    return rows


def publishable(structure: Structure) -> list[PublicationRow]:
    """The records the national publication sends: those without a blocking finding."""
    return [row.record for row in report(structure) if not row.blocked]


def counts(rows: Iterable[AccountReport]) -> dict[str, int]:
    totals = {"accounts": 0, BLOCKING: 0, NON_BLOCKING: 0, "published": 0, "blocked": 0}
    for row in rows:
        totals["accounts"] += 1
        totals["blocked" if row.blocked else "published"] += 1
        for finding in row.findings:
            totals[finding.criticality] += 1
    return totals


def filtered(
    rows: list[AccountReport], criticality: str = "", code: str = ""
) -> list[AccountReport]:
    if not criticality and not code:
        return rows
    result: list[AccountReport] = []
    for row in rows:
        findings = [
            f
            for f in row.findings
            if (not criticality or f.criticality == criticality) and (not code or f.code == code)
        ]
        if findings:
            result.append(AccountReport(row.account, row.record, findings))
    return result


CSV_HEADER = (
    "Adresse mail",
    "Adresse MSSanté",
    "Type de BAL",
    "Criticité",
    "Code",
    "Champ",
    "Problème",
)


def _safe_cell(value: str) -> str:
    """Neutralise formulas when the file is opened in a spreadsheet."""
    return "'" + value if value[:1] in {"=", "+", "-", "@", "\t", "\r"} else value


def to_csv(rows: Iterable[AccountReport]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    writer.writerow(CSV_HEADER)
    for row in rows:
        for f in row.findings:
            writer.writerow(
                [
                    _safe_cell(v)
                    for v in (
                        row.account.email,
                        row.record.address,
                        row.record.bal_type,
                        f.criticality,
                        f.code,
                        f.field,
                        f.message,
                    )
                ]
            )
    return buffer.getvalue()
