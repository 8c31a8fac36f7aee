"""Settings from the environment: outgoing email (a relay when CADUCEE_EMAIL_HOST is set,
else the outbox folder), cookies and the identity variables."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

SCRIPT = """
import json, django
from django.conf import settings
django.setup()
from caducee.emails.outbox import new_row, render
from caducee.emails.sending import build
from caducee.accounts.models import Account
sent = 0
if settings.EMAIL_BACKEND.endswith("filebased.EmailBackend"):
    rendered = render("login_code", {"code": "123456", "minutes": 10})
    message = build(new_row("x@example.org", "login_code", rendered))
    sent = message.send()
print(json.dumps({
    "backend": settings.EMAIL_BACKEND, "host": settings.EMAIL_HOST, "port": settings.EMAIL_PORT,
    "user": settings.EMAIL_HOST_USER, "password": settings.EMAIL_HOST_PASSWORD,
    "tls": settings.EMAIL_USE_TLS, "ssl": settings.EMAIL_USE_SSL,
    "from": settings.DEFAULT_FROM_EMAIL, "path": str(settings.EMAIL_FILE_PATH), "sent": sent,
    "secure": settings.SESSION_COOKIE_SECURE, "httponly": settings.SESSION_COOKIE_HTTPONLY,
    "samesite": settings.SESSION_COOKIE_SAMESITE, "idle": settings.SESSION_IDLE_MINUTES,
    "max_age": settings.SESSION_COOKIE_AGE, "days": settings.FINALISATION_DAYS,
    "threshold": settings.LOCKOUT_THRESHOLD, "trusted": settings.TRUSTED_BROWSER_DAYS,
    "middleware": "caducee.identity.middleware.SessionLimitsMiddleware" in settings.MIDDLEWARE,
}))
"""


def _settings(home: Path, **env: str) -> dict[str, object]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CADUCEE_")}
    clean.update(CADUCEE_HOME=str(home), DJANGO_SETTINGS_MODULE="caducee.settings", **env)
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT],
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_without_relay_messages_go_to_the_outbox(tmp_path: Path) -> None:
    found = _settings(tmp_path)
    assert found["backend"] == "django.core.mail.backends.filebased.EmailBackend"
    assert found["path"] == str(tmp_path / "outbox")
    assert found["sent"] == 1
    files = list((tmp_path / "outbox").iterdir())
    assert len(files) == 1
    content = files[0].read_text(encoding="utf-8")
    assert "123456" in content and "text/html" in content


def test_the_relay_settings_are_read_from_the_environment(tmp_path: Path) -> None:
    secret = tmp_path / "smtp_password"
    secret.write_text("s3cret\n", encoding="utf-8")
    found = _settings(
        tmp_path,
        CADUCEE_EMAIL_HOST="relay.example.org",
        CADUCEE_EMAIL_PORT="587",
        CADUCEE_EMAIL_USER="caducee",
        CADUCEE_EMAIL_PASSWORD_FILE=str(secret),
        CADUCEE_EMAIL_STARTTLS="true",
        CADUCEE_EMAIL_FROM="Caducée <noreply@ght.example.org>",
    )
    assert found["backend"] == "django.core.mail.backends.smtp.EmailBackend"
    assert (found["host"], found["port"], found["user"]) == ("relay.example.org", 587, "caducee")
    assert found["password"] == "s3cret"
    assert found["tls"] is True and found["ssl"] is False
    assert found["from"] == "Caducée <noreply@ght.example.org>"


def test_cookies_and_identity_variables(tmp_path: Path) -> None:
    defaults = _settings(tmp_path)
    assert defaults["secure"] is False and defaults["httponly"] is True
    assert defaults["samesite"] == "Lax" and defaults["middleware"] is True
    assert (defaults["idle"], defaults["max_age"]) == (30, 12 * 3600)
    assert (defaults["days"], defaults["threshold"], defaults["trusted"]) == (30, 10, 90)
    found = _settings(
        tmp_path,
        CADUCEE_BASE_URL="https://caducee.example.fr",
        CADUCEE_ALLOWED_HOSTS="caducee.example.fr",
        CADUCEE_SESSION_IDLE_MINUTES="5",
        CADUCEE_SESSION_MAX_AGE="3600",
        CADUCEE_FINALISATION_DAYS="7",
        CADUCEE_LOCKOUT_THRESHOLD="4",
        CADUCEE_TRUSTED_BROWSER_DAYS="30",
    )
    assert found["secure"] is True
    assert (found["idle"], found["max_age"]) == (5, 3600)
    assert (found["days"], found["threshold"], found["trusted"]) == (7, 4, 30)
