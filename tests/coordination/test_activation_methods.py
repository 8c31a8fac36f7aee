"""The activation page of an external account and its recap email list the login methods
this platform offers, and only those (issue #17 point 5)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from caducee.coordination import operations
from caducee.coordination.models import Contact, Partner
from caducee.people.models import User
from caducee.structures.models import Structure
from tests.coordination.conftest import profile
from tests.helpers import ctx_for
from tests.smtp_sink import Received, SmtpSink, url_in


def _activate(
    camille: User,
    partner: Partner,
    structure: Structure,
    sink: SmtpSink,
    capture: Any,
) -> tuple[str, Received]:
    """Create fcorre, open the emailed link, activate: the page and the recap email."""
    with capture(execute=True):
        external = operations.create_external_account(
            ctx_for(camille),
            partner,
            "fcorre",
            profile(structure, "Partenaire externe lecture seule"),
        )
    assert external is not None
    url = url_in(sink.wait_for(external.user.email))
    client = Client()
    path = "/" + url.split("/", 3)[3]
    with capture(execute=True):
        response = client.post(path, {"last_name": "Corre", "first_name": "François"})
    assert response.status_code == 200
    recap = sink.wait_for(external.user.email, match=lambda m: "activé" in m.subject)
    return response.content.decode(), recap


@pytest.mark.parametrize("backend", ["off", "file"])
def test_sms_is_listed_only_when_the_platform_sends_sms(
    camille: User,
    corre_partner: Partner,
    corre: Contact,
    structure_a: Structure,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Any,
    settings: Any,
    backend: str,
) -> None:
    settings.SMS_BACKEND = backend
    Contact.objects.filter(pk=corre.pk).update(phone="0612345678")
    page, recap = _activate(
        camille, corre_partner, structure_a, smtp_sink, django_capture_on_commit_callbacks
    )
    assert 'id="method-email"' in page and 'id="method-totp"' in page
    assert "envoyé par mail à francois.corre@cabinet-centre.fr" in page
    assert "application d'authentification" in recap.text
    if backend == "off":
        assert "SMS" not in page and "SMS" not in recap.text and "SMS" not in recap.html
    else:
        assert "par SMS à votre mobile (06 •• •• •• 78)" in page
        assert "par SMS à votre mobile (06 •• •• •• 78)" in recap.text
        assert "par SMS à votre mobile (06 •• •• •• 78)" in recap.html
    assert 'id="method-certificate"' not in page and "certificat" not in recap.text


def test_the_partner_certificate_is_listed_once_its_ca_exists(
    camille: User,
    corre_partner: Partner,
    structure_a: Structure,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: Any,
    settings: Any,
    tmp_path: Path,
) -> None:
    """The hook for issue #17 point 3: the partner CA's certificate file (certs feature)."""
    ca = tmp_path / "ca.pem"
    ca.write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    settings.CERTIFICATE_CA_CERT = str(ca)
    page, recap = _activate(
        camille, corre_partner, structure_a, smtp_sink, django_capture_on_commit_callbacks
    )
    assert 'id="method-certificate"' in page
    assert "certificat de sécurité installé dans votre navigateur" in recap.text
