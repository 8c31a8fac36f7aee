"""The platform's own certification authority, for the browser certificates of external
partners (never used for anything else).

Its certificate and key are PEM files named by CADUCEE_CERTIFICATE_CA_CERT / _KEY (by
default under CADUCEE_HOME/certificates/), created once by `caducee certificates init-ca`;
they are never in the repository. nginx trusts the CA certificate for client certificates
(docs/IDENTITY.md); the platform tells its own certificates from IGC-Santé ones by the
issuer (subject and key identifier of this CA).
"""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from django.conf import settings

from caducee.config import ConfigError

CA_NAME = "Caducée - autorité des certificats partenaires"
CA_YEARS = 20
PASSWORD_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789"  # noqa: S105 (characters, no ambiguous ones)
PASSWORD_LENGTH = 20  # ~115 bits: the PKCS#12 encryption's strength is the password's


@dataclass(frozen=True)
class Authority:
    certificate: x509.Certificate
    key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey


def paths() -> tuple[Path, Path]:
    return Path(settings.CERTIFICATE_CA_CERT), Path(settings.CERTIFICATE_CA_KEY)


def configured() -> bool:
    """Whether the CA files exist (then partners may ask for a certificate)."""
    cert, key = paths()
    return cert.is_file() and key.is_file()


def init_ca(name: str = CA_NAME) -> tuple[Path, bool]:
    """Create the CA's key and self-signed certificate if absent; (certificate path, created)."""
    cert_path, key_path = paths()
    if cert_path.exists() or key_path.exists():
        return cert_path, False
    key = ec.generate_private_key(ec.SECP384R1())
    now = datetime.datetime.now(datetime.UTC)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Caducée"),
            x509.NameAttribute(NameOID.COMMON_NAME, name),
        ]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=365 * CA_YEARS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
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
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA384())
    )
    key_path.parent.mkdir(parents=True, exist_ok=True)
    cert_path.parent.mkdir(parents=True, exist_ok=True)
    key_path.touch(mode=0o600)
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return cert_path, True


def load() -> Authority:
    """The CA, or a ConfigError in French saying how to create it."""
    cert_path, key_path = paths()
    try:
        certificate = x509.load_pem_x509_certificate(cert_path.read_bytes())
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
    except (OSError, ValueError) as exc:
        raise ConfigError(
            f"L'autorité de certification des partenaires est illisible ({cert_path}, "
            f"{key_path}) : créez-la avec « caducee certificates init-ca » ou corrigez "
            "CADUCEE_CERTIFICATE_CA_CERT / CADUCEE_CERTIFICATE_CA_KEY."
        ) from exc
    if not isinstance(key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise ConfigError("La clé de l'autorité des partenaires doit être RSA ou EC (PEM).")
    return Authority(certificate, key)


def is_ours(certificate: x509.Certificate) -> bool:
    """Issued by the platform's CA: its issuer is the CA's subject and, when present, its
    authority key identifier is the CA's key (another CA with the same name is not ours)."""
    if not configured():
        return False
    ca = load().certificate
    if certificate.issuer != ca.subject:
        return False
    try:
        aki = certificate.extensions.get_extension_for_class(x509.AuthorityKeyIdentifier).value
    except x509.ExtensionNotFound:
        return False
    return (
        aki.key_identifier
        == x509.SubjectKeyIdentifier.from_public_key(
            ca.public_key()  # type: ignore[arg-type]  # the CA's own EC/RSA key
        ).digest
    )


def serial_text(certificate: x509.Certificate) -> str:
    """The serial as nginx's $ssl_client_serial writes it: upper-case hexadecimal."""
    return f"{certificate.serial_number:X}"


def new_password() -> str:
    return "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(PASSWORD_LENGTH))


@dataclass(frozen=True)
class Issued:
    certificate: x509.Certificate
    pkcs12: bytes
    password: str


def issue(common_name: str, email: str, identifier: str) -> Issued:
    """A client-authentication certificate valid CERTIFICATE_YEARS, its key made here and
    delivered with it in a PKCS#12 file protected by a fresh random password.

    The PKCS#12 uses the legacy algorithms (3DES, SHA-1 MAC) every importer reads (Windows
    certificate store, macOS Keychain, Firefox); the random 20-character password is what
    protects it, not the algorithm's work factor.
    """
    authority = load()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    now = datetime.datetime.now(datetime.UTC)
    subject = x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Caducée - partenaires externes"),
            x509.NameAttribute(NameOID.USER_ID, identifier[:64]),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64] or email[:64]),
        ]
    )
    ca_key_id = x509.SubjectKeyIdentifier.from_public_key(
        authority.certificate.public_key()  # type: ignore[arg-type]
    )
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(authority.certificate.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=365 * settings.CERTIFICATE_YEARS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CLIENT_AUTH]), critical=False)
        .add_extension(x509.SubjectAlternativeName([x509.RFC822Name(email)]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_key_id),
            critical=False,
        )
        .sign(authority.key, hashes.SHA256())
    )
    password = new_password()
    encryption = (
        serialization.PrivateFormat.PKCS12.encryption_builder()
        .kdf_rounds(2048)  # the usual PKCS#12 count; the random password is the strength
        .key_cert_algorithm(pkcs12.PBES.PBESv1SHA1And3KeyTripleDESCBC)
        .hmac_hash(hashes.SHA1())  # noqa: S303 (PKCS#12 MAC that every importer reads)
        .build(password.encode())
    )
    bundle = pkcs12.serialize_key_and_certificates(
        name=f"Caducée - {common_name}".encode()[:64],
        key=key,
        cert=certificate,
        cas=[authority.certificate],
        encryption_algorithm=encryption,
    )
    return Issued(certificate, bundle, password)
