from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("structures", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="structure",
            name="colleagues_without_validation",
            field=models.BooleanField(
                default=False,
                db_default=False,
                verbose_name="Les utilisateurs d'une BAL organisationnelle peuvent y ajouter "
                "des collègues sans validation",
            ),
        ),
    ]
