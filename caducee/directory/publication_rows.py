"""What the platform publishes to the national MSSanté directory: one `PublicationRow` per mailbox.

Publishable: PER, INT (as a PER mailbox attached to its structure), ORG and APP accounts
listed in the regional directory, with an MSSanté address, not test, not liste rouge.
MED accounts are regional only. APP mailboxes go to the FHIR feed but not to the public
pipe-separated extraction (REFERENCE.md §2).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet

from caducee.accounts.models import Account, AccountType
from caducee.directory.addresses import is_test_particle, mssante_address
from caducee.directory.entries import is_listed, listing_of
from caducee.referentials import identifiers, lists
from caducee.structures.models import Structure

NATIONAL_TYPE = {"PER": "PER", "INT": "PER", "ORG": "ORG", "APP": "APP"}
# idNat_Struct prefixes (TRE_G07) and idNat_PS prefixes (TRE_G08).
STRUCTURE_PREFIX = {"FINESS": "1", "FINESS_EJ": "1", "FINESS_EG": "1", "SIREN": "2", "SIRET": "3"}
STRUCTURE_ID_LABEL = {"1": "FINESS", "2": "SIREN", "3": "SIRET"}
PERSON_SYSTEM = "urn:oid:1.2.250.1.71.4.2.1"
STRUCTURE_SYSTEM = "urn:oid:1.2.250.1.71.4.2.2"


@dataclass(frozen=True)
class NationalId:
    kind: str  # RPPS, ADELI, FINESS, SIREN, SIRET
    number: str
    prefix: str

    @property
    def value(self) -> str:
        return self.prefix + self.number


@dataclass(frozen=True)
class PublicationRow:
    account: Account
    address: str
    bal_type: str
    person_id: NationalId | None
    structure_id: NationalId | None
    description: str
    service: str
    responsible: str
    dematerialisation: bool

    @property
    def carrier(self) -> str:
        """The conditional URL of the FHIR resource carrying the mailbox."""
        if self.person_id is not None:
            url = f"PractitionerRole?practitioner.identifier={PERSON_SYSTEM}|{self.person_id.value}"
            if self.structure_id is not None:
                url += f"&organization.identifier={STRUCTURE_SYSTEM}|{self.structure_id.value}"
            return url
        if self.structure_id is not None:
            return f"Organization?identifier={STRUCTURE_SYSTEM}|{self.structure_id.value}"
        return ""


def person_id(account: Account) -> NationalId | None:
    """`8`+RPPS or `0`+ADELI when the number is valid."""
    if account.rpps:
        try:
            return NationalId("RPPS", identifiers.validate_rpps(account.rpps), "8")
        except identifiers.InvalidIdentifier:
            pass
    if account.adeli:
        try:
            return NationalId("ADELI", identifiers.validate_adeli(account.adeli), "0")
        except identifiers.InvalidIdentifier:
            pass
    return None


def _structure_id(id_type: str, number: str) -> NationalId | None:
    kind = id_type.upper()
    kind = identifiers.STRUCTURE_ID_CODES.get(kind, kind)
    prefix = STRUCTURE_PREFIX.get(kind)
    if prefix is None or not number:
        return None
    try:
        value = identifiers.validate_structure_identifier(kind, number)
    except identifiers.InvalidIdentifier:
        return None
    return NationalId(STRUCTURE_ID_LABEL[prefix], value, prefix)


def account_structure_id(account: Account) -> NationalId | None:
    """The mailbox's structure: « Identifiant structure resp » when given, else the structure's."""
    if account.resp_structure_id_type or account.resp_structure_id:
        return _structure_id(account.resp_structure_id_type, account.resp_structure_id)
    return _structure_id(account.structure.id_type, account.structure.id_number)


def responsible(account: Account) -> str:
    if account.type == AccountType.PER:
        return ""
    parts = [account.resp_last_name, account.resp_first_name]
    name = " ".join(p for p in parts if p)
    if account.resp_identifier:
        name = f"{name} ({account.resp_identifier})" if name else account.resp_identifier
    return name


def is_candidate(account: Account) -> bool:
    """Eligible in principle; the feed report then says whether it is published."""
    return (
        account.type in NATIONAL_TYPE
        and bool(account.mssante_particle)
        and not account.is_test
        and not is_test_particle(account.mssante_particle)
        and is_listed(account)
    )


def candidates(structure: Structure) -> QuerySet[Account]:
    return (
        Account.objects.filter(structure=structure, type__in=list(NATIONAL_TYPE), is_test=False)
        .exclude(mssante_particle="")
        .select_related("structure", "listing")
        .order_by("email")
    )


def build_record(account: Account) -> PublicationRow:
    listing = listing_of(account)
    is_person = account.type == AccountType.PER
    return PublicationRow(
        account=account,
        address=mssante_address(account) or "",
        bal_type=NATIONAL_TYPE[account.type],
        person_id=person_id(account) if is_person else None,
        structure_id=account_structure_id(account),
        description=account.description if account.is_shared else "",
        service=account.service,
        responsible=responsible(account),
        dematerialisation=listing.dematerialisation if listing else True,
    )


def profession_label(code: str) -> str:
    return lists.professions().label(code) if code else ""


def specialty_label(code: str) -> str:
    return lists.specialties().label(code) if code else ""
