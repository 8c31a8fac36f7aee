"""Partner certificates (issue #17, point 3): asked from « Sécurité », delivered once as a
PKCS#12 whose password is shown once, emailed installation procedure, then the second
factor after the password; revoked by the partner, an admin, or the end of the account."""

from __future__ import annotations

import datetime
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID
from django.test import Client
from django.utils import timezone

from caducee.audit.models import AuditEvent
from caducee.coordination.models import ExternalAccount
from caducee.core.context import cli_context
from caducee.emails.models import OutgoingEmail
from caducee.identity.certificates import authority
from caducee.identity.models import ClientCertificate
from caducee.identity.revocation import revoke_access
from caducee.people.models import User
from tests.conftest import PASSWORD
from tests.identity.certificates import pki
from tests.identity.certificates.conftest import GASPARD
from tests.identity.conftest import Capture

pytestmark = pytest.mark.usefixtures("partner_ca", "proxied")
PASSWORD_SHOWN = re.compile(r'id="certificate-password">([^<]+)<')


def _ask(client: Client, capture: Capture) -> tuple[ClientCertificate, str]:
    with capture(execute=True):
        page = client.post("/securite/certificats/demander/")
    assert page.status_code == 200, page.content.decode()
    assert "no-store" in page["Cache-Control"]
    found = PASSWORD_SHOWN.search(page.content.decode())
    assert found is not None
    return ClientCertificate.objects.get(), found.group(1)


def _issued(
    gaspard: User, capture: Capture
) -> tuple[ClientCertificate, x509.Certificate, str, bytes]:
    client = Client()
    client.force_login(gaspard)
    row, password = _ask(client, capture)
    download = client.post(f"/securite/certificats/{row.pk}/telecharger/")
    assert download.status_code == 200
    assert download["Content-Type"] == "application/x-pkcs12"
    bundle = download.getvalue()
    _, certificate, _ = pkcs12.load_key_and_certificates(bundle, password.encode())
    assert certificate is not None
    return row, certificate, password, bundle


def _login(certificate: x509.Certificate | None, capture: Capture, **extra: Any) -> Any:
    headers = pki.proxy_headers(certificate) if certificate is not None else {}
    client = Client(**{**headers, **extra})
    with capture(execute=True):
        return client.post("/connexion/", {"email": GASPARD, "password": PASSWORD})


def test_a_partner_asks_downloads_once_and_gets_the_procedure(
    gaspard: User, django_capture_on_commit_callbacks: Capture
) -> None:
    row, _, password, bundle = _issued(gaspard, django_capture_on_commit_callbacks)
    key, cert, _ = pkcs12.load_key_and_certificates(bundle, password.encode())
    assert key is not None and cert is not None
    assert authority.is_ours(cert) and authority.serial_text(cert) == row.serial
    years = (cert.not_valid_after_utc - cert.not_valid_before_utc).days / 365
    assert 2.99 < years < 3.01
    assert (
        ExtendedKeyUsageOID.CLIENT_AUTH
        in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    )
    with pytest.raises(ValueError, match="Invalid password"):
        pkcs12.load_key_and_certificates(bundle, b"mauvais mot de passe")
    row.refresh_from_db()
    assert row.bundle is None and row.downloaded_at is not None
    # Once only: the file is gone.
    client = Client()
    client.force_login(gaspard)
    again = client.post(f"/securite/certificats/{row.pk}/telecharger/", follow=True)
    assert "déjà été téléchargé" in again.content.decode()
    email = OutgoingEmail.objects.get(template="certificate_issued")
    assert email.recipient == GASPARD and row.serial in email.text
    for words in ("Firefox", "Chrome", "Edge", "Windows", "macOS", "Trousseau"):
        assert words in email.text and words in email.html
    assert password not in email.text and password not in email.html
    actions = list(
        AuditEvent.objects.filter(action__startswith="identity.certificate").values_list(
            "action", "detail"
        )
    )
    assert sorted(a for a, _ in actions) == [
        "identity.certificate.download",
        "identity.certificate.issue",
    ]
    assert all(detail["serial"] == row.serial for _, detail in actions)


def test_the_certificate_replaces_the_emailed_code(
    gaspard: User, django_capture_on_commit_callbacks: Capture
) -> None:
    row, certificate, _, _ = _issued(gaspard, django_capture_on_commit_callbacks)
    response = _login(certificate, django_capture_on_commit_callbacks)
    assert response.status_code == 302
    assert not response["Location"].startswith("/connexion/"), response["Location"]
    event = AuditEvent.objects.filter(action="identity.login").latest("seq")
    assert event.detail["method"] == "certificate"
    assert event.detail["serial"] == row.serial
    row.refresh_from_db()
    assert row.last_used_at is not None
    # Without a certificate, or with a wrong password, nothing changes.
    assert _login(None, django_capture_on_commit_callbacks)["Location"] == "/connexion/code/"
    client = Client(**pki.proxy_headers(certificate))
    wrong = client.post("/connexion/", {"email": GASPARD, "password": "faux"})
    assert wrong.status_code != 302


def test_forged_headers_from_a_peer_that_is_not_a_trusted_proxy_are_ignored(
    gaspard: User, django_capture_on_commit_callbacks: Capture
) -> None:
    _, certificate, _, _ = _issued(gaspard, django_capture_on_commit_callbacks)
    forged = _login(certificate, django_capture_on_commit_callbacks, REMOTE_ADDR="203.0.113.7")
    assert forged["Location"] == "/connexion/code/"
    assert not AuditEvent.objects.filter(action="identity.login").exists()


