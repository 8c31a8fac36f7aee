"""Reads stay reads (issue #14): what pages used to create on first display exists already.

- Every regular structure without rights profiles gets the four default profiles (new
  structures get them from `structures.operations.create_structure`).
- An installation that has structures gets the dedicated structure « Utilisateur externe »
  (a new, empty installation gets it when its first external account is saved).

The values are frozen here, as they were when this migration was written. No audit event:
a migration is not an actor (the audit chain is written by the operations layer only).
"""

from django.db import migrations

DEFAULT_PROFILES = (
    (
        "Coordinateur interne",
        "interne",
        [
            "record.read",
            "record.create",
            "liaison.read",
            "liaison.write",
            "document.add",
            "contact.manage",
            "partner.manage",
            "external.create",
            "external.modify",
        ],
    ),
    ("Lecteur interne", "interne", ["record.read", "liaison.read"]),
    ("Partenaire externe lecture seule", "externe", ["record.read", "liaison.read"]),
    (
        "Partenaire externe contributeur",
        "externe",
        ["record.read", "liaison.read", "liaison.write", "document.add"],
    ),
)
EXTERNAL_STRUCTURE_NAME = "Utilisateur externe"
# SIREN 99999999 + Luhn key, establishment 0000 + Luhn key (operations.EXTERNAL_SIRET).
EXTERNAL_SIRET = "99999999800001"


def create_defaults(apps, schema_editor):
    Structure = apps.get_model("structures", "Structure")
    RightsProfile = apps.get_model("coordination", "RightsProfile")
    with_profiles = RightsProfile.objects.values("structure_id")
    for structure in Structure.objects.filter(is_external=False).exclude(pk__in=with_profiles):
        for name, kind, permissions in DEFAULT_PROFILES:
            RightsProfile.objects.create(
                structure=structure,
                name=name,
                kind=kind,
                permissions=permissions,
                is_default=True,
            )
    taken = Structure.objects.filter(name__iexact=EXTERNAL_STRUCTURE_NAME).exists() or (
        Structure.objects.filter(id_type="SIRET", id_number=EXTERNAL_SIRET).exists()
    )
    if (
        Structure.objects.exists()
        and not Structure.objects.filter(is_external=True).exists()
        and not taken
    ):
        Structure.objects.create(
            name=EXTERNAL_STRUCTURE_NAME,
            id_type="SIRET",
            id_number=EXTERNAL_SIRET,
            domain=None,
            is_external=True,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("coordination", "0002_sec_external_seal"),
        ("structures", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_defaults, migrations.RunPython.noop)]
