"""Keyed audit chain: `key_version` per event, and a keyed seal after the older events.

Existing events keep their plain SHA-256 hash (key_version NULL); nothing is rewritten.
When there are some, one keyed event `audit.chain_keyed` is appended: its HMAC covers the
last of them, so they cannot be edited unnoticed either (caducee/audit/sealing.py).
A nullable column is added in place (no table rebuild, the append-only triggers stay).
"""

from django.db import migrations, models


def seal(apps, schema_editor):
    from caducee.audit.sealing import seal_legacy_chain

    seal_legacy_chain(apps.get_model("audit", "AuditEvent"), apps.get_model("audit", "AuditHead"))


class Migration(migrations.Migration):
    dependencies = [
        ("audit", "0002_append_only_triggers"),
    ]

    operations = [
        migrations.AddField(
            model_name="auditevent",
            name="key_version",
            field=models.PositiveSmallIntegerField(blank=True, null=True),
        ),
        migrations.RunPython(seal, migrations.RunPython.noop),
    ]