def test_a_certificate_of_another_ca_with_the_same_names_is_not_ours(
    gaspard: User, django_capture_on_commit_callbacks: Capture
) -> None:
    row, certificate, _, _ = _issued(gaspard, django_capture_on_commit_callbacks)
    impostor_ca = pki.Issued(*_self_signed_like(certificate.issuer))
    forged = pki._build(certificate.subject, impostor_ca, ca=False).certificate
    assert authority.serial_text(forged) != row.serial  # and even the serial would not do:
    assert not authority.is_ours(forged)
    assert _login(forged, django_capture_on_commit_callbacks)["Location"] == "/connexion/code/"


def _self_signed_like(name: x509.Name) -> tuple[x509.Certificate, Any]:
    made = pki._build(name, None, ca=True)
    return made.certificate, made.key


def test_revoked_or_expired_certificates_stop_at_once(
    gaspard: User, alice: User, bob: User, django_capture_on_commit_callbacks: Capture
) -> None:
    capture = django_capture_on_commit_callbacks
    row, certificate, _, _ = _issued(gaspard, capture)
    # Another structure's admin does not see it.
    stranger = Client()
    stranger.force_login(bob)
    assert stranger.post(f"/securite/certificats/{row.pk}/retirer/").status_code == 404
    assert _login(certificate, capture)["Location"] != "/connexion/code/"
    # The partner's admin revokes it from the console.
    admin = Client()
    admin.force_login(alice)
    external = ExternalAccount.objects.get(user=gaspard)
    page = admin.get(f"/coordination/comptes-externes/{external.pk}/")
    assert row.serial in page.content.decode()
    back = f"/coordination/comptes-externes/{external.pk}/"
    done = admin.post(
        f"/securite/certificats/{row.pk}/retirer/",
        {"next": back, "reason": "révoqué par un administrateur"},
    )
    assert done.status_code == 302 and done["Location"] == back
    row.refresh_from_db()
    assert row.revoked_at is not None and row.revoked_by == alice
    assert _login(certificate, capture)["Location"] == "/connexion/code/"
    event = AuditEvent.objects.get(action="identity.certificate.revoke")
    assert event.detail == {"serial": row.serial, "reason": "révoqué par un administrateur"}
    # Expired in the database: refused as well.
    ClientCertificate.objects.filter(pk=row.pk).update(
        revoked_at=None, not_after=timezone.now() - datetime.timedelta(minutes=1)
    )
    assert _login(certificate, capture)["Location"] == "/connexion/code/"


def test_the_partner_withdraws_it_from_the_security_page(
    gaspard: User, django_capture_on_commit_callbacks: Capture
) -> None:
    row, certificate, _, _ = _issued(gaspard, django_capture_on_commit_callbacks)
    client = Client()
    client.force_login(gaspard)
    page = client.get("/securite/").content.decode()
    assert "Certificats de connexion" in page and row.serial in page
    assert "Retirer ce certificat" in page
    client.post(f"/securite/certificats/{row.pk}/retirer/")
    row.refresh_from_db()
    assert row.reason == "retiré par son titulaire" and row.revoked_by == gaspard
    assert _login(certificate, django_capture_on_commit_callbacks)["Location"] == (
        "/connexion/code/"
    )


@pytest.mark.parametrize("reason", ["external_suspended", "account_deactivated"])
def test_the_end_of_the_account_revokes_its_certificates(
    gaspard: User, reason: str, django_capture_on_commit_callbacks: Capture
) -> None:
    row, _, _, _ = _issued(gaspard, django_capture_on_commit_callbacks)
    counts = revoke_access(cli_context(), gaspard, reason)
    assert counts["certificates"] == 1
    row.refresh_from_db()
    assert row.revoked_at is not None and row.reason


def test_a_suspended_partner_cannot_use_a_certificate_even_before_revocation(
    gaspard: User, django_capture_on_commit_callbacks: Capture
) -> None:
    _, certificate, _, _ = _issued(gaspard, django_capture_on_commit_callbacks)
    ExternalAccount.objects.filter(user=gaspard).update(status="suspendu")
    response = _login(certificate, django_capture_on_commit_callbacks)
    assert response.status_code != 302 or response["Location"] == "/connexion/code/"


def test_only_external_partners_may_ask(
    pierre: Any, django_capture_on_commit_callbacks: Capture
) -> None:
    client = Client()
    client.force_login(pierre.user)
    assert "certificate-request" not in client.get("/securite/").content.decode()
    refused = client.post("/securite/certificats/demander/", follow=True)
    assert "réservés aux partenaires externes" in refused.content.decode()
    assert not ClientCertificate.objects.exists()


def test_openssl_opens_the_pkcs12_with_its_password(
    gaspard: User, django_capture_on_commit_callbacks: Capture, tmp_path: Path
) -> None:
    """The algorithms every importer reads (3DES, SHA-1 MAC): OpenSSL 3 opens the file
    without its `-legacy` provider, and refuses a wrong password."""
    _, _, password, bundle = _issued(gaspard, django_capture_on_commit_callbacks)
    path = tmp_path / "caducee.p12"
    path.write_bytes(bundle)
    shown = subprocess.run(
        ["openssl", "pkcs12", "-in", str(path), "-passin", f"pass:{password}", "-nokeys"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    assert b"BEGIN CERTIFICATE" in shown.stdout
    wrong = subprocess.run(
        ["openssl", "pkcs12", "-in", str(path), "-passin", "pass:faux", "-nokeys"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert wrong.returncode != 0
