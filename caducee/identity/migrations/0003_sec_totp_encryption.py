"""Encrypt the authenticator-app (TOTP) secrets at rest (security review L2).

The column grows to hold a Fernet token; the secrets stored in clear until now are
encrypted with the key derived from SECRET_KEY (caducee/identity/secret_box.py). Going
back decrypts them again.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations, models

from caducee.identity import secret_box


def seal_clear_secrets(apps: Any, schema_editor: Any) -> None:
    Security = apps.get_model("identity", "Security")
    for row in Security.objects.exclude(totp_secret="").only("pk", "totp_secret"):
        if not secret_box.is_sealed(row.totp_secret):
            Security.objects.filter(pk=row.pk).update(
                totp_secret=secret_box.seal(row.totp_secret)
            )


def unseal_secrets(apps: Any, schema_editor: Any) -> None:
    Security = apps.get_model("identity", "Security")
    for row in Security.objects.exclude(totp_secret="").only("pk", "totp_secret"):
        if secret_box.is_sealed(row.totp_secret):
            Security.objects.filter(pk=row.pk).update(
                totp_secret=secret_box.unseal(row.totp_secret)
            )


class Migration(migrations.Migration):
    dependencies = [
        ("identity", "0002_codes_browsers_throttles_reminders"),
    ]

    operations = [
        migrations.AlterField(
            model_name="security",
            name="totp_secret",
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.RunPython(seal_clear_secrets, unseal_secrets),
    ]
