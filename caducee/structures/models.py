"""A structure is a legal or geographic entity holding mailboxes."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models

from caducee.referentials import lists


class StructureIdType(models.TextChoices):
    FINESS_EJ = "FINESS_EJ", "FINESS juridique (EJ)"
    FINESS_EG = "FINESS_EG", "FINESS géographique (EG)"
    SIREN = "SIREN", "SIREN"
    SIRET = "SIRET", "SIRET"


class Structure(models.Model):
    name = models.CharField("raison sociale", max_length=200, unique=True)
    id_type = models.CharField("type d'identifiant", max_length=10, choices=StructureIdType.choices)
    id_number = models.CharField("identifiant", max_length=14)
    # The structure's MSSanté domain: its own (no other structure has it), or a shared
    # domain of the platform (`PlatformDomain.shared`) that many small structures use.
    # Read it with `structures.domains.mssante_domain`; uniqueness is the operations'.
    domain = models.CharField("domaine MSSanté", max_length=253, null=True, db_index=True)
    address1 = models.CharField("adresse", max_length=200, blank=True)
    address2 = models.CharField("complément d'adresse", max_length=200, blank=True)
    postal_code = models.CharField("code postal", max_length=5, blank=True)
    city = models.CharField("ville", max_length=100, blank=True)
    department = models.CharField("département", max_length=3, blank=True)
    region = models.CharField("région", max_length=2, blank=True)
    # Contact details edited by the structure's admins (structures/ownership.py).
    # New columns carry a database default too: rows written by older code (or by a
    # migration test's historical models) must not fail on them.
    phone = models.CharField("téléphone", max_length=16, blank=True, default="", db_default="")
    contact_name = models.CharField(
        "contact", max_length=200, blank=True, default="", db_default=""
    )
    contact_email = models.EmailField(
        "adresse mail de contact", max_length=254, blank=True, default="", db_default=""
    )
    is_external = models.BooleanField("structure des utilisateurs externes", default=False)
    # Issue #15 point 8 (accounts/colleagues.py): a colleague proposed on an ORG mailbox by
    # its users is added at once, without an admin's validation. Admins and the operator.
    colleagues_without_validation = models.BooleanField(
        "Les utilisateurs d'une BAL organisationnelle peuvent y ajouter des collègues sans "
        "validation",
        default=False,
        db_default=False,
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["id_type", "id_number"], name="structure_identifier")
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def department_label(self) -> str:
        return lists.departments().label(self.department) if self.department else ""

    @property
    def region_label(self) -> str:
        return lists.regions().label(self.region) if self.region else ""

    @property
    def identifier_label(self) -> str:
        return f"{self.get_id_type_display()} {self.id_number}"


class StructureAdmin(models.Model):
    """A person appointed admin of a structure; one person may manage several."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="admin_roles"
    )
    structure = models.ForeignKey(Structure, on_delete=models.CASCADE, related_name="admins")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar[list[models.BaseConstraint]] = [
            models.UniqueConstraint(fields=["user", "structure"], name="one_admin_role")
        ]


class PlatformDomain(models.Model):
    """An MSSanté domain the operator declares for the platform (`caducee domain add`).

    A shared one (`pharmacien.oc.mssante.fr`, `medimail.mssante.fr`) serves many small
    structures: each of them has it as `Structure.domain`, and a particle is unique on it
    across all of them. A domain is never both shared and a structure's own."""

    name = models.CharField("domaine", max_length=253, unique=True)
    shared = models.BooleanField("domaine partagé", default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar[list[str]] = ["name"]

    def __str__(self) -> str:
        return self.name
