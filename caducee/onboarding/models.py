"""« Demande de raccordement » (issue #16, point 6): a structure not yet on the platform
asks to join it; the service centre (the operator) answers by email.

The request keeps everything the requester typed, cleaned by the same rules as a
structure (`structures.operations.clean_structure`) and an account's contact fields
(`accounts.fields`), so that « Créer la structure » can reuse it as it is.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models

from caducee.onboarding.states import RequestState
from caducee.referentials import lists
from caducee.structures.models import Structure, StructureIdType

__all__ = ["ConnectionRequest", "RequestState"]


class ConnectionRequest(models.Model):
    structure_name = models.CharField("raison sociale", max_length=200)
    id_type = models.CharField("type d'identifiant", max_length=10, choices=StructureIdType.choices)
    id_number = models.CharField("identifiant", max_length=14)
    address = models.CharField("adresse", max_length=200, blank=True)
    postal_code = models.CharField("code postal", max_length=5)
    city = models.CharField("ville", max_length=100)
    department = models.CharField("département", max_length=3, blank=True)
    region = models.CharField("région", max_length=2, blank=True)
    last_name = models.CharField("nom du contact", max_length=150)
    first_name = models.CharField("prénom du contact", max_length=150)
    function = models.CharField("fonction du contact", max_length=100)
    email = models.EmailField("adresse mail du contact", max_length=254)
    phone = models.CharField("téléphone du contact", max_length=16)
    expected_users = models.PositiveIntegerField("nombre d'utilisateurs prévus")
    message = models.TextField("message", blank=True)
    state = models.CharField(
        "état", max_length=10, choices=RequestState.choices, default=RequestState.NEW
    )
    ip = models.GenericIPAddressField("adresse IP du demandeur", null=True, blank=True)
    created_at = models.DateTimeField("reçue le", auto_now_add=True)
    updated_at = models.DateTimeField("modifiée le", auto_now=True)
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name="traitée par",
    )
    answered_at = models.DateTimeField("réponse envoyée le", null=True, blank=True)
    answer = models.TextField("réponse", blank=True)
    # The structure created from the request (« Créer la structure »), if any.
    structure = models.ForeignKey(
        Structure, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering: ClassVar[list[str]] = ["pk"]  # order of arrival
        indexes: ClassVar[list[models.Index]] = [
            models.Index(fields=["state", "created_at"], name="onboarding_state_age")
        ]

    def __str__(self) -> str:
        return f"Demande de raccordement n° {self.pk} ({self.structure_name})"

    @property
    def contact_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()

    @property
    def identifier_label(self) -> str:
        return f"{self.get_id_type_display()} {self.id_number}"

    @property
    def department_label(self) -> str:
        return lists.departments().label(self.department) if self.department else ""

    @property
    def region_label(self) -> str:
        return lists.regions().label(self.region) if self.region else ""
