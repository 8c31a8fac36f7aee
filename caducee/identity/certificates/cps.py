"""The national identifier in an IGC-Santé certificate of a CPS card (CPS, CPF, CPE…).

IGC-Santé names a health professional in the subject of the card's authentication
certificate by their idNat_PS: `8` + RPPS (12 characters) or `0` + ADELI (10), as the
common name, usually in a multi-valued RDN with the surname and given name, e.g.
`C=FR, title=Médecin, SN=DOC0073574 + CN=899700735741 + GN=KIT`. Older card generations
(IGC-CPS2ter) put `idNat/suffix` in the CN or the idNat in a `serialNumber` attribute;
both are read. The identifiers are then matched as a Pro Santé Connect login's are
(`psc.matching`): RPPS/ADELI columns of the accounts only, never an email address.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.x509.oid import NameOID

from caducee.identity.psc.matching import NationalIds, national_ids


def _values(name: x509.Name, oid: x509.ObjectIdentifier) -> list[str]:
    return [str(attribute.value).strip() for attribute in name.get_attributes_for_oid(oid)]


def id_nat_candidates(certificate: x509.Certificate) -> list[str]:
    """The subject values that may hold an idNat_PS (CN, its part before `/`, serialNumber)."""
    found: list[str] = []
    for value in _values(certificate.subject, NameOID.COMMON_NAME):
        found.append(value)
        if "/" in value:
            found.append(value.split("/", 1)[0].strip())
    found.extend(_values(certificate.subject, NameOID.SERIAL_NUMBER))
    return found


def national_ids_of(certificate: x509.Certificate) -> NationalIds:
    """The RPPS/ADELI numbers the certificate carries (empty: not a CPS certificate)."""
    return national_ids({"otherIds": [{"identifiant": v} for v in id_nat_candidates(certificate)]})


def holder_label(certificate: x509.Certificate) -> str:
    """« KIT DOC0073574 » for the pages (given name and surname, else the CN)."""
    given = " ".join(_values(certificate.subject, NameOID.GIVEN_NAME))
    surname = " ".join(_values(certificate.subject, NameOID.SURNAME))
    label = f"{given} {surname}".strip()
    return label or " ".join(_values(certificate.subject, NameOID.COMMON_NAME))
