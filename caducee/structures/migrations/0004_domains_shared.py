"""Shared MSSanté domains of the platform (issue #16, point 4): PlatformDomain; a
structure's domain is no longer unique in the database (a shared one serves many)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("structures", "0003_emailsettings_contact"),
    ]

    operations = [
        migrations.CreateModel(
            name="PlatformDomain",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("name", models.CharField(max_length=253, unique=True, verbose_name="domaine")),
                ("shared", models.BooleanField(default=False, verbose_name="domaine partagé")),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "ordering": ["name"],
            },
        ),
        migrations.AlterField(
            model_name="structure",
            name="domain",
            field=models.CharField(
                db_index=True, max_length=253, null=True, verbose_name="domaine MSSanté"
            ),
        ),
    ]
