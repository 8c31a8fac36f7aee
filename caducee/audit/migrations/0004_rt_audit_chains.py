"""One audit chain per structure (and one for the platform) instead of one global lock.

Existing events are not rewritten (the append-only triggers stay; nullable columns and a
partial unique index are added in place, without a table rebuild on SQLite): they stay in
the global chain they were written in (chain NULL), frozen with its head `AuditHead`.
When there are some, one keyed event `audit.chains_split` starts the platform chain: its
HMAC covers the global chain's last hash (caducee/audit/sealing.py).

On PostgreSQL, a sequence numbers the events from now on (caducee/audit/numbering.py),
continuing after the largest existing number.
"""

from django.conf import settings
from django.db import migrations, models


def seal(apps, schema_editor):
    from caducee.audit.sealing import seal_global_chain

    seal_global_chain(
        apps.get_model("audit", "AuditEvent"),
        apps.get_model("audit", "AuditHead"),
        apps.get_model("audit", "AuditChainHead"),
    )


def create_sequence(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from caducee.audit.numbering import create_sequence_sql

    event = apps.get_model("audit", "AuditEvent")
    head = apps.get_model("audit", "AuditHead")
    last = max(
        event.objects.aggregate(models.Max("seq"))["seq__max"] or 0,
        head.objects.aggregate(models.Max("seq"))["seq__max"] or 0,
    )
    for statement in create_sequence_sql(last):
        schema_editor.execute(statement)


def drop_sequence(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        from caducee.audit.numbering import SEQUENCE

        schema_editor.execute(f"DROP SEQUENCE IF EXISTS {SEQUENCE}")


class Migration(migrations.Migration):

    dependencies = [
        ('audit', '0003_sec_audit_key'),
        ('structures', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name='AuditChainHead',
            fields=[
                ('chain', models.PositiveBigIntegerField(primary_key=True, serialize=False)),
                ('length', models.PositiveBigIntegerField(default=0)),
                ('seq', models.PositiveBigIntegerField(default=0)),
                ('hash', models.CharField(default='0000000000000000000000000000000000000000000000000000000000000000', max_length=64)),
            ],
        ),
        migrations.AddField(
            model_name='auditevent',
            name='chain',
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='auditevent',
            name='chain_seq',
            field=models.PositiveBigIntegerField(blank=True, null=True),
        ),
        migrations.AddConstraint(
            model_name='auditevent',
            constraint=models.UniqueConstraint(condition=models.Q(('chain__isnull', False)), fields=('chain', 'chain_seq'), name='audit_event_chain_position'),
        ),
        migrations.RunPython(seal, migrations.RunPython.noop),
        migrations.RunPython(create_sequence, drop_sequence),
    ]
