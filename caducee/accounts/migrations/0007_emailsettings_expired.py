"""Email-change requests get the state « Expirée » (issue #15, point 4)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_selfservice_colleague_proposals"),
    ]

    operations = [
        migrations.AlterField(
            model_name="emailchangerequest",
            name="status",
            field=models.CharField(
                choices=[
                    ("pending", "En attente de confirmation"),
                    ("done", "Confirmée"),
                    ("cancelled", "Annulée"),
                    ("expired", "Expirée"),
                ],
                default="pending",
                max_length=10,
            ),
        ),
    ]
