"""An external partner logs in with their identifier, then the one-time code as everyone."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from caducee.coordination import operations
from caducee.coordination.models import Record
from tests.smtp_sink import SmtpSink, code_in


def test_identifier_password_then_emailed_code(
    fcorre_credentials: operations.Credentials,
    record_a: Record,
    smtp_sink: SmtpSink,
    django_capture_on_commit_callbacks: object,
) -> None:
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        step = client.post(
            reverse("identity:login"),
            {"email": "fcorre", "password": fcorre_credentials.password},
        )
    assert step.status_code == 302 and step["Location"] == reverse("identity:code")
    # Not logged in before the code.
    assert client.get(reverse("coordination:home")).status_code == 302
    email = fcorre_credentials.external.user.email
    code = code_in(smtp_sink.wait_for(email))
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        done = client.post(reverse("identity:code"), {"code": code})
    assert done.status_code == 302
    page = client.get(reverse("coordination:home"))
    assert page.status_code == 200 and "MARTIN" in page.content.decode()
    assert "fcorre" in page.content.decode()


def test_wrong_password_is_refused(
    fcorre_credentials: operations.Credentials,
) -> None:
    client = Client()
    response = client.post(
        reverse("identity:login"), {"email": "fcorre", "password": "mauvais mot de passe"}
    )
    assert response.status_code in {200, 429}
    assert "incorrect" in response.content.decode()
