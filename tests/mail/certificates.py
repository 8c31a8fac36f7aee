"""A test PKI made with `cryptography`: a CA standing for IGC-Santé, and operator
certificates it signs (server and client use, names 127.0.0.1 and localhost), written as
PEM files; and whitelist files binding domains to operator DNs."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _name(dn: dict[str, str]) -> x509.Name:
    oids = {
        "C": NameOID.COUNTRY_NAME,
        "ST": NameOID.STATE_OR_PROVINCE_NAME,
        "O": NameOID.ORGANIZATION_NAME,
        "OU": NameOID.ORGANIZATIONAL_UNIT_NAME,
        "CN": NameOID.COMMON_NAME,
    }
    return x509.Name([x509.NameAttribute(oids[k], v) for k, v in dn.items()])


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )


@dataclass(frozen=True)
class Issued:
    cert: Path
    key: Path
    dn: str  # as the whitelist writes it: CN=…,OU=…,O=…,ST=…,C=FR

    def client_context(self, cafile: Path | None = None) -> ssl.SSLContext:
        """A client presenting this certificate; verifies the server against `cafile`."""
        context = ssl.create_default_context(cafile=str(cafile) if cafile else None)
        if cafile is None:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        context.load_cert_chain(str(self.cert), str(self.key))
        return context


class TestCA:
    """A certificate authority in a folder; `issue` signs operator certificates."""

    __test__ = False  # not a pytest test class

    def __init__(self, folder: Path, name: str = "AC Test IGC-Sante") -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.folder = folder
        self.key = ec.generate_private_key(ec.SECP256R1())
        self.name = _name({"C": "FR", "O": "Test", "CN": name})
        now = dt.datetime.now(dt.UTC)
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(self.name)
            .issuer_name(self.name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False
            )
            .sign(self.key, hashes.SHA256())
        )
        self.cert = folder / "ca.pem"
        self.cert.write_bytes(self.certificate.public_bytes(serialization.Encoding.PEM))

    def issue(self, file_name: str, cn: str, ou: str = "123456789000", org: str = "") -> Issued:
        key = ec.generate_private_key(ec.SECP256R1())
        dn = {"C": "FR", "ST": "Paris (75)", "O": org or f"Operateur {cn}", "OU": ou, "CN": cn}
        now = dt.datetime.now(dt.UTC)
        names: list[x509.GeneralName] = [
            x509.DNSName(cn),
            x509.DNSName("localhost"),
            x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
        ]
        certificate = (
            x509.CertificateBuilder()
            .subject_name(_name(dn))
            .issuer_name(self.name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName(names), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage(
                    [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
                ),
                critical=False,
            )
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()),
                critical=False,
            )
            .sign(self.key, hashes.SHA256())
        )
        cert, key_path = self.folder / f"{file_name}.pem", self.folder / f"{file_name}.key"
        cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
        _write_key(key_path, key)
        whitelist_dn = ",".join(f"{k}={dn[k]}" for k in ("CN", "OU", "O", "ST", "C"))
        return Issued(cert, key_path, whitelist_dn)


def whitelist_xml(entries: dict[str, str]) -> bytes:
    """listeblanchemssante.xml with these {domain: operator DN} entries."""
    domains = "".join(
        f"<Domaine><Nom>{name}</Nom><Description>Test</Description>"
        f"<DNCertificatOperateur>{dn}</DNCertificatOperateur></Domaine>"
        for name, dn in entries.items()
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<ListeBlancheMSSante xmlns="https://listeblanche.mssante.fr/schema">'
        f"<ListeDomaines>{domains}</ListeDomaines></ListeBlancheMSSante>"
    ).encode()
