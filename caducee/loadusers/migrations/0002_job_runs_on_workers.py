"""Imports run as tasks on any worker: the file in the default storage, a claim, a
heartbeat, a run counter and the acting person's context on the job."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("loadusers", "0001_initial")]

    operations = [
        migrations.RenameField("importjob", "file_path", "stored_name"),
        migrations.AlterField(
            model_name="importjob",
            name="stored_name",
            field=models.CharField(blank=True, max_length=500, verbose_name="fichier stocké"),
        ),
        migrations.AddField(
            model_name="importjob",
            name="actor_channel",
            field=models.CharField(default="web", max_length=10, verbose_name="canal"),
        ),
        migrations.AddField(
            model_name="importjob",
            name="actor_ip",
            field=models.CharField(blank=True, max_length=45, verbose_name="adresse IP"),
        ),
        migrations.AddField(
            model_name="importjob",
            name="claim",
            field=models.CharField(blank=True, max_length=32, verbose_name="exécution"),
        ),
        migrations.AddField(
            model_name="importjob",
            name="runs",
            field=models.PositiveSmallIntegerField(
                default=0, verbose_name="exécutions commencées"
            ),
        ),
        migrations.AddField(
            model_name="importjob",
            name="queued_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="mis en file"),
        ),
        migrations.AddField(
            model_name="importjob",
            name="heartbeat_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="dernier signe de vie"),
        ),
    ]
