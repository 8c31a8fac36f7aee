"""TLS material for the SMTP services: configured files, or a self-signed pair made once."""

from __future__ import annotations

import datetime as dt
import ipaddress
import os
import ssl
from pathlib import Path

from django.conf import settings

from caducee.config import ConfigError


def _generate(cert: Path, key: Path, hostname: str) -> None:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    private = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hostname)])
    alt: list[x509.GeneralName] = [x509.DNSName(hostname), x509.DNSName("localhost")]
    alt.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=3650))
        .add_extension(x509.SubjectAlternativeName(alt), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(private, hashes.SHA256())
    )
    cert.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(
            private.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
        )
    cert.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))


def certificate_paths() -> tuple[Path, Path]:
    """Configured certificate and key, or the self-signed pair under CADUCEE_HOME/tls."""
    if settings.SMTP_TLS_CERT and settings.SMTP_TLS_KEY:
        return Path(settings.SMTP_TLS_CERT), Path(settings.SMTP_TLS_KEY)
    base = Path(settings.HOME) / "tls"
    cert, key = base / "smtp-selfsigned.crt", base / "smtp-selfsigned.key"
    if not cert.exists() or not key.exists():
        _generate(cert, key, str(settings.SMTP_HOSTNAME))
    return cert, key


def server_context() -> ssl.SSLContext:
    """Submission: the service certificate, no client certificate asked, TLS 1.2 at least."""
    cert, key = certificate_paths()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.load_cert_chain(str(cert), str(key))
    return context


def inbound_context() -> ssl.SSLContext:
    """The inbound MTA: as `server_context`, and asks the peer for its certificate.

    With trust anchors (CADUCEE_SMTP_TRUST_ANCHORS, IGC-Santé in production) a presented
    certificate must chain to them, or the handshake fails; a peer presenting none still
    completes TLS and is refused at MAIL FROM with a 5.7.x answer (`trust.check_sender`).
    Without anchors, no certificate is asked for, and inter-operator mail is refused."""
    context = server_context()
    if settings.SMTP_TRUST_ANCHORS:
        try:
            context.load_verify_locations(cafile=str(settings.SMTP_TRUST_ANCHORS))
        except (OSError, ssl.SSLError) as exc:
            raise ConfigError(
                f"CADUCEE_SMTP_TRUST_ANCHORS : fichier {settings.SMTP_TRUST_ANCHORS} illisible "
                f"ou sans certificat PEM ({exc}). Indiquez la chaîne IGC-Santé au format PEM."
            ) from None
        context.verify_mode = ssl.CERT_OPTIONAL
    return context


def client_certificate_paths() -> tuple[Path, Path]:
    """What outgoing delivery presents: CADUCEE_SMTP_CLIENT_CERT/KEY, else the service's
    certificate (an IGC-Santé "SERV SSL" certificate serves both roles)."""
    if settings.SMTP_CLIENT_CERT and settings.SMTP_CLIENT_KEY:
        return Path(settings.SMTP_CLIENT_CERT), Path(settings.SMTP_CLIENT_KEY)
    return certificate_paths()


def client_context() -> ssl.SSLContext:
    """For outgoing delivery: verify the peer unless told not to (CADUCEE_SMTP_TLS_VERIFY),
    against CADUCEE_SMTP_TLS_CA_FILE, else the trust anchors, else the system CAs; present
    the platform's client certificate (peers check it against the MSSanté whitelist)."""
    cafile = settings.SMTP_TLS_CA_FILE or settings.SMTP_TRUST_ANCHORS
    if not settings.SMTP_TLS_VERIFY:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif cafile:
        context = ssl.create_default_context(cafile=str(cafile))
    else:
        context = ssl.create_default_context()
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    cert, key = client_certificate_paths()
    try:
        context.load_cert_chain(str(cert), str(key))
    except (OSError, ssl.SSLError) as exc:
        raise ConfigError(
            f"Certificat client SMTP illisible ({cert}, {key}) : {exc}. Vérifiez "
            "CADUCEE_SMTP_CLIENT_CERT et CADUCEE_SMTP_CLIENT_KEY (PEM)."
        ) from None
    return context
