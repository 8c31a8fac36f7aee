"""Structure contact details edited by its admins (issue #15, point 6)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("structures", "0002_selfservice_colleagues_without_validation"),
    ]

    operations = [
        migrations.AddField(
            model_name="structure",
            name="phone",
            field=models.CharField(
                blank=True, default="", db_default="", max_length=16, verbose_name="téléphone"
            ),
        ),
        migrations.AddField(
            model_name="structure",
            name="contact_name",
            field=models.CharField(
                blank=True, default="", db_default="", max_length=200, verbose_name="contact"
            ),
        ),
        migrations.AddField(
            model_name="structure",
            name="contact_email",
            field=models.EmailField(
                blank=True,
                default="",
                db_default="",
                max_length=254,
                verbose_name="adresse mail de contact",
            ),
        ),
    ]
