"""Test certificates shaped like IGC-Santé's (a root, an intermediate CA « personnes », a
CPS card's authentication certificate), written as PEM files; shared by the unit tests
and the nginx tests (tests/deploy/test_nginx_certificates.py)."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

RPPS = "99700735741"  # fictitious, in the test range of the ANS (99…)


@dataclass
class Issued:
    certificate: x509.Certificate
    key: Any

    @property
    def pem(self) -> str:
        return self.certificate.public_bytes(serialization.Encoding.PEM).decode()

    def write(self, folder: Path, name: str) -> tuple[Path, Path]:
        cert, key = folder / f"{name}.pem", folder / f"{name}.key"
        cert.write_text(self.pem, encoding="utf-8")
        key.write_bytes(
            self.key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
        return cert, key


def _name(*attributes: tuple[x509.ObjectIdentifier, str]) -> x509.Name:
    return x509.Name([x509.NameAttribute(oid, value) for oid, value in attributes])


def _build(subject: x509.Name, issuer: Issued | None, *, ca: bool) -> Issued:
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.datetime.now(datetime.UTC)
    signer_key = issuer.key if issuer else key
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.certificate.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )
    if issuer is not None:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()),
            critical=False,
        )
    if not ca:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False
        )
    return Issued(builder.sign(signer_key, hashes.SHA256()), key)


@dataclass
class IgcSante:
    root: Issued
    persons: Issued  # the intermediate CA that signs the cards' certificates

    @property
    def chain_pem(self) -> str:
        """The bundle an operator installs for nginx (intermediate and root)."""
        return self.persons.pem + self.root.pem


def igc_sante() -> IgcSante:
    root = _build(
        _name(
            (NameOID.COUNTRY_NAME, "FR"),
            (NameOID.ORGANIZATION_NAME, "ASIP-SANTE"),
            (NameOID.ORGANIZATIONAL_UNIT_NAME, "IGC-SANTE"),
            (NameOID.COMMON_NAME, "TEST AC RACINE IGC-SANTE FORT"),
        ),
        None,
        ca=True,
    )
    persons = _build(
        _name(
            (NameOID.COUNTRY_NAME, "FR"),
            (NameOID.ORGANIZATION_NAME, "ASIP-SANTE"),
            (NameOID.ORGANIZATIONAL_UNIT_NAME, "IGC-SANTE"),
            (NameOID.COMMON_NAME, "TEST AC IGC-SANTE FORT PERSONNES"),
        ),
        root,
        ca=True,
    )
    return IgcSante(root, persons)


def cps_card(igc: IgcSante, rpps: str = RPPS, *, legacy: bool = False) -> Issued:
    """A CPS card's authentication certificate: `C=FR, title=Médecin,
    SN=… + CN=8<RPPS> + GN=…` (IGC-Santé); `legacy`: the idNat in serialNumber, the CN
    holding the name, as older card generations."""
    if legacy:
        subject = _name(
            (NameOID.COUNTRY_NAME, "FR"),
            (NameOID.ORGANIZATION_NAME, "CABINET M DOC0073574"),
            (NameOID.SERIAL_NUMBER, "8" + rpps),
            (NameOID.COMMON_NAME, "KIT DOC0073574"),
        )
    else:
        subject = x509.Name(
            [
                x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.COUNTRY_NAME, "FR")]),
                x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.TITLE, "Médecin")]),
                x509.RelativeDistinguishedName(
                    [
                        x509.NameAttribute(NameOID.SURNAME, "DOC0073574"),
                        x509.NameAttribute(NameOID.COMMON_NAME, "8" + rpps),
                        x509.NameAttribute(NameOID.GIVEN_NAME, "KIT"),
                    ]
                ),
            ]
        )
    return _build(subject, igc.persons, ca=False)


def self_signed(common_name: str) -> Issued:
    return _build(_name((NameOID.COMMON_NAME, common_name)), None, ca=False)


def proxy_headers(certificate: x509.Certificate) -> dict[str, Any]:
    """What nginx (deploy/nginx/caducee.conf) sends for a verified client certificate."""
    pem = certificate.public_bytes(serialization.Encoding.PEM).decode()
    return {
        "HTTP_X_CLIENT_VERIFY": "SUCCESS",
        "HTTP_X_CLIENT_DN": certificate.subject.rfc4514_string(),
        "HTTP_X_CLIENT_CERT": quote(pem, safe=""),
    }
